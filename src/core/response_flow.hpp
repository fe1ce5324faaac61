#pragma once

// The pipeline as the proxy sees it while it relays one answer: the proxy forwards and relays
// and reports what passes; the pipeline runs the stages' response hooks. The server implements
// it (server/pipeline.hpp); the proxy never loops over stages itself.

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/stage.hpp"

namespace gw {

// How the relay carries the upstream's body to the client, decided once its head is known.
struct BodyPlan {
  enum class Mode {
    Pass,     // pieces leave as they came, in the upstream's framing
    Rewrite,  // pieces may change (decoded or transformed): the gateway frames the body itself
    Whole,    // read whole (bounded), handed to the stages, sent with a Content-Length
  };
  Mode mode = Mode::Pass;
  bool decoded = false;  // the Content-Encoding was undone: the field is not passed on
};

// What goes to the client for one piece of the upstream's body.
struct PieceOut {
  std::string_view data;    // valid until the next call
  bool end_stream = false;  // a stage ended the answer: the upstream's remainder is dropped
};

class ResponseFlow {
 public:
  virtual ~ResponseFlow() = default;
  // The upstream's response head: runs the response-head hooks and plans the body. An error
  // refuses the answer before anything reached the client (502).
  virtual Result<BodyPlan> on_upstream_head(int status, std::string_view content_type,
                                            std::string_view content_encoding, bool has_body) = 0;
  // One piece of the upstream's body as received (Pass and Rewrite); `last` when the body ends
  // with it. An error ends the answer (corrupt compressed data).
  virtual Result<PieceOut> on_upstream_piece(std::string_view piece, bool last) = 0;
  // The whole body (Whole), rewritten in place; an error refuses the answer (502).
  virtual Result<void> on_upstream_body(std::string& body) = 0;
  // Whether finishing() has hooks to wait for.
  virtual bool finishing_pending() const noexcept = 0;
  // Just before the last bytes reach the client: ends the answer (Complete, or CutByStage),
  // then runs the finishing hooks (fail_closed audit waits here).
  virtual net::awaitable<void> finish() = 0;
  // The answer ended, how; once (later calls do nothing).
  virtual void end_response(EndKind kind) noexcept = 0;
};

}  // namespace gw
