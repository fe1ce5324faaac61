#include "identity/jwks_cache.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "core/metrics.hpp"
#include "identity/fake_idp.hpp"
#include "support/async_test.hpp"
#include "support/manual_clock.hpp"
#include "support/test_tokens.hpp"

namespace gw::identity {
namespace {

using namespace std::chrono_literals;
using crypto::Algorithm;

constexpr const char* kIssuer = "https://idp.test/";
constexpr const char* kJwksUri = "https://idp.test/jwks";

class JwksCacheTest : public ::testing::Test {
 protected:
  std::shared_ptr<JwksCache> make_cache(std::string jwks_uri = kJwksUri) {
    JwksCacheOptions options;
    options.issuer = kIssuer;
    options.jwks_uri = std::move(jwks_uri);
    options.refresh_interval = 5min;
    options.min_refetch_interval = 30s;
    return JwksCache::create(options, idp_.fetcher(), clock_);
  }

  std::shared_ptr<const KeySet> refetch(JwksCache& cache) {
    return test::run_awaitable(io_, cache.refetch());
  }

  boost::asio::io_context io_;
  std::shared_ptr<test::ManualClock> clock_ = std::make_shared<test::ManualClock>();
  test::FakeIdp idp_;
  test::TestIssuer key1_;
};

TEST_F(JwksCacheTest, IsNotReadyUntilTheFirstFetch) {
  idp_.serve(kJwksUri, key1_.jwks());
  auto cache = make_cache();
  EXPECT_FALSE(cache->ready());
  EXPECT_EQ(cache->keys(), nullptr);
  auto keys = refetch(*cache);
  ASSERT_NE(keys, nullptr);
  EXPECT_TRUE(cache->ready());
  EXPECT_TRUE(keys->by_kid.contains("key-1"));
  EXPECT_EQ(idp_.urls(), std::vector<std::string>{kJwksUri});
}

TEST_F(JwksCacheTest, RefetchesUnknownKidAtMostOncePerInterval) {
  idp_.serve(kJwksUri, key1_.jwks());
  auto cache = make_cache();
  refetch(*cache);
  EXPECT_EQ(idp_.calls(), 1);
  // A flood of unknown kids within the interval costs no further fetch.
  for (int i = 0; i < 10; ++i) refetch(*cache);
  EXPECT_EQ(idp_.calls(), 1);
  clock_->advance(29s);
  refetch(*cache);
  EXPECT_EQ(idp_.calls(), 1);
  clock_->advance(1s);
  refetch(*cache);
  EXPECT_EQ(idp_.calls(), 2);
  refetch(*cache);
  EXPECT_EQ(idp_.calls(), 2);
}

TEST_F(JwksCacheTest, ConcurrentRequestsShareOneFetch) {
  idp_.serve(kJwksUri, key1_.jwks());
  auto cache = make_cache();
  idp_.close_gate(io_.get_executor());
  int completed = 0;
  for (int i = 0; i < 5; ++i) {
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> {
          auto keys = co_await cache->refetch();
          if (keys) ++completed;
        },
        boost::asio::detached);
  }
  io_.poll();  // everyone is now waiting on the one fetch held at the gate
  EXPECT_EQ(idp_.calls(), 1);
  EXPECT_EQ(completed, 0);
  idp_.open_gate();
  io_.run();
  EXPECT_EQ(completed, 5);
  EXPECT_EQ(idp_.calls(), 1);
  EXPECT_EQ(cache->fetch_attempts(), 1u);
}

TEST_F(JwksCacheTest, ThreadsWithTheirOwnIoContextsShareOneFetch) {
  idp_.serve(kJwksUri, key1_.jwks());
  auto cache = make_cache();
  std::atomic<int> ready{0};
  auto worker = [&] {
    boost::asio::io_context io;
    for (int i = 0; i < 20; ++i) {
      boost::asio::co_spawn(
          io,
          [&]() -> boost::asio::awaitable<void> {
            if (co_await cache->refetch()) ++ready;
          },
          boost::asio::detached);
    }
    io.run();
  };
  std::thread a(worker);
  std::thread b(worker);
  a.join();
  b.join();
  // The clock never moved: one fetch served all; nobody came back empty-handed.
  EXPECT_EQ(idp_.calls(), 1);
  EXPECT_EQ(ready.load(), 40);
}

TEST_F(JwksCacheTest, KeepsLastGoodKeysWhenTheIdpFails) {
  idp_.serve(kJwksUri, key1_.jwks());
  auto cache = make_cache();
  auto good = refetch(*cache);
  ASSERT_NE(good, nullptr);
  idp_.fail(kJwksUri);
  clock_->advance(31s);
  EXPECT_EQ(refetch(*cache), good);
  EXPECT_EQ(idp_.calls(), 2);
  EXPECT_NE(cache->last_error().find("503"), std::string::npos);
  // A document without usable keys does not replace them either.
  idp_.serve(kJwksUri, R"({"keys":[]})");
  clock_->advance(31s);
  EXPECT_EQ(refetch(*cache), good);
  EXPECT_TRUE(cache->ready());
}

TEST_F(JwksCacheTest, PicksUpRotatedKeys) {
  idp_.serve(kJwksUri, key1_.jwks());
  auto cache = make_cache();
  refetch(*cache);
  test::TestIssuer key2 = key1_;
  key2.kid = "key-2";
  key2.slot = 1;
  idp_.serve(kJwksUri, test::jwks_document({key2.jwk()}));
  clock_->advance(30s);
  auto keys = refetch(*cache);
  ASSERT_NE(keys, nullptr);
  EXPECT_TRUE(keys->by_kid.contains("key-2"));
  EXPECT_FALSE(keys->by_kid.contains("key-1"));
  EXPECT_EQ(cache->keys(), keys);
}

TEST_F(JwksCacheTest, FailedFirstFetchLeavesItNotReady) {
  auto cache = make_cache();
  EXPECT_EQ(refetch(*cache), nullptr);
  EXPECT_FALSE(cache->ready());
  EXPECT_EQ(refetch(*cache), nullptr);  // rate-limited: no second fetch yet
  EXPECT_EQ(idp_.calls(), 1);
}

TEST_F(JwksCacheTest, RefreshIgnoresTheRateLimit) {
  idp_.serve(kJwksUri, key1_.jwks());
  auto cache = make_cache();
  test::run_awaitable(io_, cache->refresh());
  test::run_awaitable(io_, cache->refresh());
  EXPECT_EQ(idp_.calls(), 2);
}

TEST_F(JwksCacheTest, DiscoversTheJwksUriFromTheIssuer) {
  idp_.serve("https://idp.test/.well-known/openid-configuration",
             test::discovery_document(kIssuer, "https://idp.test/keys"));
  idp_.serve("https://idp.test/keys", key1_.jwks());
  auto cache = make_cache("");
  ASSERT_NE(refetch(*cache), nullptr);
  EXPECT_EQ(idp_.urls(),
            (std::vector<std::string>{"https://idp.test/.well-known/openid-configuration",
                                      "https://idp.test/keys"}));
  // Later fetches reuse the discovered URI.
  clock_->advance(30s);
  refetch(*cache);
  EXPECT_EQ(idp_.urls().back(), "https://idp.test/keys");
  EXPECT_EQ(idp_.calls(), 3);
}

TEST_F(JwksCacheTest, RefusesDiscoveryDocumentOfAnotherIssuer) {
  idp_.serve("https://idp.test/.well-known/openid-configuration",
             test::discovery_document("https://evil.test/", "https://evil.test/keys"));
  idp_.serve("https://evil.test/keys", key1_.jwks());
  auto cache = make_cache("");
  EXPECT_EQ(refetch(*cache), nullptr);
  EXPECT_EQ(idp_.calls(), 1);
  EXPECT_NE(cache->last_error().find("another issuer"), std::string::npos);
}

TEST_F(JwksCacheTest, BackgroundRefreshFetchesAtStartAndStops) {
  idp_.serve(kJwksUri, key1_.jwks());
  auto cache = make_cache();
  cache->start(io_.get_executor());
  while (!cache->ready()) io_.run_one();
  EXPECT_EQ(idp_.calls(), 1);
  cache->stop();
  io_.run();  // the loop ends: run() returns instead of waiting for the 5 minute timer
  EXPECT_EQ(idp_.calls(), 1);
}

TEST_F(JwksCacheTest, CountsFetchResults) {
  auto& ok = metrics::Registry::global().counter("gw_identity_jwks_fetches_total", "",
                                                 {{"issuer", kIssuer}, {"result", "ok"}});
  auto& error = metrics::Registry::global().counter("gw_identity_jwks_fetches_total", "",
                                                    {{"issuer", kIssuer}, {"result", "error"}});
  const auto ok_before = ok.value();
  const auto error_before = error.value();
  auto cache = make_cache();
  refetch(*cache);
  idp_.serve(kJwksUri, key1_.jwks());
  clock_->advance(30s);
  refetch(*cache);
  EXPECT_EQ(ok.value() - ok_before, 1u);
  EXPECT_EQ(error.value() - error_before, 1u);
}

// Captures what the cache logs: a synchronous default logger for the test's duration.
class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64)),
        previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // The captured lines at `level`.
  std::vector<std::string> lines(spdlog::level::level_enum level) const {
    std::vector<std::string> out;
    for (const auto& message : sink_->last_raw()) {
      if (message.level == level) out.emplace_back(message.payload.begin(), message.payload.end());
    }
    return out;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

metrics::Counter& key_fetch_failures(const std::string& stage) {
  return metrics::Registry::global().counter("gw_identity_key_fetch_failures_total", "",
                                             {{"issuer", kIssuer}, {"stage", stage}});
}

TEST_F(JwksCacheTest, LogsAFailedFetchOncePerAttemptNotPerRequest) {
  LogCapture log;
  auto cache = make_cache();
  refetch(*cache);
  auto warnings = log.lines(spdlog::level::warn);
  ASSERT_EQ(warnings.size(), 1u);
  // Issuer, stage, URL, cause and when the next attempt comes.
  EXPECT_TRUE(contains(warnings[0], kIssuer)) << warnings[0];
  EXPECT_TRUE(contains(warnings[0], "jwks fetch")) << warnings[0];
  EXPECT_TRUE(contains(warnings[0], std::string("HTTP 503 from ") + kJwksUri)) << warnings[0];
  EXPECT_TRUE(contains(warnings[0], "next retry at ")) << warnings[0];
  EXPECT_TRUE(contains(warnings[0], "jwks_unavailable")) << warnings[0];
  // Requests within the refetch interval make no attempt, so they log nothing.
  for (int i = 0; i < 20; ++i) refetch(*cache);
  EXPECT_EQ(log.lines(spdlog::level::warn).size(), 1u);
  clock_->advance(30s);
  refetch(*cache);
  EXPECT_EQ(log.lines(spdlog::level::warn).size(), 2u);
  EXPECT_EQ(idp_.calls(), 2);
}

TEST_F(JwksCacheTest, RequestsSharingOneFailedFetchLogItOnce) {
  LogCapture log;
  auto cache = make_cache();
  idp_.close_gate(io_.get_executor());
  int completed = 0;
  for (int i = 0; i < 5; ++i) {
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> {
          co_await cache->refetch();
          ++completed;
        },
        boost::asio::detached);
  }
  io_.poll();  // everyone is now waiting on the one fetch held at the gate
  idp_.open_gate();
  io_.run();
  EXPECT_EQ(completed, 5);
  EXPECT_EQ(idp_.calls(), 1);
  EXPECT_EQ(log.lines(spdlog::level::warn).size(), 1u);
}

