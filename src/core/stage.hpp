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
struct UpstreamResponse {
  int status = 0;
  std::string_view content_type;
  bool is_event_stream = false;
};

// One piece of the upstream's response body (decoded), as it passes through.
struct BodyChunk {
  std::string_view data;
  bool is_last = false;
};

// One piece of the response body on its way to the client, handed to the stages that
// transform it (transforms_response). A stage may rewrite `data` freely, hold back a partial
// unit (half an SSE event) by moving it into `held`, which the pipeline keeps for this stage
// until its next piece, and end the response early by setting `end_stream` (after appending
// its own final bytes): the rest of the upstream's body is then dropped.
struct ResponsePiece {
  std::string& data;
  std::string& held;  // this stage's own held-back bytes; empty at the first piece
  bool is_last;       // nothing follows: everything held must be emitted now
  bool end_stream = false;
};

// How an answer ended, for on_response_end.
enum class EndKind {
  Complete,       // the whole answer reached the client
  ClientClosed,   // the client went away before the end
  UpstreamError,  // the upstream failed (refused, reset, timed out, malformed) before the end
  CutByStage,     // a transforming stage ended the stream early
  Local,          // answered by the gateway itself (a rejection or a built-in response)
};
std::string_view to_string(EndKind kind) noexcept;

struct ResponseEnd {
  EndKind kind = EndKind::Local;
  // The request's usage (ctx.usage): final when the upstream reported it, otherwise counted
  // from what passed (Usage::estimated).
  const Usage& usage;
};

// How the request ended; given to on_finishing and on_complete.
struct Completion {
  int status = 0;
  Reason reason = Reason::None;
  bool upstream_reached = false;
};

// One layer of the pipeline. Built once per config snapshot, shared by all workers, so it
// keeps no per-request state: that lives in RequestContext (and, for transforming stages, in
// ResponsePiece::held). Request hooks run in stage order; every response hook runs in reverse
// stage order, so a later stage's results are in the context before an earlier stage (audit)
// reads them.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const noexcept = 0;
  virtual Phase phase() const noexcept { return Phase::Other; }
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
  virtual void on_response_head(RequestContext&, const UpstreamResponse&) {}
  virtual void on_response_chunk(RequestContext&, const BodyChunk&) {}

  // Asked after on_response_head: when true, the stage receives every piece of the body
  // through on_response_piece and may change it. The client's response is then framed by the
  // gateway (chunked for HTTP/1.1, to the end of the connection for HTTP/1.0).
  virtual bool transforms_response(const RequestContext&) const noexcept { return false; }
  virtual void on_response_piece(RequestContext&, ResponsePiece&) {}

  // When true for this request (asked after on_response_head), the whole upstream response
  // body is read (bounded) and handed to on_response_body, which may rewrite it (e.g.
  // filtering an MCP tools/list result); the response is then sent with a Content-Length.
  // Returning an error refuses the answer (502): a body that must be read and cannot be is
  // never passed on unread.
  virtual bool wants_response_body(const RequestContext&) const noexcept { return false; }
  virtual Result<void> on_response_body(RequestContext&, std::string& /*body*/) { return {}; }

  // Exactly once per request, when its answer has ended (or was answered locally), with the
  // final usage. Runs before on_finishing. Must not suspend or throw.
  virtual void on_response_end(RequestContext&, const ResponseEnd&) noexcept {}

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
