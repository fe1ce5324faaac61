#pragma once

// The keys of one issuer, shared by every worker thread.
//
// Readers load the current KeySet with one atomic load (no lock). Fetches are single-flight:
// whoever needs keys while a fetch is in flight (any thread) waits for that fetch instead of
// starting another. A failed fetch keeps the last good keys; it is logged (issuer, URL, cause,
// next retry) and counted once per attempt.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "identity/identity.hpp"
#include "identity/jwks.hpp"

namespace gw::metrics {
class Counter;
}

namespace gw::identity {

struct JwksCacheOptions {
  std::string issuer;
  std::string jwks_uri;  // empty: discover it from the issuer
  std::chrono::milliseconds refresh_interval{300'000};
  std::chrono::milliseconds min_refetch_interval{30'000};
  std::size_t max_jwks_bytes = 1024 * 1024;
};

class JwksCache : public std::enable_shared_from_this<JwksCache> {
 public:
  static std::shared_ptr<JwksCache> create(JwksCacheOptions options, Fetcher fetcher,
                                           ClockSharedPtr clock);

  // The current keys; null until the first successful fetch. Lock-free.
  std::shared_ptr<const KeySet> keys() const noexcept {
    return keys_.load(std::memory_order_acquire);
  }
  bool ready() const noexcept { return keys() != nullptr; }

  // For a token whose kid is unknown (or when no keys were ever fetched): fetches, unless a
  // fetch started less than min_refetch_interval ago; joins a fetch already in flight. Returns
  // the keys afterwards (unchanged when rate-limited or when the fetch failed).
  net::awaitable<std::shared_ptr<const KeySet>> refetch();
  // Fetches now regardless of the rate limit (background refresh); joins a fetch in flight.
  net::awaitable<std::shared_ptr<const KeySet>> refresh();
  // Counts a token naming a kid the keys do not hold (gw_identity_jwks_kid_misses_total).
  void note_kid_miss() noexcept;

  // Refreshes every refresh_interval on `executor` (sooner while no keys were fetched yet).
  void start(net::any_io_executor executor);
  void stop();

  const JwksCacheOptions& options() const noexcept { return options_; }
  std::uint64_t fetch_attempts() const noexcept { return attempts_.load(); }
  std::string last_error() const;

 private:
  JwksCache(JwksCacheOptions options, Fetcher fetcher, ClockSharedPtr clock);
  class Waiter;
  struct FetchGuard;

  net::awaitable<std::shared_ptr<const KeySet>> fetch(bool force);
  static net::awaitable<void> run_fetch(std::shared_ptr<JwksCache> self);
  static net::awaitable<void> refresh_loop(std::shared_ptr<JwksCache> self,
                                           std::shared_ptr<net::steady_timer> timer);
  // The wait before the background refresh fetches again.
  std::chrono::milliseconds retry_delay() const noexcept;
  // Logs and counts a failed attempt (stage "discovery" or "jwks"), or a recovery.
  void report(bool ok, std::string_view stage, const std::string& url, const std::string& cause);
  void finish(bool ok, std::string error);

  const JwksCacheOptions options_;
  const Fetcher fetcher_;
  const ClockSharedPtr clock_;
  std::atomic<std::shared_ptr<const KeySet>> keys_;
  std::atomic<std::uint64_t> attempts_{0};
  std::atomic<bool> stopped_{false};
  metrics::Counter& fetch_ok_;
  metrics::Counter& fetch_error_;
  metrics::Counter& kid_misses_;
  metrics::Counter& discovery_failures_;
  metrics::Counter& jwks_failures_;
  std::atomic<std::uint64_t> consecutive_failures_{0};

  mutable std::mutex mutex_;  // guards everything below
  bool in_flight_ = false;
  std::optional<std::chrono::system_clock::time_point> last_attempt_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
  std::string resolved_jwks_uri_;
  std::string last_error_;
  std::shared_ptr<net::steady_timer> timer_;
};

}  // namespace gw::identity