TEST_F(JwksCacheTest, LogsGarbageFromTheIdpWithItsCauseAndKeepsTheCachedKeys) {
  LogCapture log;
  idp_.serve(kJwksUri, key1_.jwks());
  auto cache = make_cache();
  ASSERT_NE(refetch(*cache), nullptr);
  EXPECT_TRUE(log.lines(spdlog::level::warn).empty());
  idp_.serve(kJwksUri, "<html>maintenance</html>");
  clock_->advance(30s);
  EXPECT_NE(refetch(*cache), nullptr);
  const auto warnings = log.lines(spdlog::level::warn);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(contains(warnings[0], kIssuer)) << warnings[0];
  const std::string cause = cache->last_error().substr(std::string_view("jwks: ").size());
  EXPECT_FALSE(cause.empty());
  EXPECT_TRUE(contains(warnings[0], cause)) << warnings[0];
  EXPECT_TRUE(contains(warnings[0], "cached keys")) << warnings[0];
  // Recovery is logged once too.
  idp_.serve(kJwksUri, key1_.jwks());
  clock_->advance(30s);
  refetch(*cache);
  const auto infos = log.lines(spdlog::level::info);
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_TRUE(contains(infos[0], "after 1 failed attempt")) << infos[0];
}

TEST_F(JwksCacheTest, CountsKeyFetchFailuresByStage) {
  auto& discovery = key_fetch_failures("discovery");
  auto& jwks = key_fetch_failures("jwks");
  const auto discovery_before = discovery.value();
  const auto jwks_before = jwks.value();
  LogCapture log;
  auto cache = make_cache("");  // discovery first: the IdP serves nothing
  refetch(*cache);
  EXPECT_EQ(discovery.value() - discovery_before, 1u);
  EXPECT_EQ(jwks.value() - jwks_before, 0u);
  const auto warnings = log.lines(spdlog::level::warn);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(contains(warnings[0], "discovery fetch")) << warnings[0];
  EXPECT_TRUE(contains(warnings[0], "https://idp.test/.well-known/openid-configuration"))
      << warnings[0];
  // Discovery works, the JWKS it names is garbage.
  idp_.serve("https://idp.test/.well-known/openid-configuration",
             test::discovery_document(kIssuer, kJwksUri));
  idp_.serve(kJwksUri, "not json");
  clock_->advance(30s);
  refetch(*cache);
  EXPECT_EQ(discovery.value() - discovery_before, 1u);
  EXPECT_EQ(jwks.value() - jwks_before, 1u);
}

}  // namespace
}  // namespace gw::identity
