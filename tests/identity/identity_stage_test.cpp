#include "identity/identity_stage.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "identity/fake_idp.hpp"
#include "support/async_test.hpp"
#include "support/manual_clock.hpp"
#include "support/test_tokens.hpp"

namespace gw::identity {
namespace {

constexpr const char* kJwksUri = "https://idp.test/jwks";

class IdentityStageTest : public ::testing::Test {
 protected:
  IdentityStageTest() {
    IssuerConfig issuer;
    issuer.issuer = idp_.issuer;
    issuer.jwks_uri = kJwksUri;
    issuer.audiences = {"api://gateway"};
    config_.issuers.push_back(issuer);
    config_.realm = "gw-test";
    fake_.serve(kJwksUri, idp_.jwks());
  }

  Verdict run(std::vector<std::pair<std::string, std::string>> headers) {
    if (!stage_) stage_ = make_stage(Authenticator::create(config_, fake_.fetcher(), clock_));
    headers_ = std::move(headers);
    for (const auto& [name, value] : headers_) ctx_.headers.emplace_back(name, value);
    return test::run_awaitable(io_, stage_->on_request(ctx_));
  }

  std::string www_authenticate() const {
    for (const auto& [name, value] : ctx_.response_headers) {
      if (name == "WWW-Authenticate") return value;
    }
    return {};
  }

  std::string token() const {
    return idp_.mint(idp_.claims("alice", "api://gateway", clock_->now_seconds()));
  }

  boost::asio::io_context io_;
  std::shared_ptr<test::ManualClock> clock_ = std::make_shared<test::ManualClock>();
  test::FakeIdp fake_;
  test::TestIssuer idp_;
  IdentityConfig config_;
  StagePtr stage_;
  std::vector<std::pair<std::string, std::string>> headers_;
  RequestContext ctx_;
};

TEST_F(IdentityStageTest, SetsTheIdentityForAValidBearerToken) {
  const std::string t = token();
  auto verdict = run({{"authorization", "bearer " + t}});  // the scheme is case-insensitive
  ASSERT_TRUE(verdict.proceeds()) << verdict.detail;
  ASSERT_NE(ctx_.identity, nullptr);
  EXPECT_EQ(ctx_.identity->user_id, "alice");
  EXPECT_TRUE(ctx_.response_headers.empty());
}

TEST_F(IdentityStageTest, DecidesWithoutSuspendingOnceTheKeysAreKnown) {
  stage_ = make_stage(Authenticator::create(config_, fake_.fetcher(), clock_));
  const std::string first = "Bearer " + token();
  RequestContext a;
  a.headers.emplace_back("Authorization", first);
  // No keys fetched yet: only the coroutine can answer (it fetches them).
  EXPECT_FALSE(stage_->decide_now(a).has_value());
  EXPECT_EQ(a.identity, nullptr);
  EXPECT_TRUE(test::run_awaitable(io_, stage_->on_request(a)).proceeds());

  // Keys known: a token never seen before is verified on the spot...
  clock_->advance(std::chrono::seconds(1));
  const std::string second = "Bearer " + token();
  ASSERT_NE(second, first);
  RequestContext b;
  b.headers.emplace_back("Authorization", second);
  auto now = stage_->decide_now(b);
  ASSERT_TRUE(now.has_value());
  EXPECT_TRUE(now->proceeds()) << now->detail;
  ASSERT_NE(b.identity, nullptr);
  EXPECT_EQ(b.identity->user_id, "alice");

  // ...and so are rejections, and requests settled before any token check.
  std::string forged = second;
  char& inside_signature = forged[forged.size() - 10];
  inside_signature = inside_signature == 'A' ? 'B' : 'A';
  RequestContext c;
  c.headers.emplace_back("Authorization", forged);
  now = stage_->decide_now(c);
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->reason, Reason::BadSignature);
  RequestContext d;
  now = stage_->decide_now(d);
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->reason, Reason::MissingToken);
}

TEST_F(IdentityStageTest, PublicRouteProceedsWithoutAToken) {
  ctx_.route = RouteMatch{};
  ctx_.route->is_public = true;
  auto verdict = run({});
  EXPECT_TRUE(verdict.proceeds());
  EXPECT_EQ(ctx_.identity, nullptr);
}

TEST_F(IdentityStageTest, MissingTokenGetsBearerRealmWithoutError) {
  ctx_.route = RouteMatch{};
  auto verdict = run({});
  EXPECT_EQ(verdict.reason, Reason::MissingToken);
  EXPECT_EQ(status(verdict.reason), 401);
  EXPECT_EQ(www_authenticate(), "Bearer realm=\"gw-test\"");
}

TEST_F(IdentityStageTest, OtherSchemesCountAsNoBearerToken) {
  ctx_.route = RouteMatch{};
  auto verdict = run({{"Authorization", "Basic YWxpY2U6c2VjcmV0"}});
  EXPECT_EQ(verdict.reason, Reason::MissingToken);
  EXPECT_EQ(www_authenticate(), "Bearer realm=\"gw-test\"");
}

