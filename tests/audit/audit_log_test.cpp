#include <gtest/gtest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <map>
#include <optional>
#include <thread>

#include "audit/audit_log_impl.hpp"
#include "audit/test_util.hpp"
#include "support/manual_clock.hpp"

namespace gw::audit {
namespace {

using test::FakeSink;

struct Fixture {
  std::shared_ptr<FakeSink::State> state = std::make_shared<FakeSink::State>();
  std::shared_ptr<gw::test::ManualClock> clock = std::make_shared<gw::test::ManualClock>();
  AuditLogSharedPtr log;

  explicit Fixture(Mode mode, std::size_t capacity = 100, std::int64_t checkpoint_every = 0,
                   std::chrono::milliseconds sync_interval = std::chrono::milliseconds(1000)) {
    AuditConfig config;
    config.sync_interval = sync_interval;
    config.mode = mode;
    config.instance_id = "gw-test";
    config.queue_capacity = capacity;
    config.checkpoint_every = checkpoint_every;
    config.checkpoint_interval = std::chrono::milliseconds(0);
    std::vector<SinkPtr> sinks;
    sinks.push_back(std::make_unique<FakeSink>(state));
    log = *AuditLog::create(config, std::move(sinks), clock);
    EXPECT_TRUE(log->start());
  }
  std::vector<Entry> stored() {
    std::lock_guard lock(state->mutex);
    return state->stored;
  }
};

// Runs `io` until it has no work left (every request spawned on it has finished); fails when
// some request is still pending after kWaitLimit.
[[nodiscard]] ::testing::AssertionResult run_until_idle(boost::asio::io_context& io) {
  io.run_for(test::kWaitLimit);
  if (io.stopped()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "a request on the io_context was still pending after "
                                       << test::kWaitLimit.count() << " s";
}

RequestContext context(const std::string& id) {
  RequestContext ctx;
  ctx.request_id = id;
  ctx.method = "GET";
  ctx.path = "/x";
  return ctx;
}

// fail_closed: the response is held until the record is durable, and resumes on the
// request's own thread, never on the writer.
TEST(AuditLogTest, FailClosedWaitsForDurabilityAndResumesOnRequestExecutor) {
  Fixture f(Mode::FailClosed);
  auto stage = make_stage(f.log);
  test::set_gate(*f.state, false);
  int entered_before = f.state->writes_entered;

  boost::asio::io_context io;
  RequestContext ctx = context("req-1");
  bool verdict_ok = false;
  bool finished = false;
  std::thread::id resumed_on;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        Verdict v = co_await stage->on_request(ctx);
        verdict_ok = v.proceeds();
        ctx.status = 200;
        co_await stage->on_finishing(ctx, Completion{200, Reason::None, true});
        resumed_on = std::this_thread::get_id();
        finished = true;
      },
      boost::asio::detached);
  io.poll();
  EXPECT_TRUE(verdict_ok);
  // The writer is inside the sink write, which the gate holds: not durable yet.
  ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->writes_entered > entered_before; }));
  io.poll();
  EXPECT_FALSE(finished);

  test::set_gate(*f.state, true);
  ASSERT_TRUE(run_until_idle(io));  // returns once the coroutine has completed
  EXPECT_TRUE(finished);
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
  auto stored = f.stored();
  ASSERT_EQ(stored.size(), 2u);  // segment_start + the record
  EXPECT_EQ(stored[1].request_id, "req-1");
  EXPECT_EQ(stored[1].status, 200);
  f.log->stop();
}

TEST(AuditLogTest, FailClosedRejectsWhenTheQueueCannotTakeTheRecord) {
  Fixture f(Mode::FailClosed, /*capacity=*/1);
  auto stage = make_stage(f.log);
  boost::asio::io_context io;
  RequestContext first = context("a");
  RequestContext second = context("b");
  Verdict v1, v2;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        v1 = co_await stage->on_request(first);   // takes the only slot
        v2 = co_await stage->on_request(second);  // none left
      },
      boost::asio::detached);
  ASSERT_TRUE(run_until_idle(io));
  EXPECT_TRUE(v1.proceeds());
  EXPECT_EQ(v2.reason, Reason::AuditUnavailable);
  EXPECT_EQ(status(v2.reason), 503);
  // The rejected request is still recorded when it completes.
  second.status = 503;
  stage->on_complete(second, Completion{503, Reason::AuditUnavailable, false});
  stage->on_complete(first, Completion{200, Reason::None, true});
  f.log->stop();
  auto stored = f.stored();
  std::vector<std::string> ids;
  for (const auto& e : stored) ids.push_back(e.request_id);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "a"), ids.end());
}

