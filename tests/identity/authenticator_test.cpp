#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "core/metrics.hpp"
#include "identity/fake_idp.hpp"
#include "identity/identity.hpp"
#include "support/async_test.hpp"
#include "support/manual_clock.hpp"
#include "support/test_tokens.hpp"

namespace gw::identity {
namespace {

using namespace std::chrono_literals;

constexpr const char* kJwksUri = "https://idp.test/jwks";

metrics::Counter& counter(const std::string& name, const metrics::Labels& labels = {}) {
  return metrics::Registry::global().counter(name, "", labels);
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() {
    IssuerConfig issuer;
    issuer.issuer = idp_.issuer;
    issuer.jwks_uri = kJwksUri;
    issuer.audiences = {"api://gateway"};
    config_.issuers.push_back(issuer);
    fake_.serve(kJwksUri, idp_.jwks());
  }

  std::shared_ptr<Authenticator> make() {
    return Authenticator::create(config_, fake_.fetcher(), clock_);
  }

  Result<std::shared_ptr<const Identity>> authenticate(Authenticator& auth,
                                                       const std::string& token) {
    return test::run_awaitable(io_, auth.authenticate(token));
  }

  Reason reason(Authenticator& auth, const std::string& token) {
    auto r = authenticate(auth, token);
    return r ? Reason::None : r.error().reason;
  }

  std::string token(std::int64_t ttl = 300) const {
    return idp_.mint(idp_.claims("alice", "api://gateway", clock_->now_seconds(), ttl));
  }

  boost::asio::io_context io_;
  std::shared_ptr<test::ManualClock> clock_ = std::make_shared<test::ManualClock>();
  test::FakeIdp fake_;
  test::TestIssuer idp_;
  IdentityConfig config_;
};

TEST_F(AuthenticatorTest, VerifiesTokenFetchingKeysOnFirstUse) {
  auto auth = make();
  EXPECT_FALSE(auth->ready());
  auto identity = authenticate(*auth, token());
  ASSERT_TRUE(identity) << identity.error().detail;
  EXPECT_EQ((*identity)->user_id, "alice");
  EXPECT_TRUE(auth->ready());
  EXPECT_EQ(fake_.calls(), 1);
}

TEST_F(AuthenticatorTest, UnknownIssuerIsWrongIssuerWithoutAnyFetch) {
  auto auth = make();
  test::TestIssuer stranger = idp_;
  stranger.issuer = "https://stranger.test/";
  EXPECT_EQ(
      reason(*auth, stranger.mint(stranger.claims("x", "api://gateway", clock_->now_seconds()))),
      Reason::WrongIssuer);
  EXPECT_EQ(fake_.calls(), 0);
}

TEST_F(AuthenticatorTest, NoKeysEverFetchedIsJwksUnavailable) {
  fake_.fail(kJwksUri);
  auto auth = make();
  auto result = authenticate(*auth, token());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().reason, Reason::JwksUnavailable);
  EXPECT_EQ(status(result.error().reason), 503);
  EXPECT_FALSE(auth->ready());
}

TEST_F(AuthenticatorTest, NamesTheIssuersWithoutKeys) {
  // /readyz tells which identity provider is the problem.
  IssuerConfig second;
  second.issuer = "https://second.test";
  second.jwks_uri = "https://second.test/jwks";
  second.audiences = {"api://second"};
  config_.issuers.push_back(second);
  auto auth = make();
  EXPECT_EQ(auth->issuers_without_keys(),
            (std::vector<std::string>{idp_.issuer, "https://second.test"}));
  ASSERT_TRUE(authenticate(*auth, token()));
  EXPECT_EQ(auth->issuers_without_keys(), std::vector<std::string>{"https://second.test"});
  EXPECT_FALSE(auth->ready());
  test::TestIssuer second_idp;
  fake_.serve("https://second.test/jwks", second_idp.jwks());
  io_.restart();  // authenticate() ran the context to completion
  auth->start(io_.get_executor());
  while (!auth->ready()) ASSERT_EQ(io_.run_one(), 1u);
  EXPECT_TRUE(auth->issuers_without_keys().empty());
  auth->stop();
  io_.run();
}

TEST_F(AuthenticatorTest, TokenCacheHitSkipsVerificationUntilTheTokenExpires) {
  auto auth = make();
  auto& hits = counter("gw_identity_token_cache_hits_total");
  const auto hits_before = hits.value();
  const std::string t = token(120);
  auto first = authenticate(*auth, t);
  ASSERT_TRUE(first);
  auto second = authenticate(*auth, t);
  ASSERT_TRUE(second);
  // The very same Identity object: the second call built none, so verified nothing.
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ(hits.value() - hits_before, 1u);

  clock_->advance(120s);  // the token's exp: the cache entry is gone, verification runs again
  auto third = authenticate(*auth, t);
  ASSERT_TRUE(third);  // still within the 60 s clock skew
  EXPECT_NE(third->get(), first->get());
  clock_->advance(60s);
  EXPECT_EQ(reason(*auth, t), Reason::TokenExpired);
}

TEST_F(AuthenticatorTest, DisabledTokenCacheVerifiesEveryTime) {
  config_.token_cache_enabled = false;
  auto auth = make();
  const std::string t = token();
  auto first = authenticate(*auth, t);
  auto second = authenticate(*auth, t);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->get(), second->get());
}