TEST_F(IdentityStageTest, TwoAuthorizationHeadersAreMalformed) {
  auto verdict = run({{"Authorization", "Bearer " + token()}, {"authorization", "Bearer x"}});
  EXPECT_EQ(verdict.reason, Reason::MalformedToken);
  EXPECT_EQ(ctx_.identity, nullptr);
}

TEST_F(IdentityStageTest, EmptyOrSplitBearerValueIsMalformed) {
  EXPECT_EQ(run({{"Authorization", "Bearer"}}).reason, Reason::MalformedToken);
  ctx_ = RequestContext{};
  EXPECT_EQ(run({{"Authorization", "Bearer a b"}}).reason, Reason::MalformedToken);
}

TEST_F(IdentityStageTest, InvalidTokenGetsRfc6750ErrorAttributes) {
  ctx_.route = RouteMatch{};
  auto claims = idp_.claims("alice", "api://gateway", clock_->now_seconds() - 1000);
  auto verdict = run({{"Authorization", "Bearer " + idp_.mint(claims)}});
  EXPECT_EQ(verdict.reason, Reason::TokenExpired);
  EXPECT_EQ(www_authenticate(),
            "Bearer realm=\"gw-test\", error=\"invalid_token\", "
            "error_description=\"token expired\"");
}

TEST_F(IdentityStageTest, GarbageTokenIsA401NeverA5xx) {
  ctx_.route = RouteMatch{};
  auto verdict = run({{"Authorization", "Bearer \"><script>"}});
  EXPECT_EQ(verdict.reason, Reason::MalformedToken);
  EXPECT_EQ(status(verdict.reason), 401);
  EXPECT_EQ(www_authenticate().find("<script>"), std::string::npos);
}

TEST_F(IdentityStageTest, UnavailableKeysAre503WithoutChallenge) {
  fake_.fail(kJwksUri);
  auto verdict = run({{"Authorization", "Bearer " + token()}});
  EXPECT_EQ(verdict.reason, Reason::JwksUnavailable);
  EXPECT_EQ(status(verdict.reason), 503);
  EXPECT_EQ(www_authenticate(), "");
}

TEST_F(IdentityStageTest, McpRoutesGetResourceMetadata) {
  config_.resource_metadata = "https://gw.test/.well-known/oauth-protected-resource";
  ctx_.route = RouteMatch{};
  ctx_.route->kind = ApiKind::Mcp;
  run({});
  EXPECT_EQ(www_authenticate(),
            "Bearer realm=\"gw-test\", resource_metadata=\"https://gw.test/.well-known/"
            "oauth-protected-resource\"");
}

TEST_F(IdentityStageTest, McpRouteRefusesATokenWithoutItsResourceInAud) {
  ctx_.route = RouteMatch{};
  ctx_.route->kind = ApiKind::Mcp;
  ctx_.route->resource = "https://gw.test/mcp";
  ctx_.route->resource_metadata = "https://gw.test/.well-known/oauth-protected-resource/mcp";
  auto verdict = run({{"Authorization", "Bearer " + token()}});  // aud: api://gateway only
  EXPECT_EQ(verdict.reason, Reason::WrongAudience);
  EXPECT_EQ(ctx_.identity, nullptr);
  EXPECT_EQ(www_authenticate(),
            "Bearer realm=\"gw-test\", error=\"invalid_token\", error_description=\"audience "
            "not accepted\", resource_metadata=\"https://gw.test/.well-known/"
            "oauth-protected-resource/mcp\"");
}

TEST_F(IdentityStageTest, McpRouteAcceptsATokenBoundToItsResource) {
  ctx_.route = RouteMatch{};
  ctx_.route->kind = ApiKind::Mcp;
  ctx_.route->resource = "https://gw.test/mcp";
  auto claims = idp_.claims("alice", "api://gateway", clock_->now_seconds());
  claims["aud"] = boost::json::array{"api://gateway", "https://gw.test/mcp/"};
  auto verdict = run({{"Authorization", "Bearer " + idp_.mint(claims)}});
  ASSERT_TRUE(verdict.proceeds()) << verdict.detail;
  EXPECT_EQ(ctx_.identity->user_id, "alice");
}

TEST_F(IdentityStageTest, BearerTokenExtraction) {
  EXPECT_EQ(bearer_token("Bearer abc"), std::string_view("abc"));
  EXPECT_EQ(bearer_token("  BEARER   abc  "), std::string_view("abc"));
  EXPECT_EQ(bearer_token("Bearer\tabc"), std::string_view("abc"));
  EXPECT_FALSE(bearer_token("Basic abc"));
  EXPECT_FALSE(bearer_token("Bearerabc"));
  EXPECT_EQ(bearer_token("Bearer"), std::string_view());
  EXPECT_EQ(bearer_token("Bearer a b"), std::string_view());
}

}  // namespace
}  // namespace gw::identity