// The pipeline asks decide_now first: it reserves exactly like on_request, and only a
// fail_closed stage has a finishing hook to wait for.
TEST(AuditLogTest, TheSynchronousPathReservesAndOnlyFailClosedFinishes) {
  Fixture f(Mode::FailClosed, /*capacity=*/1);
  auto stage = make_stage(f.log);
  EXPECT_TRUE(stage->has_finishing());
  RequestContext first = context("a");
  RequestContext second = context("b");
  auto v1 = stage->decide_now(first);
  auto v2 = stage->decide_now(second);
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(v2.has_value());
  EXPECT_TRUE(v1->proceeds());
  EXPECT_EQ(v2->reason, Reason::AuditUnavailable);
  stage->on_complete(second, Completion{503, Reason::AuditUnavailable, false});
  stage->on_complete(first, Completion{200, Reason::None, true});
  f.log->stop();

  Fixture g(Mode::BestEffort);
  auto relaxed = make_stage(g.log);
  EXPECT_FALSE(relaxed->has_finishing());
  RequestContext third = context("c");
  auto v3 = relaxed->decide_now(third);
  ASSERT_TRUE(v3.has_value());
  EXPECT_TRUE(v3->proceeds());
  relaxed->on_complete(third, Completion{200, Reason::None, true});
  g.log->stop();
  const auto stored = g.stored();
  EXPECT_NE(std::find_if(stored.begin(), stored.end(),
                         [](const Entry& e) { return e.request_id == "c"; }),
            stored.end());
}

TEST(AuditLogTest, FailClosedRejectsWhileASinkIsFailing) {
  Fixture f(Mode::FailClosed);
  {
    std::lock_guard lock(f.state->mutex);
    f.state->fail = true;
  }
  f.log->impl().submit(make_request_entry(context("x")), false);
  ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->failures > 0; }));
  // The writer marks the log unhealthy right after the failed write returns.
  bool rejected = false;
  for (int i = 0; i < 100000 && !rejected; ++i) {
    rejected = !f.log->impl().try_reserve();
    if (!rejected) f.log->impl().submit(make_request_entry(context("y")), true);
    std::this_thread::yield();
  }
  EXPECT_TRUE(rejected);
  {
    std::lock_guard lock(f.state->mutex);
    f.state->fail = false;
  }
  f.log->stop();
}

// best_effort never blocks: when the queue is full the record is dropped and counted.
TEST(AuditLogTest, BestEffortCountsDropsWhenQueueIsFull) {
  Fixture f(Mode::BestEffort, /*capacity=*/2);
  auto& dropped_metric = Stats::global().dropped;
  auto metric_before = dropped_metric.value();
  test::set_gate(*f.state, false);
  int entered_before = f.state->writes_entered;
  // A durability waiter makes the writer flush at once; it then blocks in the gated write.
  std::atomic<bool> durable{false};
  f.log->impl().submit(make_request_entry(context("r0")), false, [&](bool ok) { durable = ok; });
  ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->writes_entered > entered_before; }));

  EXPECT_TRUE(f.log->impl().submit(make_request_entry(context("r1")), false));
  EXPECT_TRUE(f.log->impl().submit(make_request_entry(context("r2")), false));
  EXPECT_FALSE(f.log->impl().submit(make_request_entry(context("r3")), false));
  EXPECT_EQ(f.log->dropped(), 1u);
  EXPECT_EQ(dropped_metric.value() - metric_before, 1u);
  EXPECT_EQ(f.log->queue_depth(), 2u);
  EXPECT_GE(Stats::global().queue_high_water.value(), 2.0);

  test::set_gate(*f.state, true);
  f.log->stop();
  EXPECT_TRUE(durable);
  std::vector<std::string> ids;
  for (const auto& e : f.stored()) ids.push_back(e.request_id);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "r1"), 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "r2"), 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "r3"), 0);
}

