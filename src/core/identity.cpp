#include "core/identity.hpp"

#include <algorithm>

namespace gw {

bool Identity::has_role(std::string_view role) const noexcept {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Identity::has_scope(std::string_view scope) const noexcept {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

}  // namespace gw
