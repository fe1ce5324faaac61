#include "identity/jwks_cache.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace gw::identity
