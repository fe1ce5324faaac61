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
  // false (`path_strict: false`): spellings that parsers behind the gateway read differently
  // (NormalizedTarget::strict_problem) are forwarded encoded instead of refused.
  bool is_path_strict = true;
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

// The normalised path keeps every byte in one spelling: unreserved characters and UTF-8 bytes
// decoded, every other escape kept as %XX with uppercase hex (so %3B, %2F, %25 never become
// ';', '/', '%'), literal unreserved, sub-delims, ':', '@' and '/' kept, other ASCII encoded.
struct NormalizedTarget {
  std::string path;   // normalised, dot segments removed, repeated slashes merged
  std::string query;  // raw, without '?'
  bool had_dot_segments = false;
  std::string raw_path;  // normalised but dot segments not resolved (to detect prefix escapes);
                         // set only when the path had "/." or "//" to resolve
  std::string path_without_params;  // `path` with each segment's ;parameters (';' or %3B and
                                    // what follows) removed; set only when a segment had one
  // Why a route with path_strict (the default) refuses the path: an encoded slash, a backslash,
  // a double-encoded character, a segment that is "." or ".." once its ;parameters are removed,
  // bytes that are not well-formed UTF-8. Empty when none; points at a string literal.
  std::string_view strict_problem;
};

// Normalises a request-target once: absolute-form loses its authority (a client never picks
// the upstream), percent-escapes are normalised, dot segments are resolved. Refuses (invalid_path)
// bad escapes, NUL and control characters, and a path climbing above the root.
Result<NormalizedTarget> normalize_target(std::string_view target);

// Percent-encodes a normalised path for the upstream request line: its escapes are kept as
// they are, bytes outside the unreserved, sub-delims, ':', '@' and '/' are encoded.
std::string encode_path(std::string_view path);

// Finds the route for a normalised path; nullptr when none.
const Route* match(const RouteConfig& config, std::string_view path);

// Finds the route for a normalised target (nullptr when none) and refuses (invalid_path) a path
// that dot segments or ;parameters move out of the route it was written under, and one with a
// strict_problem unless its route has path_strict: false.
Result<const Route*> match_target(const RouteConfig& config, const NormalizedTarget& target);

// Reads model / stream / max_tokens (OpenAI, Anthropic) or method / tool (MCP) from a JSON
// body into the context, applying model aliases. Errors: invalid_json, missing_model.
Result<void> sniff_body(const Route& route, RequestContext& ctx);

using RouteConfigConstSharedPtr = std::shared_ptr<const RouteConfig>;

// Stage 1 (before identity): matches the route, fills ctx.route; 404 / 405 / 400.
StagePtr make_match_stage(RouteConfigConstSharedPtr config);
// Stage 2 (after identity, reads the body): fills ctx.model / ctx.mcp.
StagePtr make_body_stage(RouteConfigConstSharedPtr config);

}  // namespace gw::route
