#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>

#include "core/json_members.hpp"
#include "route/route.hpp"

namespace gw::route {
namespace {

namespace json = boost::json;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The endpoints whose body names a model.
bool names_model(ApiKind kind, std::string_view path) {
  if (kind == ApiKind::OpenAI) {
    return ends_with(path, "/chat/completions") || ends_with(path, "/completions") ||
           ends_with(path, "/responses") || ends_with(path, "/embeddings");
  }
  if (kind == ApiKind::Anthropic) return ends_with(path, "/messages");
  return false;
}

std::optional<std::int64_t> integer_member(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key)) {
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= INT64_MAX)
      return static_cast<std::int64_t>(v->get_uint64());
  }
  return std::nullopt;
}

Result<json::value> parse_json(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 64;
  auto value = json::parse(body, ec, {}, options);
  if (ec)
    return make_error(Reason::InvalidJson, "the request body is not valid JSON: " + ec.message());
  return value;
}

// Refuses a body whose object has any of `keys` more than once: parsers disagree on which copy
// counts (Boost.JSON keeps the last, many backends the first), so the copy policy judged
// might not be the one the upstream acts on.
Result<void> refuse_duplicates(const JsonObjectLayout& layout,
                               std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (auto member = find_member(layout, key); !member) return member.error();
  }
  return {};
}

Result<void> sniff_model(const Route& route, RequestContext& ctx) {
  auto parsed = parse_json(ctx.body);
  if (!parsed) return parsed.error();
  auto* object = parsed->if_object();
  if (object == nullptr)
    return make_error(Reason::InvalidJson, "the request body must be a JSON object");
  const auto* model = object->if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty()) {
    return make_error(Reason::MissingModel,
                      "the request body must name a model (\"model\": \"...\")");
  }
  auto layout = locate_members(ctx.body);
  if (!layout) return layout.error();
  if (auto once = refuse_duplicates(
          *layout, {"model", "stream", "max_tokens", "max_completion_tokens", "max_output_tokens"});
      !once) {
    return once.error();
  }
  ModelRequest m;
  m.model = std::string(model->get_string());
  m.upstream_model = m.model;
  if (const auto* stream = object->if_contains("stream"); stream && stream->is_bool()) {
    m.stream = stream->get_bool();
  }
  for (std::string_view key : {"max_tokens", "max_completion_tokens", "max_output_tokens"}) {
    if (auto n = integer_member(*object, key)) {
      m.max_tokens = n;
      break;
    }
  }
  if (auto alias = route.models.find(m.model); alias != route.models.end()) {
    m.upstream_model = alias->second.model;
    if (!alias->second.upstream.empty()) ctx.route->upstream = alias->second.upstream;
    if (m.upstream_model != m.model) {
      // Only the model changes: every other byte reaches the upstream as the client sent it.
      auto set =
          set_member(ctx.body, *layout, "model", json::serialize(json::string(m.upstream_model)));
      if (!set) return set.error();
      layout = locate_members(ctx.body);
      if (!layout) return layout.error();
    }
  }
  ctx.body_layout = std::move(*layout);
  ctx.model = std::move(m);
  return {};
}

Result<void> sniff_mcp(RequestContext& ctx) {
  auto parsed = parse_json(ctx.body);
  if (!parsed) return parsed.error();
  if (parsed->is_array()) {
    return make_error(Reason::InvalidJson, "JSON-RPC batches are not supported on MCP routes");
  }
  auto* object = parsed->if_object();
  if (object == nullptr)
    return make_error(Reason::InvalidJson, "the request body must be a JSON-RPC object");
  // The method and the tool name decide policy: each must be there once only.
  auto layout = locate_members(ctx.body);
  if (!layout) return layout.error();
  if (auto once = refuse_duplicates(*layout, {"jsonrpc", "method", "params", "id"}); !once) {
    return once.error();
  }
  if (auto params = find_member(*layout, "params"); *params != nullptr) {
    if (ctx.body[(*params)->value_begin] == '{') {
      auto inner = locate_members_at(ctx.body, (*params)->value_begin);
      if (!inner) return inner.error();
      if (auto once = refuse_duplicates(*inner, {"name", "arguments"}); !once) {
        return once.error();
      }
    }
  }
  McpRequest mcp;
  if (const auto* method = object->if_contains("method"); method && method->is_string()) {
    mcp.method = std::string(method->get_string());
  } else if (object->contains("result") || object->contains("error")) {
    mcp.method = "";  // a response from the client (e.g. to a sampling request)
  } else {
    return make_error(Reason::InvalidJson, "the JSON-RPC message has no \"method\"");
  }
  if (const auto* id = object->if_contains("id")) mcp.id = json::serialize(*id);
  if (mcp.method == "tools/call") {
    const auto* params = object->if_contains("params");
    const auto* name =
        params && params->is_object() ? params->get_object().if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string() || name->get_string().empty()) {
      return make_error(Reason::InvalidJson, "tools/call needs params.name");
    }
    mcp.tool = std::string(name->get_string());
  }
  ctx.mcp = std::move(mcp);
  return {};
}

}  // namespace

Result<void> sniff_body(const Route& route, RequestContext& ctx) {
  if (ctx.method != "POST") return {};
  if (route.kind == ApiKind::Mcp) return sniff_mcp(ctx);
  if (names_model(route.kind, ctx.path)) return sniff_model(route, ctx);
  return {};
}

}  // namespace gw::route
