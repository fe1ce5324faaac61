#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gw {

// The verified caller. Built only by the identity layer from a token whose signature and
// claims checked out; every other layer reads it and none may write it.
struct Identity {
  std::string user_id;  // from `sub` unless mapped otherwise
  std::string email;
  std::string tenant;  // tenant / org
  std::string team;
  std::vector<std::string> roles;
  std::vector<std::string> scopes;
  std::string issuer;
  std::vector<std::string> audiences;
  std::int64_t expires_at = 0;                        // seconds since the epoch
  std::string client_id;                              // azp / client_id when present
  std::shared_ptr<const boost::json::object> claims;  // the whole verified payload

  bool has_role(std::string_view role) const noexcept;
  bool has_scope(std::string_view scope) const noexcept;
};

}  // namespace gw
