#include "server/pipeline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "support/async_test.hpp"
#include "support/compress.hpp"

namespace gw::server {
namespace {

// A stage that records every hook it sees into a shared log, as "<name>.<hook>".
class RecordingStage final : public Stage {
 public:
  RecordingStage(std::string name, std::vector<std::string>& log)
      : name_(std::move(name)), log_(log) {}

  std::string_view name() const noexcept override { return name_; }
  net::awaitable<Verdict> on_request(RequestContext& ctx) override {
    note("on_request");
    co_return decide(ctx);
  }
  std::optional<Verdict> decide_now(RequestContext& ctx) override {
    if (suspends) return std::nullopt;
    note("decide_now");
    return decide(ctx);
  }
  bool needs_body(const RequestContext&) const noexcept override { return wants_body; }
  void on_response_head(RequestContext&, const UpstreamResponse&) override { note("head"); }
  void on_response_chunk(RequestContext&, const BodyChunk& chunk) override {
    note("chunk");
    seen += chunk.data;
  }
  bool transforms_response(const RequestContext&) const noexcept override { return transform; }
  void on_response_piece(RequestContext&, ResponsePiece& piece) override {
    if (on_piece) on_piece(piece);
  }
  void on_response_end(RequestContext& ctx, const ResponseEnd& end) noexcept override {
    note("end");
    end_kind = end.kind;
    end_usage = ctx.usage;
  }
  bool has_finishing() const noexcept override { return finishing; }
  net::awaitable<void> on_finishing(RequestContext&, const Completion&) override {
    note("finishing");
    co_return;
  }
  void on_complete(RequestContext&, const Completion&) noexcept override { note("complete"); }

  Verdict decide(RequestContext& ctx) {
    if (wants_body) body_seen = ctx.body;
    return reject == Reason::None ? Verdict::proceed() : Verdict::reject(reject, "no");
  }
  void note(std::string_view hook) { log_.push_back(name_ + "." + std::string(hook)); }

  bool suspends = false;
  bool wants_body = false;
  bool transform = false;
  bool finishing = false;
  Reason reject = Reason::None;
  std::function<void(ResponsePiece&)> on_piece;
  std::string seen;
  std::string body_seen;
  std::optional<EndKind> end_kind;
  Usage end_usage;

 private:
  std::string name_;
  std::vector<std::string>& log_;
};

class FakeBody final : public BodyReader {
 public:
  net::awaitable<Result<void>> read_body(RequestContext& ctx) override { co_return read(ctx); }
  Result<void> read(RequestContext& ctx) {
    ++reads;
    if (fail) return make_error(Reason::BodyTooLarge, "too big");
    ctx.body = "{\"model\":\"m\"}";
    ctx.body_buffered = true;
    return {};
  }
  int reads = 0;
  bool fail = false;
};

class PipelineTest : public ::testing::Test {
 protected:
  RecordingStage& add(std::string name) {
    stages_.push_back(std::make_unique<RecordingStage>(std::move(name), log_));
    return *stages_.back();
  }
  Pipeline build() {
    std::vector<Stage*> list;
    for (auto& s : stages_) list.push_back(s.get());
    return Pipeline(std::move(list), PipelineOptions{});
  }
  Verdict run(Exchange& exchange, BodyReader* body) {
    if (auto now = exchange.try_run_request()) return *now;
    return test::run_awaitable(io_, exchange.run_request(body));
  }
  void finish(Exchange& exchange) {
    if (exchange.finishing_pending()) test::run_awaitable(io_, finish_task(exchange));
  }
  static net::awaitable<bool> finish_task(Exchange& exchange) {
    co_await exchange.finish();
    co_return true;
  }
  // The hooks of the log that match `hook`, in order.
  std::vector<std::string> only(std::string_view hook) const {
    std::vector<std::string> out;
    for (const auto& entry : log_) {
      if (entry.ends_with("." + std::string(hook))) out.push_back(entry);
    }
    return out;
  }

