#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/request_context.hpp"
#include "core/result.hpp"

namespace gw {

namespace net = boost::asio;

// What a request hook decided.
struct Verdict {
  Reason reason = Reason::None;  // None means proceed
  std::string detail;            // safe to show the client, never secrets
  // Optional complete body replacing the default {"error":{...}} JSON (e.g. a JSON-RPC error).
  std::string body;
  std::string content_type;

  static Verdict proceed() { return {}; }
  static Verdict reject(Reason r, std::string d = {}) { return {r, std::move(d), {}, {}}; }
  bool proceeds() const noexcept { return reason == Reason::None; }
};

// The upstream's response head as the response hooks see it.
struct ResponseHead {
  int status = 0;
  std::string_view content_type;
  bool is_event_stream = false;
};

// One piece of the upstream's response body, as it passes through.
struct BodyChunk {
  std::string_view data;
  bool is_last = false;
};

// How the request ended; given to on_complete.
struct Completion {
  int status = 0;
  Reason reason = Reason::None;
  bool upstream_reached = false;
};

// One layer of the pipeline. Built once per config snapshot, shared by all workers, so it
// keeps no per-request state: that lives in RequestContext.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const noexcept = 0;
  // May suspend (JWKS refetch, Redis). Reject to end the request with a reason.
  virtual net::awaitable<Verdict> on_request(RequestContext& ctx) = 0;
  // Tried first: the verdict when the stage can decide without waiting, nullopt when it has
  // to suspend (on_request is then awaited instead). Most decisions never wait, and a
  // coroutine call costs a frame and a resumption per stage and request.
  virtual std::optional<Verdict> decide_now(RequestContext&) { return std::nullopt; }
  // True when the stage must read the request body (the server then buffers it, bounded by
  // server.limits.max_body_bytes, before calling on_request). Stages run in order; those before
  // the first body-reading stage run before the body is read.
  virtual bool needs_body(const RequestContext&) const noexcept { return false; }

  // Run inline in the relay: must not block or suspend.
  virtual void on_response_head(RequestContext&, const ResponseHead&) {}
  virtual void on_response_chunk(RequestContext&, const BodyChunk&) {}

  // When true for this request (asked after on_response_head), the proxy buffers the whole
  // upstream response body (bounded) and calls on_response_body, which may rewrite it (e.g.
  // filtering an MCP tools/list result); the response is then sent with a Content-Length.
  // Such an answer must be readable: the proxy asks for it unencoded, and refuses (502
  // upstream_protocol_error) one that comes encoded, too large, or that on_response_body
  // rejects with an error. It is never passed on unread.
  virtual bool wants_response_body(const RequestContext&) const noexcept { return false; }
  virtual Result<void> on_response_body(RequestContext&, std::string& /*body*/) { return {}; }

  // Once per request, just before the last bytes of the response (served, rejected or failed)
  // are written to the client. May suspend: fail_closed audit waits here until the request's
  // record is durable, so a client never sees a completed response without its record.
  virtual net::awaitable<void> on_finishing(RequestContext&, const Completion&) { co_return; }
  // Whether on_finishing has anything to do: stages that return false are not awaited.
  virtual bool has_finishing() const noexcept { return false; }

  // Exactly once per request, whatever happened, after the response. Must not throw.
  virtual void on_complete(RequestContext&, const Completion&) noexcept {}
};
using StagePtr = std::unique_ptr<Stage>;
using StageSharedPtr = std::shared_ptr<Stage>;

}  // namespace gw