// Records are written over queue and batch slots that held earlier records: each stored record
// is exactly its request's, whatever the slot held before.
TEST(AuditLogTest, ReusedSlotsCarryNothingOverFromEarlierRecords) {
  Fixture f(Mode::BestEffort, 100, /*checkpoint_every=*/3);
  auto stage = make_stage(f.log);
  auto identity = std::make_shared<Identity>();
  identity->user_id = "dr-smith-with-a-name-too-long-for-a-short-string";
  identity->email = "dr.smith@hospital.example";
  std::vector<RequestContext> requests;
  for (int i = 0; i < 12; ++i) {
    RequestContext ctx = context("request-id-long-enough-to-be-allocated-" + std::to_string(i));
    ctx.status = 200;
    if (i % 3 == 0) {
      ctx.identity = identity;
      ctx.model.emplace().model = "gpt-4o-with-a-long-model-name";
      ctx.pii_findings = {{"email", 2}};
      ctx.decision = Decision::Allow;
    }
    requests.push_back(std::move(ctx));
  }
  std::size_t stored = 1;  // segment_start
  for (std::size_t i = 0; i < requests.size(); ++i) {
    stage->on_complete(requests[i], Completion{200, Reason::None, true});
    // One record per batch, so that every batch reuses the slots of the ones before.
    ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->stored.size() > stored; }));
    stored = f.stored().size();
  }
  f.log->stop();
  std::vector<Entry> records;
  for (const Entry& e : f.stored()) {
    if (!e.is_checkpoint()) records.push_back(e);
  }
  ASSERT_EQ(records.size(), requests.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    Entry expected = make_request_entry(requests[i]);
    Entry got = records[i];
    got.instance_id.clear();
    got.seq = 0;
    got.prev_hash.clear();
    got.hash.clear();
    EXPECT_EQ(got, expected) << "record " << i;
  }
  EXPECT_TRUE(verify_entries(f.stored(), nullptr).ok);
}

TEST(AuditLogTest, StopDrainsAndEndsWithSignedShutdownCheckpoint) {
  Fixture f(Mode::BestEffort, 100, /*checkpoint_every=*/3);
  for (int i = 0; i < 7; ++i) {
    f.log->impl().submit(make_request_entry(context("r" + std::to_string(i))), false);
  }
  f.log->stop();
  auto stored = f.stored();
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored.front().checkpoint, "segment_start");
  EXPECT_EQ(stored.back().checkpoint, "shutdown");
  int periodic = 0;
  for (const auto& e : stored) periodic += e.checkpoint == "periodic";
  EXPECT_EQ(periodic, 2);  // after records 3 and 6
  auto key = crypto::PublicKey::from_pem(f.log->public_key_pem());
  ASSERT_TRUE(key);
  auto report = verify_entries(stored, &*key);
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records, 7u);
  EXPECT_EQ(report.unsigned_tail, 0u);
  // Every checkpoint names the key (its id is computed once, at creation).
  for (const auto& e : stored) {
    if (e.is_checkpoint()) {
      EXPECT_EQ(e.key_id, key->thumbprint()) << e.seq;
    }
  }
}