  boost::asio::io_context io_;
  std::vector<std::string> log_;
  std::vector<std::unique_ptr<RecordingStage>> stages_;
  RequestContext ctx_;
};

using Log = std::vector<std::string>;

// A proxied request: request hooks in order, response hooks in reverse order, and the end,
// finishing and completion exactly once each, in that order.
TEST_F(PipelineTest, AProxiedRequestRunsRequestHooksInOrderAndResponseHooksInReverse) {
  add("a").finishing = true;
  add("b");
  add("c").finishing = true;
  auto pipeline = build();
  ctx_.body_buffered = true;
  Exchange exchange(pipeline, ctx_);
  ASSERT_TRUE(run(exchange, nullptr).proceeds());
  ctx_.upstream_reached = true;
  auto plan = exchange.on_upstream_head(200, "application/json", "", true);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->mode, BodyPlan::Mode::Pass);
  ASSERT_TRUE(exchange.on_upstream_piece("hello", true));
  exchange.end_response(EndKind::Complete);
  finish(exchange);
  exchange.complete();
  EXPECT_EQ(log_, (Log{"a.decide_now", "b.decide_now", "c.decide_now", "c.head", "b.head", "a.head",
                       "c.chunk", "b.chunk", "a.chunk", "c.end", "b.end", "a.end", "c.finishing",
                       "a.finishing", "c.complete", "b.complete", "a.complete"}));
}

// A stage's rejection skips the later stages; the rejected request still ends, finishes and
// completes once, as a local answer.
TEST_F(PipelineTest, ARejectionSkipsLaterStagesAndStillCompletesOnce) {
  add("a").finishing = true;
  add("b").reject = Reason::ModelNotAllowed;
  add("c");
  auto pipeline = build();
  ctx_.body_buffered = true;
  Exchange exchange(pipeline, ctx_);
  const auto verdict = run(exchange, nullptr);
  EXPECT_EQ(verdict.reason, Reason::ModelNotAllowed);
  exchange.respond_locally(403, verdict.reason);
  finish(exchange);
  exchange.complete();
  exchange.complete();  // a second call does nothing
  EXPECT_EQ(log_, (Log{"a.decide_now", "b.decide_now", "c.end", "b.end", "a.end", "a.finishing",
                       "c.complete", "b.complete", "a.complete"}));
  EXPECT_EQ(stages_[0]->end_kind, EndKind::Local);
  EXPECT_EQ(ctx_.status, 403);
}

// A stage that must wait is awaited; the body is read once, only when a stage first needs it.
TEST_F(PipelineTest, TheBodyIsReadWhenTheFirstStageNeedsItAndSuspendingStagesAreAwaited) {
  add("a").suspends = true;
  auto& b = add("b");
  b.wants_body = true;
  add("c");
  auto pipeline = build();
  FakeBody body;
  Exchange exchange(pipeline, ctx_);
  EXPECT_FALSE(exchange.try_run_request());
  EXPECT_TRUE(test::run_awaitable(io_, exchange.run_request(&body)).proceeds());
  EXPECT_EQ(body.reads, 1);
  EXPECT_EQ(b.body_seen, "{\"model\":\"m\"}");
  EXPECT_EQ(log_, (Log{"a.on_request", "b.decide_now", "c.decide_now"}));
}

// A body that cannot be read rejects the request with the reader's reason.
TEST_F(PipelineTest, AFailedBodyReadRejectsTheRequest) {
  add("a").wants_body = true;
  auto pipeline = build();
  FakeBody body;
  body.fail = true;
  Exchange exchange(pipeline, ctx_);
  EXPECT_EQ(test::run_awaitable(io_, exchange.run_request(&body)).reason, Reason::BodyTooLarge);
}

// The decision endpoint has no body: stages that need one are passed over.
TEST_F(PipelineTest, BodyStagesAreSkippedWhenAskedTo) {
  add("a");
  add("b").wants_body = true;
  add("c");
  auto pipeline = build();
  Exchange exchange(pipeline, ctx_);
  exchange.skip_body_stages();
  auto verdict = exchange.try_run_request();
  ASSERT_TRUE(verdict);
  EXPECT_TRUE(verdict->proceeds());
  EXPECT_EQ(log_, (Log{"a.decide_now", "c.decide_now"}));
}

// A built-in endpoint or an admin refusal: no request stage runs, yet the end, finishing and
// completion each run once.
TEST_F(PipelineTest, ALocalAnswerWithoutStagesStillEndsFinishesAndCompletes) {
  add("a").finishing = true;
  add("b");
  auto pipeline = build();
  Exchange exchange(pipeline, ctx_);
  exchange.respond_locally(404, Reason::NoRoute);
  finish(exchange);
  exchange.complete();
  EXPECT_EQ(log_, (Log{"b.end", "a.end", "a.finishing", "b.complete", "a.complete"}));
}

// A client that goes away mid-stream: the end says so, once, with the usage counted so far.
TEST_F(PipelineTest, AClientThatLeavesMidStreamEndsAsClientClosedWithCountedUsage) {
  auto& a = add("a");
  auto pipeline = build();
  ctx_.model = ModelRequest{"gpt", "gpt", true, {}};
  ctx_.body_bytes = 400;
  ctx_.upstream_reached = true;
  Exchange exchange(pipeline, ctx_);
  ASSERT_TRUE(exchange.on_upstream_head(200, "text/event-stream", "", true));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(exchange.on_upstream_piece(
        "data: {\"choices\":[{\"delta\":{\"content\":\"word\"}}]}\n\n", false));
  }
  exchange.end_response(EndKind::ClientClosed);
  exchange.end_response(EndKind::Complete);  // too late: the first end stands
  exchange.complete();
  EXPECT_EQ(only("end"), Log{"a.end"});
  EXPECT_EQ(a.end_kind, EndKind::ClientClosed);
  EXPECT_TRUE(a.end_usage.estimated);
  EXPECT_EQ(a.end_usage.output_tokens, 3);
  EXPECT_EQ(a.end_usage.input_tokens, 100);
}

