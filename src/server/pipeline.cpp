#include "server/pipeline.hpp"

#include "core/strings.hpp"
#include "server/request_log.hpp"

namespace gw::server {
namespace {

constexpr std::string_view kEventStream = "text/event-stream";

bool is_event_stream(std::string_view content_type) {
  return content_type.size() >= kEventStream.size() &&
         iequals(content_type.substr(0, kEventStream.size()), kEventStream);
}

}  // namespace

std::string_view to_string(EndKind kind) noexcept {
  switch (kind) {
    case EndKind::Complete:
      return "complete";
    case EndKind::ClientClosed:
      return "client_closed";
    case EndKind::UpstreamError:
      return "upstream_error";
    case EndKind::CutByStage:
      return "cut_by_stage";
    case EndKind::Local:
      return "local";
  }
  return "local";
}

Pipeline::Pipeline(std::vector<Stage*> stages, PipelineOptions options)
    : stages_(std::move(stages)), options_(options) {
  for (const Stage* stage : stages_) has_finishing_ = has_finishing_ || stage->has_finishing();
}

Exchange::Exchange(const Pipeline& pipeline, RequestContext& ctx)
    : pipeline_(pipeline), ctx_(ctx), phase_start_(std::chrono::steady_clock::now()) {}

// ---- request stages ------------------------------------------------------------------------

void Exchange::note_phase(const Stage& stage) {
  const auto now = std::chrono::steady_clock::now();
  const auto spent = std::chrono::duration_cast<std::chrono::microseconds>(now - phase_start_);
  ctx_.timings[stage.phase()] += spent;
  observe_phase(stage, spent);
  phase_start_ = now;
}

std::optional<Verdict> Exchange::try_run_request() {
  auto stages = pipeline_.stages();
  while (next_stage_ < stages.size()) {
    Stage& stage = *stages[next_stage_];
    if (stage.needs_body(ctx_)) {
      if (skip_body_stages_) {
        ++next_stage_;
        continue;
      }
      if (!ctx_.body_buffered) return std::nullopt;
    }
    auto verdict = stage.decide_now(ctx_);
    if (!verdict) return std::nullopt;
    ++next_stage_;
    note_phase(stage);
    if (!verdict->proceeds()) return verdict;
  }
  return Verdict::proceed();
}

net::awaitable<Verdict> Exchange::run_request(BodyReader* body) {
  auto stages = pipeline_.stages();
  while (true) {
    if (auto verdict = try_run_request()) co_return std::move(*verdict);
    Stage& stage = *stages[next_stage_];
    if (!ctx_.body_buffered && stage.needs_body(ctx_)) {
      if (body == nullptr) co_return Verdict::reject(Reason::Internal, "no request body reader");
      auto read = co_await body->read_body(ctx_);
      phase_start_ = std::chrono::steady_clock::now();  // reading the body is no stage's time
      if (!read) co_return Verdict::reject(read.error().reason, read.error().detail);
      continue;
    }
    auto verdict = co_await stage.on_request(ctx_);
    ++next_stage_;
    note_phase(stage);
    if (!verdict.proceeds()) co_return verdict;
  }
}

void Exchange::respond_locally(int status, Reason reason) noexcept {
  ctx_.status = status;
  ctx_.reason = reason;
}

// ---- the answer ----------------------------------------------------------------------------

Result<BodyPlan> Exchange::on_upstream_head(int status, std::string_view content_type,
                                            std::string_view content_encoding, bool has_body) {
  ctx_.status = status;
  const UpstreamResponse head{status, content_type, is_event_stream(content_type)};
  auto stages = pipeline_.stages();
  for (auto it = stages.rbegin(); it != stages.rend(); ++it) (*it)->on_response_head(ctx_, head);
  BodyPlan plan;
  if (!has_body) return plan;

  bool whole = false;
  for (std::size_t i = stages.size(); i-- > 0;) {
    if (stages[i]->wants_response_body(ctx_)) whole = true;
    if (stages[i]->transforms_response(ctx_)) transforming_.push_back(static_cast<std::uint8_t>(i));
  }
  held_.resize(transforming_.size());
  const bool must_read =
      (ctx_.route && ctx_.route->answers_are_read()) || whole || !transforming_.empty();
  if (must_read && !http::ContentDecoder::is_identity(content_encoding)) {
    decoder_ = http::ContentDecoder::for_encoding(content_encoding);
    if (!decoder_) {
      return make_error(Reason::UpstreamProtocolError,
                        "the upstream answered with Content-Encoding \"" +
                            std::string(content_encoding.substr(0, 64)) +
                            "\", which the gateway cannot decode",
                        Origin::Upstream);
    }
    plan.decoded = true;
  }
  // Token usage is read only from AI APIs' successful answers.
  if (ctx_.model && status >= 200 && status < 300) usage_.emplace(head.is_event_stream);
  if (whole) {
    plan.mode = BodyPlan::Mode::Whole;
  } else if (decoder_ || !transforming_.empty()) {
    plan.mode = BodyPlan::Mode::Rewrite;
  }
  return plan;
}

Result<PieceOut> Exchange::on_upstream_piece(std::string_view piece, bool last) {
  std::string_view data = piece;
  if (decoder_) {
    decoded_.clear();
    // A stream may grow without end, but no one piece may expand past the whole-body bound:
    // a decompression bomb is refused rather than held in memory.
    const auto bound = decoder_->produced() + pipeline_.options().max_response_buffer_bytes;
    if (auto r = decoder_->decode(piece, last, decoded_, bound); !r) return r.error();
    data = decoded_;
  }
  if (usage_) usage_->feed(data);
  auto stages = pipeline_.stages();
  if (!data.empty() || last) {
    const BodyChunk chunk{data, last};
    for (auto it = stages.rbegin(); it != stages.rend(); ++it)
      (*it)->on_response_chunk(ctx_, chunk);
  }
  if (transforming_.empty()) return PieceOut{data, false};

  piece_.assign(data);
  bool end = false;
  for (std::size_t k = 0; k < transforming_.size(); ++k) {
    ResponsePiece p{piece_, held_[k], last || end};
    stages[transforming_[k]]->on_response_piece(ctx_, p);
    if (p.end_stream) end = true;
  }
  if (end) cut_ = true;
  return PieceOut{piece_, end};
}

Result<void> Exchange::on_upstream_body(std::string& body) {
  if (decoder_) {
    decoded_.clear();
    if (auto r =
            decoder_->decode(body, true, decoded_, pipeline_.options().max_response_buffer_bytes);
        !r) {
      return r.error();
    }
    body.swap(decoded_);
  }
  if (usage_) usage_->feed(body);
  auto stages = pipeline_.stages();
  const BodyChunk chunk{body, true};
  for (auto it = stages.rbegin(); it != stages.rend(); ++it) (*it)->on_response_chunk(ctx_, chunk);
  for (auto it = stages.rbegin(); it != stages.rend(); ++it) {
    if (!(*it)->wants_response_body(ctx_)) continue;
    if (auto r = (*it)->on_response_body(ctx_, body); !r) return r.error();
  }
  return {};
}

// ---- the end -------------------------------------------------------------------------------

void Exchange::end_response(EndKind kind) noexcept {
  if (ended_) return;
  ended_ = true;
  if (kind == EndKind::Complete && cut_) kind = EndKind::CutByStage;
  if (usage_) {
    // The prompt as a quarter token per byte: only used when the upstream reported nothing.
    usage_->finish(ctx_.usage, static_cast<std::int64_t>((ctx_.body_bytes + 3) / 4));
  }
  const ResponseEnd end{kind, ctx_.usage};
  auto stages = pipeline_.stages();
  for (auto it = stages.rbegin(); it != stages.rend(); ++it) (*it)->on_response_end(ctx_, end);
}

bool Exchange::finishing_pending() const noexcept {
  return !finished_ && pipeline_.has_finishing();
}

net::awaitable<void> Exchange::finish() {
  end_response(ctx_.upstream_reached ? EndKind::Complete : EndKind::Local);
  if (finished_) co_return;
  finished_ = true;
  const Completion completion{ctx_.status, ctx_.reason, ctx_.upstream_reached};
  auto stages = pipeline_.stages();
  for (auto it = stages.rbegin(); it != stages.rend(); ++it) {
    if ((*it)->has_finishing()) co_await (*it)->on_finishing(ctx_, completion);
  }
}

void Exchange::complete() noexcept {
  if (completed_) return;
  completed_ = true;
  end_response(ctx_.upstream_reached ? EndKind::Complete : EndKind::Local);
  finished_ = true;
  ctx_.timings.total = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - ctx_.started);
  const Completion completion{ctx_.status, ctx_.reason, ctx_.upstream_reached};
  auto stages = pipeline_.stages();
  for (auto it = stages.rbegin(); it != stages.rend(); ++it) (*it)->on_complete(ctx_, completion);
  if (ctx_.builtin) return;  // probes and scrapes are not traffic: not counted, not logged
  try {
    record_request(ctx_);
  } catch (...) {  // metrics and the log line never take a request down
  }
}

}  // namespace gw::server
