#include "identity/token_cache.hpp"

#include <gtest/gtest.h>

namespace gw::identity {
namespace {

std::shared_ptr<const Identity> identity(std::string user) {
  auto id = std::make_shared<Identity>();
  id->user_id = std::move(user);
  return id;
}

TEST(TokenCacheTest, ReturnsTheSameIdentityUntilTheTokenExpires) {
  TokenCache cache(100);
  const std::string key = "token-a";
  auto alice = identity("alice");
  cache.insert(key, alice, 1000, 900);
  EXPECT_EQ(cache.find(key, 900), alice);
  EXPECT_EQ(cache.find(key, 999), alice);
  EXPECT_EQ(cache.find(key, 1000), nullptr);  // expired with the token
  EXPECT_EQ(cache.size(), 0u);                // and dropped
}

TEST(TokenCacheTest, OnlyTheVeryTokenFindsItsIdentity) {
  TokenCache cache(100);
  cache.insert("header.payload.signature", identity("alice"), 1000, 0);
  EXPECT_NE(cache.find("header.payload.signature", 0), nullptr);
  EXPECT_EQ(cache.find("header.payload.signaturf", 0), nullptr);
  EXPECT_EQ(cache.find("header.payload.signature ", 0), nullptr);
  EXPECT_EQ(cache.find("header.payload.", 0), nullptr);
  EXPECT_EQ(cache.find("", 0), nullptr);
  // Long tokens that end alike (same hash, same bucket) are still told apart.
  const std::string tail(80, 's');
  cache.insert("alice." + tail, identity("alice"), 1000, 0);
  cache.insert("bob." + tail, identity("bob"), 1000, 0);
  EXPECT_EQ(cache.find("alice." + tail, 0)->user_id, "alice");
  EXPECT_EQ(cache.find("bob." + tail, 0)->user_id, "bob");
  EXPECT_EQ(cache.find("carol." + tail, 0), nullptr);
}

TEST(TokenCacheTest, CountsHitsAndMisses) {
  TokenCache cache(100);
  const std::string key = "token-a";
  EXPECT_EQ(cache.find(key, 0), nullptr);
  cache.insert(key, identity("alice"), 1000, 0);
  EXPECT_NE(cache.find(key, 0), nullptr);
  EXPECT_NE(cache.find(key, 0), nullptr);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(TokenCacheTest, IgnoresAlreadyExpiredTokens) {
  TokenCache cache(100);
  cache.insert("t", identity("a"), 500, 500);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCacheTest, StaysWithinItsBound) {
  TokenCache cache(64);
  for (int i = 0; i < 1000; ++i) {
    cache.insert("token-" + std::to_string(i), identity("u"), 10'000 + i, 0);
  }
  EXPECT_LE(cache.size(), 64u);
  // The newest entry is there; the cache evicted the ones expiring first.
  EXPECT_NE(cache.find("token-999", 0), nullptr);
}

TEST(TokenCacheTest, FullShardDropsExpiredEntriesFirst) {
  TokenCache cache(16);  // one entry per shard
  const std::string a = "token-a";
  cache.insert(a, identity("a"), 100, 0);
  std::string b;  // another token in `a`'s shard
  for (int i = 0; b.empty() || TokenCache::shard_index(b) != TokenCache::shard_index(a); ++i) {
    b = "token-b" + std::to_string(i);
  }
  cache.insert(b, identity("b"), 1000, 200);
  EXPECT_EQ(cache.find(a, 200), nullptr);
  EXPECT_NE(cache.find(b, 200), nullptr);
}

}  // namespace
}  // namespace gw::identity
