#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "proxy/proxy.hpp"

namespace gw::proxy {

namespace json = boost::json;

bool inject_user_into_body(RequestContext& ctx) {
  if (!ctx.identity || !ctx.route || !ctx.model || !ctx.body_buffered) return false;
  const auto kind = ctx.route->kind;
  if (kind != ApiKind::OpenAI && kind != ApiKind::Anthropic) return false;
  boost::system::error_code ec;
  auto value = json::parse(ctx.body, ec);
  if (ec || !value.is_object()) return false;
  auto& object = value.get_object();
  if (kind == ApiKind::OpenAI) {
    // The provider's own audit trail names the verified user, whatever the client sent.
    object["user"] = ctx.identity->user_id;
  } else {
    auto& metadata = object["metadata"];
    if (!metadata.is_object()) metadata = json::object();
    metadata.get_object()["user_id"] = ctx.identity->user_id;
  }
  ctx.body = json::serialize(value);
  ctx.body_modified = true;
  return true;
}

}  // namespace gw::proxy