// An upstream that fails mid-answer: the end says so, once, before finishing and completion,
// with the usage of what passed.
TEST_F(PipelineTest, AnUpstreamFailureMidAnswerEndsAsUpstreamErrorBeforeFinishing) {
  auto& a = add("a");
  a.finishing = true;
  auto pipeline = build();
  ctx_.model = ModelRequest{"claude", "claude", true, {}};
  ctx_.upstream_reached = true;
  Exchange exchange(pipeline, ctx_);
  ASSERT_TRUE(exchange.on_upstream_head(200, "text/event-stream", "", true));
  ASSERT_TRUE(exchange.on_upstream_piece(
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\"abcdefghijkl\"}}\n\n",
      false));
  exchange.end_response(EndKind::UpstreamError);
  finish(exchange);
  exchange.complete();
  EXPECT_EQ(log_, (Log{"a.head", "a.chunk", "a.end", "a.finishing", "a.complete"}));
  EXPECT_EQ(a.end_kind, EndKind::UpstreamError);
  EXPECT_EQ(a.end_usage.output_tokens, 3);  // 12 bytes of text
  EXPECT_TRUE(a.end_usage.estimated);
}

// Reported usage wins over counting, and is what the end carries.
TEST_F(PipelineTest, TheEndCarriesReportedUsage) {
  auto& a = add("a");
  auto pipeline = build();
  ctx_.model = ModelRequest{"gpt", "gpt", false, {}};
  ctx_.upstream_reached = true;
  Exchange exchange(pipeline, ctx_);
  ASSERT_TRUE(exchange.on_upstream_head(200, "application/json", "", true));
  ASSERT_TRUE(exchange.on_upstream_piece(R"({"usage":{"prompt_tokens":9,)", false));
  ASSERT_TRUE(exchange.on_upstream_piece(R"("completion_tokens":4}})", true));
  exchange.end_response(EndKind::Complete);
  EXPECT_EQ(a.end_kind, EndKind::Complete);
  EXPECT_TRUE(a.end_usage.reported);
  EXPECT_EQ(a.end_usage.input_tokens, 9);
  EXPECT_EQ(a.end_usage.output_tokens, 4);
}

