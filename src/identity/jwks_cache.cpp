#include "identity/jwks_cache.hpp"

#include <fmt/chrono.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/metrics.hpp"
#include "identity/oidc_discovery.hpp"
#include "identity/stats.hpp"

namespace gw::identity {
namespace {

// What a failed fetch was doing (the `stage` label of gw_identity_key_fetch_failures_total).
constexpr std::string_view kDiscoveryStage = "discovery";
constexpr std::string_view kJwksStage = "jwks";

}  // namespace

// One coroutine waiting for the fetch in flight, on its own executor (any thread).
class JwksCache::Waiter {
 public:
  explicit Waiter(net::any_io_executor executor) : channel_(std::move(executor), 1) {}
  // Thread-safe: the channel buffers the wake-up, so waking before waiting is fine.
  void wake() { channel_.try_send(boost::system::error_code{}); }
  net::awaitable<void> wait() {
    co_await channel_.async_receive(net::as_tuple(net::use_awaitable));
  }

 private:
  net::experimental::concurrent_channel<void(boost::system::error_code)> channel_;
};

// Ends the fetch even when its coroutine is destroyed mid-way (executor shut down), so that
// waiters are always woken and a later fetch can start.
struct JwksCache::FetchGuard {
  JwksCache& cache;
  bool done = false;
  ~FetchGuard() {
    if (!done) cache.finish(false, "fetch abandoned");
  }
};

JwksCache::JwksCache(JwksCacheOptions options, Fetcher fetcher, ClockSharedPtr clock)
    : options_(std::move(options)),
      fetcher_(std::move(fetcher)),
      clock_(std::move(clock)),
      fetch_ok_(Stats::jwks_fetches(options_.issuer, true)),
      fetch_error_(Stats::jwks_fetches(options_.issuer, false)),
      kid_misses_(Stats::jwks_kid_misses(options_.issuer)),
      discovery_failures_(Stats::key_fetch_failures(options_.issuer, kDiscoveryStage)),
      jwks_failures_(Stats::key_fetch_failures(options_.issuer, kJwksStage)),
      resolved_jwks_uri_(options_.jwks_uri) {}

std::shared_ptr<JwksCache> JwksCache::create(JwksCacheOptions options, Fetcher fetcher,
                                             ClockSharedPtr clock) {
  return std::shared_ptr<JwksCache>(
      new JwksCache(std::move(options), std::move(fetcher), std::move(clock)));
}

void JwksCache::note_kid_miss() noexcept { kid_misses_.inc(); }

std::string JwksCache::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

net::awaitable<std::shared_ptr<const KeySet>> JwksCache::refetch() { return fetch(false); }

net::awaitable<std::shared_ptr<const KeySet>> JwksCache::refresh() { return fetch(true); }

net::awaitable<std::shared_ptr<const KeySet>> JwksCache::fetch(bool force) {
  auto executor = co_await net::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  bool start = false;
  bool rate_limited = false;
  {
    std::lock_guard lock(mutex_);
    if (!in_flight_) {
      const auto now = clock_->now();
      if (!force && last_attempt_ && now - *last_attempt_ < options_.min_refetch_interval) {
        rate_limited = true;  // a fetch started recently
      } else {
        in_flight_ = true;
        last_attempt_ = now;
        start = true;
      }
    }
    if (!rate_limited) waiters_.push_back(waiter);
  }
  if (rate_limited) co_return keys();
  if (start) net::co_spawn(executor, run_fetch(shared_from_this()), net::detached);
  co_await waiter->wait();
  co_return keys();
}

net::awaitable<void> JwksCache::run_fetch(std::shared_ptr<JwksCache> self) {
  FetchGuard guard{*self};
  self->attempts_.fetch_add(1);
  std::string_view stage = kJwksStage;
  std::string url;
  std::string cause;
  bool ok = false;
  try {
    {
      std::lock_guard lock(self->mutex_);
      url = self->resolved_jwks_uri_;
    }
    if (url.empty()) {
      stage = kDiscoveryStage;
      url = discovery_url(self->options_.issuer);
      auto document = co_await self->fetcher_(url);
      if (!document) {
        cause = std::move(document.error().detail);
      } else if (auto parsed = parse_discovery(*document, self->options_.issuer,
                                               self->options_.max_jwks_bytes);
                 !parsed) {
        cause = std::move(parsed.error().detail);
      } else {
        url = std::move(*parsed);
        stage = kJwksStage;
        std::lock_guard lock(self->mutex_);
        self->resolved_jwks_uri_ = url;
      }
    }
    if (stage == kJwksStage) {
      auto body = co_await self->fetcher_(url);
      if (!body) {
        cause = std::move(body.error().detail);
      } else if (auto set = parse_jwks(*body, self->options_.max_jwks_bytes); !set) {
        cause = std::move(set.error().detail);
      } else {
        set->fetched_at = self->clock_->now();
        self->keys_.store(std::make_shared<const KeySet>(std::move(*set)),
                          std::memory_order_release);
        ok = true;
      }
      if (!ok && self->options_.jwks_uri.empty()) {
        std::lock_guard lock(self->mutex_);
        self->resolved_jwks_uri_.clear();  // discover again next time: the IdP may have moved
      }
    }
  } catch (const std::exception& e) {
    cause = std::string("fetch failed: ") + e.what();
  }
  guard.done = true;
  self->report(ok, stage, url, cause);
  self->finish(ok, ok ? std::string() : std::string(stage) + ": " + cause);
}

std::chrono::milliseconds JwksCache::retry_delay() const noexcept {
  // Until keys arrive, retry at the refetch interval (at least a second) rather than waiting
  // a whole refresh interval.
  if (ready()) return options_.refresh_interval;
  return std::min(options_.refresh_interval,
                  std::max(options_.min_refetch_interval, std::chrono::milliseconds(1000)));
}

void JwksCache::report(bool ok, std::string_view stage, const std::string& url,
                       const std::string& cause) {
  // Called once per fetch attempt, and attempts are rate-limited: an outage logs one line per
  // retry, never one per request.
  if (ok) {
    if (const auto failed = consecutive_failures_.exchange(0); failed > 0) {
      spdlog::info("identity: keys of issuer {} fetched from {} after {} failed attempt(s)",
                   options_.issuer, url, failed);
    }
    return;
  }
  consecutive_failures_.fetch_add(1);
  (stage == kDiscoveryStage ? discovery_failures_ : jwks_failures_).inc();
  const auto delay = retry_delay();
  spdlog::warn(
      "identity: {} fetch for issuer {} failed ({}): {}; next retry at {:%FT%TZ} (in {} s); {}",
      stage, options_.issuer, url, cause, fmt::gmtime(clock_->now() + delay),
      std::chrono::duration_cast<std::chrono::seconds>(delay).count(),
      ready() ? "tokens are still verified with the cached keys"
              : "no keys yet: its tokens are refused with jwks_unavailable");
}

void JwksCache::finish(bool ok, std::string error) {
  std::vector<std::shared_ptr<Waiter>> waiters;
  {
    std::lock_guard lock(mutex_);
    in_flight_ = false;
    if (!ok) last_error_ = std::move(error);
    waiters.swap(waiters_);
  }
  (ok ? fetch_ok_ : fetch_error_).inc();
  for (auto& waiter : waiters) waiter->wake();
}

void JwksCache::start(net::any_io_executor executor) {
  auto timer = std::make_shared<net::steady_timer>(executor);
  {
    std::lock_guard lock(mutex_);
    timer_ = timer;
  }
  stopped_ = false;
  net::co_spawn(executor, refresh_loop(shared_from_this(), timer), net::detached);
}

void JwksCache::stop() {
  stopped_ = true;
  std::shared_ptr<net::steady_timer> timer;
  {
    std::lock_guard lock(mutex_);
    timer.swap(timer_);
  }
  // Timers are not thread-safe: cancel on the timer's own executor.
  if (timer) net::post(timer->get_executor(), [timer] { timer->cancel(); });
}

net::awaitable<void> JwksCache::refresh_loop(std::shared_ptr<JwksCache> self,
                                             std::shared_ptr<net::steady_timer> timer) {
  while (!self->stopped_) {
    co_await self->refresh();
    if (self->stopped_) break;
    timer->expires_after(self->retry_delay());
    co_await timer->async_wait(net::as_tuple(net::use_awaitable));
  }
}

}  // namespace gw::identity
