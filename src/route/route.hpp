#pragma once

// Route layer: which configured route a request belongs to, and what its body says
// (model, stream, max_tokens for AI APIs; method and tool for MCP JSON-RPC).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config_reader.hpp"
#include "core/request_context.hpp"
#include "core/result.hpp"
#include "core/stage.hpp"

namespace gw::route {

// A public model name mapped to what the upstream calls it (and optionally another upstream).
struct ModelAlias {
  std::string model;     // upstream model name
  std::string upstream;  // empty = the route's upstream
};

struct Route {
  std::string name;
  std::string prefix;                // normalised, no trailing slash except "/"
  std::vector<std::string> methods;  // empty = any
  std::string upstream;
  ApiKind kind = ApiKind::Generic;
  bool strip_prefix = false;
  bool is_public = false;
  // MCP routes: the RFC 8707 resource URL (tokens must carry it in `aud`) and where its
  // RFC 9728 metadata is served. Empty until the server fills in defaults from its public URL.
  std::string resource;
  std::string resource_metadata;
  std::map<std::string, ModelAlias, std::less<>> models;
};

struct RouteConfig {
  std::vector<Route> routes;  // longest prefix first
};

// Reads the top-level `routes:` list. `upstream_names` are checked so a route cannot point at
// an upstream that does not exist.
RouteConfig parse_config(config::Map& root, const std::vector<std::string>& upstream_names);

struct NormalizedTarget {
  std::string path;   // decoded, dot segments removed, repeated slashes merged
  std::string query;  // raw, without '?'
  bool had_dot_segments = false;
  std::string raw_path;  // decoded but not normalised (to detect prefix escapes); set only
                         // when the path had "/." or "//" to resolve
};

// Normalises a request-target once: absolute-form loses its authority (a client never picks
// the upstream), percent-escapes are decoded (encoded '/', '\' and NUL are refused), dot
// segments are resolved and a path climbing above the root is refused.
Result<NormalizedTarget> normalize_target(std::string_view target);

// Percent-encodes a decoded path for the upstream request line.
std::string encode_path(std::string_view path);

// Finds the route for a normalised path; nullptr when none.
const Route* match(const RouteConfig& config, std::string_view path);

// Reads model / stream / max_tokens (OpenAI, Anthropic) or method / tool (MCP) from a JSON
// body into the context, applying model aliases. Errors: invalid_json, missing_model.
Result<void> sniff_body(const Route& route, RequestContext& ctx);

using RouteConfigConstSharedPtr = std::shared_ptr<const RouteConfig>;

// Stage 1 (before identity): matches the route, fills ctx.route; 404 / 405 / 400.
StagePtr make_match_stage(RouteConfigConstSharedPtr config);
// Stage 2 (after identity, reads the body): fills ctx.model / ctx.mcp.
StagePtr make_body_stage(RouteConfigConstSharedPtr config);

}  // namespace gw::route
