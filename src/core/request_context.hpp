#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/identity.hpp"
#include "core/json_members.hpp"
#include "core/reason.hpp"

namespace gw {

using HeaderView = std::pair<std::string_view, std::string_view>;
using HeaderField = std::pair<std::string, std::string>;

// What API a route speaks; decides which body sniffer runs and what the proxy rewrites.
enum class ApiKind { Generic, OpenAI, Anthropic, Mcp };
std::string_view to_string(ApiKind kind) noexcept;

// Set by the route layer.
struct RouteMatch {
  std::string name;      // route name from the config
  std::string upstream;  // upstream name from the config
  ApiKind kind = ApiKind::Generic;
  std::string upstream_target;    // path + query to send upstream
  bool is_public = false;         // route opted out of authentication
  std::string resource;           // MCP routes: RFC 8707 resource URL tokens must be bound to
  std::string resource_metadata;  // MCP routes: RFC 9728 protected resource metadata URL

  // A stage reads this route's answers (usage, tools/list): they are asked for unencoded, and
  // decoded or refused when they come compressed anyway.
  bool answers_are_read() const noexcept { return kind != ApiKind::Generic; }
};

// Read from an AI request body (OpenAI / Anthropic), as far as the gateway needs it.
struct ModelRequest {
  std::string model;           // model name as the client asked for it
  std::string upstream_model;  // after alias mapping (equals model when none)
  bool stream = false;
  std::optional<std::int64_t> max_tokens;
};

// Read from an MCP JSON-RPC request.
struct McpRequest {
  std::string method;  // e.g. "tools/call"
  std::string tool;    // params.name for tools/call
  std::string id;      // JSON-RPC id, serialised
};

enum class Decision { None, Allow, Deny, ShadowDeny };
std::string_view to_string(Decision decision) noexcept;

struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  double cost_usd = 0;
  bool reported = false;   // the upstream reported usage (JSON body or final SSE event)
  bool estimated = false;  // counted from what passed (the answer ended before its usage)
  bool any() const noexcept { return reported || estimated; }
};

// Which phase a stage's request-hook time is charged to (metrics, Server-Timing, audit).
enum class Phase { Identity, Route, Policy, Content, Limits, Other };
inline constexpr std::size_t kPhaseCount = 6;
std::string_view to_string(Phase phase) noexcept;

// Durations of the pipeline's phases, for metrics, audit and Server-Timing.
struct PhaseTimings {
  std::array<std::chrono::microseconds, kPhaseCount> phases{};
  std::chrono::microseconds upstream{0};  // connect + first byte of the response head
  std::chrono::microseconds total{0};

  std::chrono::microseconds& operator[](Phase phase) noexcept {
    return phases[static_cast<std::size_t>(phase)];
  }
  std::chrono::microseconds operator[](Phase phase) const noexcept {
    return phases[static_cast<std::size_t>(phase)];
  }
};

// Where a request's audit record stands. Opened under fail_closed means a queue slot is reserved
// for the record.
enum class AuditState { NotOpened, Opened, Submitted };

// Everything known about one request. Owned by the pipeline's coroutine frame for the whole
// request; stages read what earlier stages wrote and fill their own slot. Never shared
// between requests or threads.
struct RequestContext {
  // Set by the server before the first stage.
  std::string request_id;
  std::string client_address;
  std::string method;
  std::string target;  // raw request-target as received
  std::string path;    // decoded, dot segments removed; empty when it could not be normalised
  std::string query;   // raw query string without '?'
  bool is_tls = false;
  bool builtin = false;  // one of the gateway's own endpoints (health, JWKS, metrics): no audit
  std::vector<HeaderView> headers;  // client headers; views into the server's request message
  std::string body;                 // buffered request body (when body_buffered)
  // The top-level members of a JSON `body` as it is now, located once by the route layer's
  // sniffer so that later rewrites need not read the body again. Whoever changes `body` resets
  // it.
  std::optional<JsonObjectLayout> body_layout;
  bool body_buffered = false;
  std::uint64_t body_bytes = 0;
  std::chrono::system_clock::time_point received_at{};
  std::chrono::steady_clock::time_point started{};

  // identity
  std::shared_ptr<const Identity> identity;

  // route
  std::optional<RouteMatch> route;
  std::optional<ModelRequest> model;
  std::optional<McpRequest> mcp;

  // policy
  Decision decision = Decision::None;
  Reason decision_reason = Reason::None;
  std::string decision_rule;  // which rule decided

  // content
  std::vector<std::pair<std::string, int>> pii_findings;  // type -> count, never values

  // limits / proxy
  Usage usage;

  // response
  int status = 0;
  Reason reason = Reason::None;  // why the request ended, when it was not served upstream
  std::uint64_t response_bytes = 0;
  bool upstream_reached = false;
  PhaseTimings timings;

  // audit
  AuditState audit_state = AuditState::NotOpened;

  // Extra headers any stage wants on the client response (RateLimit-*, WWW-Authenticate...).
  std::vector<HeaderField> response_headers;

  // First client header with this name (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const noexcept;
  // How many copies of the header the client sent.
  std::size_t header_count(std::string_view name) const noexcept;
};

}  // namespace gw