TEST(AuditLogTest, CheckpointIntervalUsesTheInjectedClock) {
  auto state = std::make_shared<FakeSink::State>();
  auto clock = std::make_shared<gw::test::ManualClock>();
  AuditConfig config;
  config.instance_id = "gw-test";
  config.checkpoint_every = 0;
  config.checkpoint_interval = std::chrono::seconds(10);
  std::vector<SinkPtr> sinks;
  sinks.push_back(std::make_unique<FakeSink>(state));
  auto log = *AuditLog::create(config, std::move(sinks), clock);
  ASSERT_TRUE(log->start());
  std::atomic<int> done{0};
  log->impl().submit(make_request_entry(context("a")), false, [&](bool) { ++done; });
  ASSERT_TRUE(test::wait_for(*state, [&] { return state->stored.size() >= 2; }));
  clock->advance(std::chrono::seconds(11));
  log->impl().submit(make_request_entry(context("b")), false, [&](bool) { ++done; });
  ASSERT_TRUE(test::wait_for(*state, [&] { return state->stored.size() >= 4; }));
  {
    std::lock_guard lock(state->mutex);
    int periodic = 0;
    for (const auto& e : state->stored) periodic += e.checkpoint == "periodic";
    EXPECT_EQ(periodic, 1);
  }
  log->stop();
}

// Spins (no sleeping) until the writer is asleep waiting for work.
[[nodiscard]] ::testing::AssertionResult wait_until_writer_sleeps(AuditLog& log) {
  return test::spin_until([&] { return log.impl().writer_sleeping(); }, "the writer sleeps");
}

// Spins until the writer has taken everything queued and sleeps.
[[nodiscard]] ::testing::AssertionResult wait_until_queue_taken(AuditLog& log) {
  return test::spin_until([&] { return log.queue_depth() == 0 && log.impl().writer_sleeping(); },
                          "the writer has taken the queue and sleeps");
}

// best_effort: records that can wait for their batch do not wake the writer. The first record
// of a batch wakes it (to start the flush clock); the next ones only queue, until the batch is
// full, which wakes it once more and is written as one batch.
TEST(AuditLogTest, BestEffortWakesTheWriterPerBatchNotPerRecord) {
  auto state = std::make_shared<FakeSink::State>();
  state->batch_max = 4;
  state->flush_interval = std::chrono::hours(1);
  AuditConfig config;
  config.instance_id = "gw-test";
  config.checkpoint_every = 0;
  config.checkpoint_interval = std::chrono::milliseconds(0);
  std::vector<SinkPtr> sinks;
  sinks.push_back(std::make_unique<FakeSink>(state));
  auto log = *AuditLog::create(config, std::move(sinks));
  auto& batches_metric = Stats::global().batches("fake");
  const auto batches_before = batches_metric.value();
  ASSERT_TRUE(log->start());
  ASSERT_TRUE(wait_until_writer_sleeps(*log));
  const auto wakeups = log->impl().writer_wakeups();

  ASSERT_TRUE(log->impl().submit(make_request_entry(context("r1")), false));
  EXPECT_EQ(log->impl().writer_wakeups(), wakeups + 1);
  // The writer takes r1 into its batch and sleeps until the batch is full or due.
  ASSERT_TRUE(wait_until_queue_taken(*log));

  ASSERT_TRUE(log->impl().submit(make_request_entry(context("r2")), false));
  ASSERT_TRUE(log->impl().submit(make_request_entry(context("r3")), false));
  EXPECT_EQ(log->impl().writer_wakeups(), wakeups + 1);
  EXPECT_EQ(log->queue_depth(), 2u);
  {
    std::lock_guard lock(state->mutex);
    EXPECT_EQ(state->batch_sizes, std::vector<std::size_t>{1});  // segment_start only
  }

  ASSERT_TRUE(log->impl().submit(make_request_entry(context("r4")), false));
  EXPECT_EQ(log->impl().writer_wakeups(), wakeups + 2);
  ASSERT_TRUE(test::wait_for(*state, [&] { return state->stored.size() == 5; }));
  {
    std::lock_guard lock(state->mutex);
    EXPECT_EQ(state->batch_sizes, (std::vector<std::size_t>{1, 4}));
    for (int i = 1; i <= 4; ++i) {
      EXPECT_EQ(state->stored[static_cast<std::size_t>(i)].request_id, "r" + std::to_string(i));
    }
  }
  log->stop();
  // segment_start, the batch of four, the shutdown checkpoint.
  EXPECT_EQ(batches_metric.value() - batches_before, 3u);
}

