#include "identity/verifier.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "support/test_tokens.hpp"

namespace gw::identity {
namespace {

using crypto::Algorithm;
using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'700'000'000;

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() {
    config_.issuer = "https://idp.test/";
    config_.audiences = {"api://gateway", "api://other"};
    config_.algorithms = {Algorithm::RS256, Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA};
  }

  // Keys of every test issuer in one set.
  KeySet keys(std::vector<test::TestIssuer> issuers) {
    std::vector<boost::json::object> jwks;
    for (const auto& i : issuers) jwks.push_back(i.jwk());
    return *parse_jwks(test::jwks_document(jwks));
  }

  Result<Identity> verify(const std::string& token, const KeySet& set, std::int64_t now = kNow) {
    auto jwt = parse_jwt(token);
    if (!jwt) return jwt.error();
    return verify_token(*jwt, set, config_, 60s, now);
  }

  Reason reason(const std::string& token, const KeySet& set, std::int64_t now = kNow) {
    auto r = verify(token, set, now);
    return r ? Reason::None : r.error().reason;
  }

  boost::json::object claims() const { return idp_.claims("alice", "api://gateway", kNow); }

  IssuerConfig config_;
  test::TestIssuer idp_;
};

TEST_F(VerifierTest, AcceptsValidTokenAndMapsIdentity) {
  auto c = claims();
  c["email"] = "alice@example.com";
  c["roles"] = boost::json::array{"doctor"};
  c["scope"] = "medical:write chat";
  auto identity = verify(idp_.mint(c), keys({idp_}));
  ASSERT_TRUE(identity) << identity.error().detail;
  EXPECT_EQ(identity->user_id, "alice");
  EXPECT_EQ(identity->email, "alice@example.com");
  EXPECT_EQ(identity->issuer, "https://idp.test/");
  EXPECT_EQ(identity->expires_at, kNow + 300);
  EXPECT_TRUE(identity->has_role("doctor"));
  EXPECT_TRUE(identity->has_scope("medical:write"));
}

TEST_F(VerifierTest, AcceptsEverySupportedAlgorithm) {
  for (auto alg : {Algorithm::RS256, Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA}) {
    test::TestIssuer idp;
    idp.alg = alg;
    idp.kid = std::string(crypto::to_string(alg));
    EXPECT_EQ(reason(idp.mint(claims()), keys({idp})), Reason::None) << crypto::to_string(alg);
  }
}

TEST_F(VerifierTest, RejectsAlgorithmOutsideTheIssuerAllowList) {
  config_.algorithms = {Algorithm::RS256};
  test::TestIssuer ec;
  ec.alg = Algorithm::ES256;
  EXPECT_EQ(reason(ec.mint(claims()), keys({ec})), Reason::UnsupportedAlgorithm);
}

TEST_F(VerifierTest, RejectsAlgorithmThatDoesNotFitTheKey) {
  // The header says ES256 but the kid names the issuer's RSA key.
  test::TestIssuer ec;
  ec.alg = Algorithm::ES256;
  ec.kid = idp_.kid;
  EXPECT_EQ(reason(ec.mint(claims()), keys({idp_})), Reason::UnsupportedAlgorithm);
}

TEST_F(VerifierTest, RejectsUnknownKid) {
  test::TestIssuer other = idp_;
  other.kid = "rotated";
  EXPECT_EQ(reason(other.mint(claims()), keys({idp_})), Reason::UnknownKey);
}

TEST_F(VerifierTest, RejectsSignatureByAnotherKeyUnderTheSameKid) {
  test::TestIssuer impostor = idp_;
  impostor.slot = 1;
  EXPECT_EQ(reason(impostor.mint(claims()), keys({idp_})), Reason::BadSignature);
}

TEST_F(VerifierTest, RejectsTamperedPayload) {
  std::string token = idp_.mint(claims());
  auto tampered = claims();
  tampered["sub"] = "mallory";
  const auto first = token.find('.');
  const auto last = token.rfind('.');
  token = token.substr(0, first + 1) + crypto::base64url_encode(boost::json::serialize(tampered)) +
          token.substr(last);
  EXPECT_EQ(reason(token, keys({idp_})), Reason::BadSignature);
}

TEST_F(VerifierTest, ChecksIssuerExactlyButToleratesTrailingSlash) {
  auto c = claims();
  c["iss"] = "https://idp.test";
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::None);
  c["iss"] = "https://idp.test/other";
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::WrongIssuer);
  c.erase("iss");
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::WrongIssuer);
}

TEST_F(VerifierTest, ChecksAudienceAsStringOrArray) {
  auto c = claims();
  c["aud"] = "api://other";
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::None);
  c["aud"] = boost::json::array{"https://idp.test/userinfo", "api://gateway"};
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::None);
  c["aud"] = "api://someone-else";
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::WrongAudience);
  c["aud"] = boost::json::array{"api://someone-else"};
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::WrongAudience);
  c.erase("aud");
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::WrongAudience);
}

TEST_F(VerifierTest, ExpiryAllowsClockSkewOnly) {
  const auto set = keys({idp_});
  const std::string token = idp_.mint(claims());  // exp = kNow + 300
  EXPECT_EQ(reason(token, set, kNow + 300 + 59), Reason::None);
  EXPECT_EQ(reason(token, set, kNow + 300 + 60), Reason::TokenExpired);
}

TEST_F(VerifierTest, RequiresExpAsNumericDate) {
  auto c = claims();
  c.erase("exp");
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::InvalidClaims);
  c["exp"] = "tomorrow";
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::InvalidClaims);
  c["exp"] = static_cast<double>(kNow + 100) + 0.5;  // fractional NumericDates are fine
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::None);
}

TEST_F(VerifierTest, RejectsTokenNotYetValid) {
  auto c = claims();
  c["nbf"] = kNow + 61;
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::TokenNotYetValid);
  c["nbf"] = kNow + 60;
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::None);
  c["nbf"] = true;
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::InvalidClaims);
}

TEST_F(VerifierTest, RejectsTokenIssuedInTheFuture) {
  auto c = claims();
  c["iat"] = kNow + 61;
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::TokenIssuedInFuture);
  c["iat"] = kNow + 60;
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::None);
}

TEST_F(VerifierTest, RequiresStringSubject) {
  auto c = claims();
  c.erase("sub");
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::MissingSubject);
  c["sub"] = 42;
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::MissingSubject);
  c["sub"] = "";
  EXPECT_EQ(reason(idp_.mint(c), keys({idp_})), Reason::MissingSubject);
}

TEST_F(VerifierTest, TokenWithoutKidIsTriedAgainstKeysOfItsAlgorithm) {
  test::TestIssuer no_kid = idp_;
  no_kid.kid = "";
  EXPECT_EQ(reason(no_kid.mint(claims()), keys({idp_})), Reason::None);
}

}  // namespace
}  // namespace gw::identity