// A transforming stage rewrites pieces; the body is then framed by the gateway.
TEST_F(PipelineTest, ATransformingStageRewritesEveryPiece) {
  auto& a = add("a");
  a.transform = true;
  a.on_piece = [](ResponsePiece& p) {
    for (auto& c : p.data) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  };
  auto pipeline = build();
  Exchange exchange(pipeline, ctx_);
  auto plan = exchange.on_upstream_head(200, "text/plain", "", true);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->mode, BodyPlan::Mode::Rewrite);
  EXPECT_EQ(std::string(exchange.on_upstream_piece("abc", false)->data), "ABC");
  EXPECT_EQ(std::string(exchange.on_upstream_piece("def", true)->data), "DEF");
}

// A stage may hold back half an SSE event until the rest arrives; everything held leaves with
// the last piece.
TEST_F(PipelineTest, ATransformingStageHoldsBackAPartialEvent) {
  auto& a = add("a");
  a.transform = true;
  a.on_piece = [](ResponsePiece& p) {
    p.held += p.data;
    p.data.clear();
    const auto end = p.is_last ? p.held.size() : p.held.rfind("\n\n");
    if (end == std::string::npos) return;
    const auto cut = p.is_last ? end : end + 2;
    p.data = p.held.substr(0, cut);
    p.held.erase(0, cut);
  };
  auto pipeline = build();
  Exchange exchange(pipeline, ctx_);
  ASSERT_TRUE(exchange.on_upstream_head(200, "text/event-stream", "", true));
  EXPECT_EQ(std::string(exchange.on_upstream_piece("data: one\n\ndata: tw", false)->data),
            "data: one\n\n");
  EXPECT_EQ(std::string(exchange.on_upstream_piece("o\n", false)->data), "");
  EXPECT_EQ(std::string(exchange.on_upstream_piece("\ndata: three", true)->data),
            "data: two\n\ndata: three");
}

// A stage that ends the stream early with its own final piece: the end is CutByStage, and the
// stages after it in response order are told it is the last piece.
TEST_F(PipelineTest, AStageCanEndTheStreamEarlyWithItsOwnFinalPiece) {
  auto& first = add("first");
  first.transform = true;
  bool first_saw_last = false;
  first.on_piece = [&](ResponsePiece& p) { first_saw_last = p.is_last; };
  auto& cutter = add("cutter");
  cutter.transform = true;
  cutter.on_piece = [](ResponsePiece& p) {
    p.data = "data: [DONE]\n\n";
    p.end_stream = true;
  };
  auto pipeline = build();
  ctx_.upstream_reached = true;
  Exchange exchange(pipeline, ctx_);
  ASSERT_TRUE(exchange.on_upstream_head(200, "text/event-stream", "", true));
  auto out = exchange.on_upstream_piece("data: x\n\n", false);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->end_stream);
  EXPECT_EQ(std::string(out->data), "data: [DONE]\n\n");
  EXPECT_TRUE(first_saw_last);
  exchange.end_response(EndKind::Complete);
  EXPECT_EQ(first.end_kind, EndKind::CutByStage);
}