// A durability waiter wakes a sleeping writer at once, even below batch_max and before the
// flush deadline.
TEST(AuditLogTest, DurabilityWaiterWakesTheWriterAtOnce) {
  auto state = std::make_shared<FakeSink::State>();
  state->batch_max = 100;
  state->flush_interval = std::chrono::hours(1);
  AuditConfig config;
  config.instance_id = "gw-test";
  config.checkpoint_every = 0;
  config.checkpoint_interval = std::chrono::milliseconds(0);
  std::vector<SinkPtr> sinks;
  sinks.push_back(std::make_unique<FakeSink>(state));
  auto log = *AuditLog::create(config, std::move(sinks));
  ASSERT_TRUE(log->start());
  ASSERT_TRUE(log->impl().submit(make_request_entry(context("queued")), false));
  ASSERT_TRUE(wait_until_queue_taken(*log));

  std::atomic<bool> durable{false};
  ASSERT_TRUE(log->impl().submit(make_request_entry(context("waited")), false,
                                 [&](bool ok) { durable = ok; }));
  ASSERT_TRUE(test::wait_for(*state, [&] { return state->stored.size() == 3; }));
  {
    // One commit carries the queued record and the waited one (group commit).
    std::lock_guard lock(state->mutex);
    EXPECT_EQ(state->batch_sizes, (std::vector<std::size_t>{1, 2}));
  }
  log->stop();
  EXPECT_TRUE(durable);
}

// fail_closed: records made durable by one commit resume their requests with one post per
// executor (io_context), not one per record; each resumes on its own io_context.
TEST(AuditLogTest, FailClosedCompletionsArePostedOncePerExecutorPerCommit) {
  Fixture f(Mode::FailClosed);
  auto stage = make_stage(f.log);
  test::set_gate(*f.state, false);
  const int entered_before = f.state->writes_entered;

  boost::asio::io_context io_a, io_b;
  std::vector<RequestContext> contexts;
  contexts.reserve(5);
  std::mutex resumed_mutex;
  std::map<std::string, std::thread::id> resumed_on;
  auto spawn = [&](boost::asio::io_context& io, const std::string& id) {
    contexts.push_back(context(id));
    RequestContext& ctx = contexts.back();
    boost::asio::co_spawn(
        io,
        [&, id]() -> boost::asio::awaitable<void> {
          Verdict v = co_await stage->on_request(ctx);
          EXPECT_TRUE(v.proceeds());
          ctx.status = 200;
          co_await stage->on_finishing(ctx, Completion{200, Reason::None, true});
          std::lock_guard lock(resumed_mutex);
          resumed_on[id] = std::this_thread::get_id();
        },
        boost::asio::detached);
  };
  // The first record's commit is held in the sink; four more queue behind it, from two
  // io_contexts.
  spawn(io_a, "a1");
  io_a.poll();
  ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->writes_entered > entered_before; }));
  spawn(io_a, "a2");
  spawn(io_a, "a3");
  spawn(io_b, "b1");
  spawn(io_b, "b2");
  io_a.poll();
  io_b.poll();
  {
    std::lock_guard lock(resumed_mutex);
    EXPECT_TRUE(resumed_on.empty());
  }
  const auto posts_before = f.log->impl().completion_posts();

  test::set_gate(*f.state, true);
  std::thread::id b_thread;
  std::thread runner_b([&] {
    b_thread = std::this_thread::get_id();
    io_b.run_for(test::kWaitLimit);
  });
  const auto a_idle = run_until_idle(io_a);
  runner_b.join();
  ASSERT_TRUE(a_idle);
  ASSERT_TRUE(io_b.stopped()) << "a request on io_b was still pending after "
                              << test::kWaitLimit.count() << " s";

  ASSERT_EQ(resumed_on.size(), 5u);
  for (const char* id : {"a1", "a2", "a3"}) EXPECT_EQ(resumed_on[id], std::this_thread::get_id());
  for (const char* id : {"b1", "b2"}) EXPECT_EQ(resumed_on[id], b_thread);
  // Commit 1 (a1): one post to io_a. Commit 2 (a2, a3, b1, b2): one post to each io_context;
  // when one sync covers both commits, a single post per io_context.
  const auto posts = f.log->impl().completion_posts() - posts_before;
  EXPECT_GE(posts, 2u);
  EXPECT_LE(posts, 3u);
  {
    std::lock_guard lock(f.state->mutex);
    EXPECT_EQ(f.state->batch_sizes, (std::vector<std::size_t>{1, 1, 4}));
  }
  f.log->stop();
}