TEST_F(AuthenticatorTest, UnknownKidRefetchesOnceAndPicksUpRotation) {
  auto auth = make();
  ASSERT_TRUE(authenticate(*auth, token()));
  EXPECT_EQ(fake_.calls(), 1);

  test::TestIssuer rotated = idp_;
  rotated.kid = "key-2";
  rotated.slot = 1;
  auto& misses = counter("gw_identity_jwks_kid_misses_total", {{"issuer", idp_.issuer}});
  const auto misses_before = misses.value();

  // Rotation before the refetch interval has passed: refused, and the IdP is not hammered.
  clock_->advance(10s);
  fake_.serve(kJwksUri, test::jwks_document({idp_.jwk(), rotated.jwk()}));
  const auto claims = rotated.claims("alice", "api://gateway", clock_->now_seconds());
  EXPECT_EQ(reason(*auth, rotated.mint(claims)), Reason::UnknownKey);
  EXPECT_EQ(fake_.calls(), 1);

  // Once the interval has passed, the unknown kid triggers one refetch and verifies.
  clock_->advance(20s);
  EXPECT_EQ(reason(*auth, rotated.mint(claims)), Reason::None);
  EXPECT_EQ(fake_.calls(), 2);
  EXPECT_EQ(misses.value() - misses_before, 2u);
}

TEST_F(AuthenticatorTest, KeepsVerifyingWithCachedKeysWhileTheIdpIsDown) {
  auto auth = make();
  ASSERT_TRUE(authenticate(*auth, token()));
  fake_.fail(kJwksUri);
  clock_->advance(10min);
  EXPECT_EQ(reason(*auth, token()), Reason::None);
  EXPECT_TRUE(auth->ready());
}

TEST_F(AuthenticatorTest, CountsVerificationResults) {
  auto auth = make();
  auto& ok = counter("gw_identity_verifications_total", {{"result", "ok"}});
  auto& expired = counter("gw_identity_verifications_total", {{"result", "token_expired"}});
  const auto ok_before = ok.value();
  const auto expired_before = expired.value();
  ASSERT_TRUE(authenticate(*auth, token()));
  EXPECT_EQ(reason(*auth, token(-100)), Reason::TokenExpired);
  EXPECT_EQ(ok.value() - ok_before, 1u);
  EXPECT_EQ(expired.value() - expired_before, 1u);
}

TEST_F(AuthenticatorTest, RejectsOversizedTokenBeforeParsing) {
  config_.max_token_bytes = 512;
  auto auth = make();
  EXPECT_EQ(reason(*auth, std::string(513, 'a')), Reason::MalformedToken);
  EXPECT_EQ(fake_.calls(), 0);
}

TEST_F(AuthenticatorTest, SelectsTheIssuerConfigByIss) {
  test::TestIssuer second;
  second.issuer = "https://second.test";
  second.alg = crypto::Algorithm::EdDSA;
  IssuerConfig issuer;
  issuer.issuer = second.issuer;
  issuer.jwks_uri = "https://second.test/jwks";
  issuer.audiences = {"api://second"};
  issuer.algorithms = {crypto::Algorithm::EdDSA};
  config_.issuers.push_back(issuer);
  fake_.serve("https://second.test/jwks", second.jwks());
  auto auth = make();
  const auto now = clock_->now_seconds();
  EXPECT_EQ(reason(*auth, second.mint(second.claims("bob", "api://second", now))), Reason::None);
  // The first issuer's audience is not valid for the second one.
  EXPECT_EQ(reason(*auth, second.mint(second.claims("bob", "api://gateway", now))),
            Reason::WrongAudience);
  // Nor its algorithm list: the first issuer allows RS256 only.
  test::TestIssuer eddsa_first = second;
  eddsa_first.issuer = idp_.issuer;
  EXPECT_EQ(reason(*auth, eddsa_first.mint(eddsa_first.claims("bob", "api://gateway", now))),
            Reason::UnsupportedAlgorithm);
}

}  // namespace
}  // namespace gw::identity
