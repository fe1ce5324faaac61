#pragma once

// The one driver of every phase of every request: request stages in order, response hooks in
// reverse order as the answer passes, then exactly once each the response end (with the final
// usage), finishing and completion — for proxied requests, rejections, the decision endpoint,
// built-in endpoints, the admin listener, upstream failures and clients that go away alike.
// No sockets: the session reads and writes, the proxy relays, both report here.

#include <boost/asio/awaitable.hpp>
#include <boost/container/small_vector.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/response_flow.hpp"
#include "core/stage.hpp"
#include "http/content_decoder.hpp"
#include "proxy/proxy.hpp"

namespace gw::server {

namespace net = boost::asio;

// Reads the request body when the first stage that needs it asks (the session, over its
// socket).
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  virtual net::awaitable<Result<void>> read_body(RequestContext& ctx) = 0;
};

struct PipelineOptions {
  std::size_t max_response_buffer_bytes = 16 * 1024 * 1024;  // whole bodies, decoded or not
};

// The stages of one config snapshot in request order; shared by every worker.
class Pipeline {
 public:
  Pipeline(std::vector<Stage*> stages, PipelineOptions options);

  std::span<Stage* const> stages() const noexcept { return stages_; }
  const PipelineOptions& options() const noexcept { return options_; }
  bool has_finishing() const noexcept { return has_finishing_; }

 private:
  std::vector<Stage*> stages_;
  PipelineOptions options_;
  bool has_finishing_ = false;
};

// One request's passage through the pipeline. Lives in the session's frame for the request.
class Exchange final : public ResponseFlow {
 public:
  Exchange(const Pipeline& pipeline, RequestContext& ctx);
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  RequestContext& ctx() noexcept { return ctx_; }

  // The request stages in order until one rejects. The first stage that needs the body makes
  // `body` read it (ctx.body_buffered says whether it is already there).
  net::awaitable<Verdict> run_request(BodyReader* body);
  // The same without suspending, tried first so that the usual request costs no coroutine
  // frame: the verdict when every stage decided at once, nullopt when a stage must wait or the
  // body must be read (run_request then continues where this stopped).
  std::optional<Verdict> try_run_request();
  // Stages that need the body are passed over (the decision endpoint has none to read).
  void skip_body_stages() noexcept { skip_body_stages_ = true; }

  // The request ends with a local answer (rejection, built-in, decision): status and reason.
  void respond_locally(int status, Reason reason) noexcept;

  // ResponseFlow: the proxy's reports.
  Result<BodyPlan> on_upstream_head(int status, std::string_view content_type,
                                    std::string_view content_encoding, bool has_body) override;
  Result<PieceOut> on_upstream_piece(std::string_view piece, bool last) override;
  Result<void> on_upstream_body(std::string& body) override;
  bool finishing_pending() const noexcept override;
  net::awaitable<void> finish() override;
  void end_response(EndKind kind) noexcept override;

  // Completion: the response end if it has not happened (as Local, or as `kind` given), then
  // on_complete in reverse order, metrics and the access log. Once; finish() must have been
  // awaited before when finishing_pending().
  void complete() noexcept;

 private:
  void note_phase(const Stage& stage);
  void read_usage(std::string_view data, bool last);

  const Pipeline& pipeline_;
  RequestContext& ctx_;
  std::size_t next_stage_ = 0;  // request stages run so far
  bool skip_body_stages_ = false;
  std::chrono::steady_clock::time_point phase_start_;

  // The answer as it passes.
  std::optional<proxy::UsageExtractor> usage_;
  std::optional<http::ContentDecoder> decoder_;
  boost::container::small_vector<std::uint8_t, 8> transforming_;  // stage indexes
  std::vector<std::string> held_;                                 // per transforming stage
  std::string decoded_;
  std::string piece_;
  bool cut_ = false;

  bool ended_ = false;
  bool finished_ = false;
  bool completed_ = false;
};

}  // namespace gw::server