// A fail_closed record that cannot be queued completes with false, posted to the request's
// executor rather than run inline.
TEST(AuditLogTest, DroppedRecordCompletesWithFalseOnTheHandlersExecutor) {
  Fixture f(Mode::FailClosed);
  f.log->stop();
  boost::asio::io_context io;
  std::optional<bool> durable;
  f.log->impl().async_submit(make_request_entry(context("late")), false,
                             boost::asio::bind_executor(io, [&](bool ok) { durable = ok; }));
  EXPECT_FALSE(durable.has_value());
  ASSERT_TRUE(run_until_idle(io));
  ASSERT_TRUE(durable.has_value());
  EXPECT_FALSE(*durable);
  EXPECT_EQ(f.log->dropped(), 1u);
}

// Runs one fail_closed request on `io` up to its durability wait; `finished` is set when it
// resumes.
void spawn_request(boost::asio::io_context& io, Stage& stage, RequestContext& ctx,
                   std::atomic<bool>& finished) {
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        Verdict v = co_await stage.on_request(ctx);
        EXPECT_TRUE(v.proceeds());
        ctx.status = 200;
        co_await stage.on_finishing(ctx, Completion{200, Reason::None, true});
        finished = true;
      },
      boost::asio::detached);
  io.poll();
}

// fail_closed: a committed record is not enough; the response waits for the sync that makes
// it durable.
TEST(AuditLogTest, FailClosedWaitsForTheSyncNotJustTheCommit) {
  Fixture f(Mode::FailClosed);
  auto stage = make_stage(f.log);
  test::set_sync_gate(*f.state, false);
  const int syncs_before = f.state->syncs_entered;
  boost::asio::io_context io;
  RequestContext ctx = context("req-1");
  std::atomic<bool> finished{false};
  spawn_request(io, *stage, ctx, finished);
  ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->syncs_entered > syncs_before; }));
  {
    std::lock_guard lock(f.state->mutex);
    ASSERT_EQ(f.state->stored.size(), 2u);  // committed: segment_start + the record
    EXPECT_EQ(f.state->stored[1].request_id, "req-1");
    EXPECT_EQ(f.state->durable, 0u);  // the sync that covers it is held
  }
  io.poll();
  EXPECT_FALSE(finished);
  test::set_sync_gate(*f.state, true);
  ASSERT_TRUE(run_until_idle(io));
  EXPECT_TRUE(finished);
  f.log->stop();
}

// Group commit across the flush: while one sync runs, the writer commits the next records, and
// the following sync covers them.
TEST(AuditLogTest, WriterCommitsTheNextBatchWhileThePreviousIsSyncing) {
  Fixture f(Mode::FailClosed);
  auto stage = make_stage(f.log);
  test::set_sync_gate(*f.state, false);
  const int syncs_before = f.state->syncs_entered;
  boost::asio::io_context io;
  RequestContext first = context("first");
  RequestContext second = context("second");
  std::atomic<bool> first_done{false}, second_done{false};
  spawn_request(io, *stage, first, first_done);
  ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->syncs_entered > syncs_before; }));
  spawn_request(io, *stage, second, second_done);
  // Committed while the first sync is still held.
  ASSERT_TRUE(test::wait_for(*f.state, [&] {
    return !f.state->stored.empty() && f.state->stored.back().request_id == "second";
  }));
  EXPECT_EQ(f.state->syncs_entered, syncs_before + 1);
  io.poll();
  EXPECT_FALSE(first_done);
  EXPECT_FALSE(second_done);
  test::set_sync_gate(*f.state, true);
  ASSERT_TRUE(run_until_idle(io));
  EXPECT_TRUE(first_done);
  EXPECT_TRUE(second_done);
  {
    std::lock_guard lock(f.state->mutex);
    EXPECT_EQ(f.state->durable, 3u);
  }
  f.log->stop();
}

