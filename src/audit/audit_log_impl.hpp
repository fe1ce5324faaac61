#pragma once

#include <atomic>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "audit/audit.hpp"
#include "audit/chain.hpp"
#include "audit/sink.hpp"
#include "audit/stats.hpp"
#include "crypto/crypto.hpp"

namespace gw::audit {

struct AuditLog::Impl {
  using Callback = std::function<void(bool durable)>;  // called on the writer thread

  Impl(AuditConfig config, std::vector<SinkPtr> sinks, crypto::PrivateKey key,
       ClockSharedPtr clock);

  // fail_closed admission: takes a queue slot for a request that will submit later. False
  // when the queue is full or a sink is failing.
  bool try_reserve();
  // Queues a record (the chain fields are filled by the writer). `reserved`: uses the slot
  // taken by try_reserve. Returns false when the record was dropped (then `done`, if any, is
  // called with false before returning).
  bool submit(Entry&& entry, bool reserved, Callback done = {});

  // Queues the record and completes once it is durable in every sink (true) or can no longer
  // become so (false). The completion runs on the handler's executor, never on the writer.
  template <class Token>
  auto async_submit(Entry&& entry, bool reserved, Token&& token) {
    return boost::asio::async_initiate<Token, void(bool)>(
        [this](auto handler, Entry&& e, bool r) {
          using Handler = decltype(handler);
          auto executor = boost::asio::get_associated_executor(handler);
          struct State {
            Handler handler;
            boost::asio::executor_work_guard<decltype(executor)> work;
          };
          auto state = std::make_shared<State>(
              State{std::move(handler), boost::asio::make_work_guard(executor)});
          submit(std::move(e), r, [state, executor](bool durable) {
            boost::asio::post(executor, [state, durable]() mutable {
              auto work = std::move(state->work);
              std::move(state->handler)(durable);
            });
          });
        },
        token, std::move(entry), reserved);
  }

  Result<void> start();
  void stop();
  void run();  // writer thread body

  std::int64_t now_ms() const;
  void note_drop(std::uint64_t n, std::string_view why);

  AuditConfig config_;
  std::vector<SinkPtr> sinks_;
  crypto::PrivateKey key_;
  ClockSharedPtr clock_;
  Stats& stats_;
  std::vector<metrics::Counter*> written_;
  std::vector<metrics::Counter*> errors_;

  struct Pending {
    Entry entry;
    Callback done;
  };
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::size_t reserved_ = 0;
  bool stopping_ = false;
  bool running_ = false;
  std::size_t high_water_ = 0;
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::int64_t> last_drop_log_ms_{0};
  std::thread writer_;

  // Writer-thread state.
  std::optional<Chain> chain_;
};

}  // namespace gw::audit