// A compressed answer on a model route is decoded before any stage sees it, and usage is read
// from it.
TEST_F(PipelineTest, ACompressedModelAnswerIsDecodedBeforeStagesAndUsage) {
  auto& a = add("a");
  auto pipeline = build();
  ctx_.route = RouteMatch{};
  ctx_.route->kind = ApiKind::OpenAI;
  ctx_.model = ModelRequest{"gpt", "gpt", false, {}};
  ctx_.upstream_reached = true;
  Exchange exchange(pipeline, ctx_);
  auto plan = exchange.on_upstream_head(200, "application/json", "gzip", true);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->decoded);
  EXPECT_EQ(plan->mode, BodyPlan::Mode::Rewrite);
  const std::string text = R"({"usage":{"prompt_tokens":3,"completion_tokens":8}})";
  const std::string packed = test::compress(text);
  std::string sent;
  sent += exchange.on_upstream_piece(std::string_view(packed).substr(0, 10), false)->data;
  sent += exchange.on_upstream_piece(std::string_view(packed).substr(10), true)->data;
  EXPECT_EQ(sent, text);
  EXPECT_EQ(a.seen, text);
  exchange.end_response(EndKind::Complete);
  EXPECT_EQ(a.end_usage.output_tokens, 8);
}

// A stream's pieces are decoded without a total bound, but one piece that expands past the
// whole-body bound (a decompression bomb) is refused.
TEST_F(PipelineTest, ACompressedPieceThatExpandsPastTheBoundIsRefused) {
  add("a");
  std::vector<Stage*> list{stages_[0].get()};
  Pipeline pipeline(std::move(list), PipelineOptions{64 * 1024});
  auto start = [&](RequestContext& ctx) {
    ctx.route = RouteMatch{};
    ctx.route->kind = ApiKind::OpenAI;
    auto exchange = std::make_unique<Exchange>(pipeline, ctx);
    EXPECT_TRUE(exchange->on_upstream_head(200, "text/event-stream", "gzip", true));
    return exchange;
  };
  // 256 KiB of varied text in 1 KiB compressed pieces: every piece passes.
  std::string stream;
  std::uint32_t x = 12345;
  while (stream.size() < 256 * 1024) {
    x = x * 1103515245u + 12345u;
    stream += static_cast<char>('a' + (x >> 16) % 26);
  }
  const std::string packed = test::compress(stream);
  auto exchange = start(ctx_);
  std::string decoded;
  for (std::size_t i = 0; i < packed.size(); i += 1024) {
    auto out = exchange->on_upstream_piece(std::string_view(packed).substr(i, 1024),
                                           i + 1024 >= packed.size());
    ASSERT_TRUE(out) << out.error().detail;
    decoded += out->data;
  }
  EXPECT_EQ(decoded, stream);
  // 1 MiB of one letter in one small piece: refused.
  RequestContext bomb_ctx;
  auto bomb = start(bomb_ctx);
  auto out = bomb->on_upstream_piece(test::compress(std::string(1 << 20, 'a')), true);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().reason, Reason::UpstreamProtocolError);
}

// An encoding the gateway cannot decode is refused on routes whose answers stages read; a
// generic route passes it through untouched.
TEST_F(PipelineTest, AnUndecodableEncodingIsRefusedOnlyWhereAStageReadsTheAnswer) {
  add("a");
  auto pipeline = build();
  ctx_.route = RouteMatch{};
  ctx_.route->kind = ApiKind::Mcp;
  Exchange mcp(pipeline, ctx_);
  auto refused = mcp.on_upstream_head(200, "application/json", "br", true);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, Reason::UpstreamProtocolError);

  RequestContext generic;
  generic.route = RouteMatch{};
  Exchange plain(pipeline, generic);
  auto passed = plain.on_upstream_head(200, "application/json", "br", true);
  ASSERT_TRUE(passed);
  EXPECT_EQ(passed->mode, BodyPlan::Mode::Pass);
  EXPECT_FALSE(passed->decoded);
}

// Corrupt compressed bytes end the answer with an error rather than passing garbage on.
TEST_F(PipelineTest, CorruptCompressedBytesAreAnError) {
  add("a");
  auto pipeline = build();
  ctx_.route = RouteMatch{};
  ctx_.route->kind = ApiKind::OpenAI;
  Exchange exchange(pipeline, ctx_);
  ASSERT_TRUE(exchange.on_upstream_head(200, "application/json", "gzip", true));
  auto out = exchange.on_upstream_piece("this is not gzip at all", true);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().reason, Reason::UpstreamProtocolError);
}

}  // namespace
}  // namespace gw::server
