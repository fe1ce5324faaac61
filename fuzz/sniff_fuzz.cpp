// A request body on an AI or MCP route (route::sniff_body): OpenAI and Anthropic bodies give
// the model (with alias mapping, which rewrites the body), MCP bodies the JSON-RPC method and
// tool.
//
// Input: one byte choosing the route (its low two bits: OpenAI, Anthropic, MCP, or OpenAI with
// an alias to another upstream), then the body.

#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/request_context.hpp"
#include "fuzz_check.hpp"
#include "route/route.hpp"

namespace {

struct Case {
  gw::ApiKind kind;
  std::string_view path;
};

constexpr Case kCases[] = {{gw::ApiKind::OpenAI, "/v1/chat/completions"},
                           {gw::ApiKind::Anthropic, "/v1/messages"},
                           {gw::ApiKind::Mcp, "/mcp"},
                           {gw::ApiKind::OpenAI, "/v1/responses"}};

gw::route::Route make_route(gw::ApiKind kind) {
  gw::route::Route route;
  route.name = "ai";
  route.prefix = "/";
  route.upstream = "primary";
  route.kind = kind;
  route.models.emplace("gpt-4-medical", gw::route::ModelAlias{"gpt-4o", ""});
  route.models.emplace("claude", gw::route::ModelAlias{"claude-3-5-sonnet", "anthropic"});
  route.models.emplace("same", gw::route::ModelAlias{"same", ""});
  return route;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Case& c = kCases[data[0] & 3];
  const auto route = make_route(c.kind);
  gw::RequestContext ctx;
  ctx.method = "POST";
  ctx.path = std::string(c.path);
  ctx.body = std::string(gw::fuzz::as_text(data + 1, size - 1));
  ctx.route.emplace();
  ctx.route->name = route.name;
  ctx.route->upstream = route.upstream;
  ctx.route->kind = route.kind;
  const std::string original = ctx.body;

  const auto sniffed = gw::route::sniff_body(route, ctx);
  const bool rewritten = ctx.body != original;
  if (!sniffed) {
    GW_FUZZ_CHECK(!rewritten);
    return 0;
  }
  if (c.kind == gw::ApiKind::Mcp) {
    GW_FUZZ_CHECK(ctx.mcp.has_value());
    if (ctx.mcp->method == "tools/call") GW_FUZZ_CHECK(!ctx.mcp->tool.empty());
    GW_FUZZ_CHECK(!rewritten);
    return 0;
  }
  GW_FUZZ_CHECK(ctx.model.has_value());
  GW_FUZZ_CHECK(!ctx.model->model.empty());
  if (rewritten) {
    // The rewritten body names the upstream model and is still JSON (the alias is spliced in:
    // a number such as 1e999 keeps its bytes rather than becoming "Infinity").
    boost::system::error_code ec;
    boost::json::parse_options options;
    options.max_depth = 64;  // as the sniffer parses
    const auto value = boost::json::parse(ctx.body, ec, {}, options);
    GW_FUZZ_CHECK(!ec && value.is_object());
    const auto* model = value.as_object().if_contains("model");
    GW_FUZZ_CHECK(model != nullptr && model->is_string());
    GW_FUZZ_CHECK(model->get_string() == ctx.model->upstream_model);
  } else {
    GW_FUZZ_CHECK(ctx.body == original);
  }
  return 0;
}
