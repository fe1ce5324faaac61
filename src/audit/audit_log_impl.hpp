#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <concepts>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "audit/audit.hpp"
#include "audit/chain.hpp"
#include "audit/sink.hpp"
#include "audit/stats.hpp"
#include "crypto/crypto.hpp"

namespace gw::audit {

// A move-only `void(bool)`: a coroutine's completion handler cannot live in a std::function.
class Resume {
 public:
  Resume() = default;
  template <class F>
  explicit Resume(F fn) : impl_(std::make_unique<Model<F>>(std::move(fn))) {}
  explicit operator bool() const noexcept { return impl_ != nullptr; }
  void operator()(bool durable) { impl_->call(durable); }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual void call(bool durable) = 0;
  };
  template <class F>
  struct Model final : Concept {
    explicit Model(F f) : fn(std::move(f)) {}
    void call(bool durable) override { std::move(fn)(durable); }
    F fn;
  };
  std::unique_ptr<Concept> impl_;
};

// Packs a record into a queue slot: a reference to a callable, used only during the call. The
// slot holds an earlier record, whose buffer the new one reuses.
class Fill {
 public:
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, Fill> && std::invocable<F&, PackedRecord&>)
      Fill(F&& fill)
  noexcept  // NOLINT: converts from any callable, like std::function_ref
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(fill)))),
        call_([](void* f, PackedRecord& r) { (*static_cast<std::remove_reference_t<F>*>(f))(r); }) {
  }
  void operator()(PackedRecord& slot) const { call_(object_, slot); }

 private:
  void* object_;
  void (*call_)(void*, PackedRecord&);
};

struct AuditLog::Impl {
  using Callback = std::function<void(bool durable)>;  // called on an audit thread

  // Who hears that a record is durable (or never will be): a callback run on the audit
  // thread that learns it (tests, embedding), or a handler resumed on its executor. Handlers made
  // durable by one sync are posted together, one post per executor, so a sync costs one
  // cross-thread wakeup per I/O thread rather than one per record.
  struct Notify {
    Callback on_audit_thread;
    boost::asio::any_io_executor executor;  // tracks work: keeps the io_context running
    Resume resume;
    explicit operator bool() const noexcept { return on_audit_thread || resume; }
  };

  Impl(AuditConfig config, std::vector<SinkPtr> sinks, crypto::PrivateKey key,
       ClockSharedPtr clock);

  // fail_closed admission: takes a queue slot for a request that will submit later. False
  // when the queue is full or a sink is failing.
  bool try_reserve();
  // Queues a record (the chain fields are filled by the writer). `reserved`: uses the slot
  // taken by try_reserve. Returns false when the record was dropped (then `done`, if any, is
  // called with false before returning).
  bool submit(Entry&& entry, bool reserved, Callback done = {});
  // The same with the record packed in place into its queue slot (the I/O threads): in steady
  // state a record allocates nothing, and no thread frees memory another allocated.
  bool emplace(Fill fill, bool reserved) { return enqueue(fill, reserved, Notify{}); }

  // Queues the record and completes once it is durable in every sink (true) or can no longer
  // become so (false). The completion runs on the handler's executor, never on the writer.
  template <class Token>
  auto async_submit(Entry&& entry, bool reserved, Token&& token) {
    return async_emplace([e = std::move(entry)](PackedRecord& slot) { slot.pack(e); }, reserved,
                         std::forward<Token>(token));
  }
  // The same with the record packed in place (see emplace): `fill(PackedRecord&)` runs once, before
  // this returns or, for a deferred token (use_awaitable), when the caller suspends.
  template <class F, class Token>
  auto async_emplace(F fill, bool reserved, Token&& token) {
    return boost::asio::async_initiate<Token, void(bool)>(
        [this](auto handler, F f, bool r) {
          boost::asio::any_io_executor executor =
              boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                  boost::asio::execution::outstanding_work.tracked);
          enqueue(f, r, Notify{{}, std::move(executor), Resume(std::move(handler))});
        },
        token, std::move(fill), reserved);
  }

  // Queues the record; wakes the writer only when it sleeps and the record needs it now.
  bool enqueue(Fill fill, bool reserved, Notify&& notify);
  // Tells every notify the outcome: callbacks inline, handlers batched per executor.
  void complete(std::vector<Notify>& notifies, bool durable);

  Result<void> start();
  void stop();
  void run();       // writer thread body: chains, checkpoints, commits batches
  void run_sync();  // syncer thread body: makes commits durable, resumes their waiters
  // Writer: hands over what each sink has committed (by seq) and the waiters drained since.
  void publish_commits(const std::vector<std::int64_t>& committed,
                       std::vector<std::pair<std::int64_t, Notify>>& waiters);

  std::int64_t now_ms() const;
  void note_drop(std::uint64_t n, std::string_view why);

  // For tests: whether the writer is asleep waiting for work, and how often submit woke it
  // and how many completion batches it posted.
  bool writer_sleeping() const;
  std::uint64_t writer_wakeups() const;
  std::uint64_t completion_posts() const noexcept { return completion_posts_.load(); }

  AuditConfig config_;
  std::vector<SinkPtr> sinks_;
  crypto::PrivateKey key_;
  std::string key_id_;  // key_'s RFC 7638 thumbprint, for the checkpoints
  ClockSharedPtr clock_;
  Stats& stats_;
  std::vector<metrics::Counter*> written_;
  std::vector<metrics::Counter*> errors_;
  std::vector<metrics::Counter*> batches_;

  struct Pending {
    PackedRecord record;
    Notify notify;
  };
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // Records are queue_[0, queued_); the slots past them keep earlier records' buffers for reuse.
  // Swapped with the writer's batch, whose records it has unpacked into its sinks' entries.
  std::vector<Pending> queue_;
  std::size_t queued_ = 0;
  std::size_t queued_waiters_ = 0;  // records in queue_ with a notify
  std::size_t reserved_ = 0;
  bool stopping_ = false;
  bool running_ = false;
  // Set by the writer while it sleeps; cleared by whoever wakes it, so one wakeup is sent
  // per sleep. While it sleeps, a record wakes it only if it carries a notify or the queue
  // reaches wake_at_queue_size_ (a sink's batch is full, or a first record starts a batch).
  bool writer_waiting_ = false;
  std::size_t wake_at_queue_size_ = 1;
  std::uint64_t writer_wakeups_ = 0;
  std::size_t high_water_ = 0;
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::int64_t> last_drop_log_ms_{0};
  std::atomic<std::uint64_t> completion_posts_{0};
  std::thread writer_;

  // Writer -> syncer handover. committed_[i]: highest seq committed to sink i; synced_[i]:
  // highest seq durable in sink i. A waiter is resumed once every synced_[i] reaches its seq.
  std::mutex sync_mutex_;
  std::condition_variable sync_wake_;
  std::vector<std::int64_t> committed_;
  std::vector<std::int64_t> synced_;
  std::vector<std::pair<std::int64_t, Notify>> sync_waiters_;  // in seq order
  bool syncer_waiting_ = false;
  // The syncer sleeps until its sync_interval is due: new commits alone do not wake it, a
  // durability waiter or stop() does.
  bool syncer_deferring_ = false;
  bool sync_stopping_ = false;
  std::atomic<bool> sync_healthy_{true};
  std::thread syncer_;

  // Writer-thread state.
  std::optional<Chain> chain_;
};

}  // namespace gw::audit