// A failing sync keeps the waiter suspended and refuses new fail_closed requests; once the sink
// syncs again (retried with backoff), the waiter resumes.
TEST(AuditLogTest, FailingSyncHoldsWaitersAndRefusesNewRequests) {
  Fixture f(Mode::FailClosed);
  auto stage = make_stage(f.log);
  {
    std::lock_guard lock(f.state->mutex);
    f.state->sync_fail = true;
  }
  boost::asio::io_context io;
  RequestContext ctx = context("held");
  std::atomic<bool> finished{false};
  spawn_request(io, *stage, ctx, finished);
  ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->sync_failures > 0; }));
  // The syncer marks the log unhealthy right after the failed sync returns.
  bool refused = false;
  for (int i = 0; i < 100000 && !refused; ++i) {
    refused = !f.log->impl().try_reserve();
    if (!refused) f.log->impl().submit(make_request_entry(context("probe")), true);
    std::this_thread::yield();
  }
  EXPECT_TRUE(refused);
  io.poll();
  EXPECT_FALSE(finished);
  {
    std::lock_guard lock(f.state->mutex);
    f.state->sync_fail = false;
    f.state->changed.notify_all();
  }
  ASSERT_TRUE(run_until_idle(io));  // once the retried sync has succeeded and the request resumed
  EXPECT_TRUE(finished);
  EXPECT_TRUE(f.log->impl().try_reserve());
  f.log->impl().submit(make_request_entry(context("after")), true);
  f.log->stop();
}

// best_effort: commits nobody waits for are synced once per sync_interval, not per batch; the
// sync that stop() runs makes the rest durable.
TEST(AuditLogTest, BestEffortSyncsAtMostOncePerSyncInterval) {
  Fixture f(Mode::BestEffort, 100, 0, std::chrono::hours(1));
  // The first commit opens the interval and is synced at once.
  f.log->impl().submit(make_request_entry(context("r0")), false);
  ASSERT_TRUE(
      test::wait_for(*f.state, [&] { return f.state->durable == 2u; }));  // segment_start + r0
  for (int i = 1; i < 3; ++i) {
    f.log->impl().submit(make_request_entry(context("r" + std::to_string(i))), false);
    ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->stored.size() == 2u + i; }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int syncs = 0;
  {
    std::lock_guard lock(f.state->mutex);
    syncs = f.state->syncs_entered;
    EXPECT_EQ(f.state->durable, 2u);  // r1 and r2 committed, not synced within the interval
  }
  f.log->stop();
  std::lock_guard lock(f.state->mutex);
  EXPECT_EQ(f.state->syncs_entered, syncs + 1);
  EXPECT_EQ(f.state->durable, f.state->stored.size());  // with the shutdown checkpoint
}

// Someone waiting for durability does not wait for the interval.
TEST(AuditLogTest, ADurabilityWaiterIsSyncedAtOnceDespiteTheSyncInterval) {
  Fixture f(Mode::BestEffort, 100, 0, std::chrono::hours(1));
  f.log->impl().submit(make_request_entry(context("unwaited")), false);
  ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->stored.size() == 2u; }));
  std::promise<bool> durable;
  f.log->impl().submit(make_request_entry(context("waited")), false,
                       [&](bool ok) { durable.set_value(ok); });
  auto result = durable.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(result.get());
  {
    std::lock_guard lock(f.state->mutex);
    EXPECT_EQ(f.state->durable, 3u);
  }
  f.log->stop();
}

// sync_interval 0: every commit is synced, as fail_closed's are.
TEST(AuditLogTest, ZeroSyncIntervalSyncsEveryCommit) {
  Fixture f(Mode::BestEffort, 100, 0, std::chrono::milliseconds(0));
  for (int i = 0; i < 3; ++i) {
    f.log->impl().submit(make_request_entry(context("r" + std::to_string(i))), false);
    ASSERT_TRUE(test::wait_for(*f.state, [&] { return f.state->durable == 2u + i; }));
  }
  f.log->stop();
}

}  // namespace
}  // namespace gw::audit
