#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "core/json_members.hpp"
#include "proxy/proxy.hpp"

namespace gw::proxy {

namespace json = boost::json;

Result<bool> inject_user_into_body(RequestContext& ctx) {
  if (!ctx.identity || !ctx.route || !ctx.model || !ctx.body_buffered) return false;
  const auto kind = ctx.route->kind;
  if (kind != ApiKind::OpenAI && kind != ApiKind::Anthropic) return false;
  // The sniffer's layout of the body when it has one: no second read.
  Result<JsonObjectLayout> located = JsonObjectLayout{};
  if (!ctx.body_layout) {
    located = locate_members(ctx.body);
    if (!located) return located.error();
  }
  const JsonObjectLayout* layout = ctx.body_layout ? &*ctx.body_layout : &*located;
  // Only the member the gateway sets changes: every other byte (numbers such as 0.2,
  // escapes, whitespace, key order) reaches the upstream as the client sent it.
  const std::string user = json::serialize(json::string(ctx.identity->user_id));
  if (kind == ApiKind::OpenAI) {
    // The provider's own audit trail names the verified user, whatever the client sent.
    if (auto set = set_member(ctx.body, *layout, "user", user); !set) return set.error();
  } else {
    auto metadata = find_member(*layout, "metadata");
    if (!metadata) return metadata.error();
    const JsonMember* member = *metadata;
    if (member != nullptr && ctx.body[member->value_begin] == '{') {
      auto inner = locate_members_at(ctx.body, member->value_begin);
      if (!inner) return inner.error();
      if (auto set = set_member(ctx.body, *inner, "user_id", user); !set) return set.error();
    } else {
      // Absent, or not an object (null, a string ...): an object with only the user.
      if (auto set = set_member(ctx.body, *layout, "metadata", "{\"user_id\":" + user + "}");
          !set) {
        return set.error();
      }
    }
  }
  ctx.body_layout.reset();  // the body changed
  return true;
}

}  // namespace gw::proxy
