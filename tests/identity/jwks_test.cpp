#include "identity/jwks.hpp"

#include <gtest/gtest.h>

#include "support/test_tokens.hpp"

namespace gw::identity {
namespace {

using crypto::Algorithm;

boost::json::object with_kid(boost::json::object jwk, std::string kid) {
  jwk["kid"] = std::move(kid);
  return jwk;
}

TEST(JwksTest, ParsesRsaEcAndOkpKeysByKid) {
  auto set = parse_jwks(test::jwks_document({
      with_kid(test::cached_key(Algorithm::RS256).public_key().to_jwk(), "rsa"),
      with_kid(test::cached_key(Algorithm::ES256).public_key().to_jwk(), "ec"),
      with_kid(test::cached_key(Algorithm::EdDSA).public_key().to_jwk(), "ed"),
  }));
  ASSERT_TRUE(set) << set.error().detail;
  EXPECT_EQ(set->size(), 3u);
  EXPECT_EQ(set->skipped, 0u);
  EXPECT_EQ(set->by_kid.at("rsa").key_type(), "RSA");
  EXPECT_EQ(set->by_kid.at("ec").key_type(), "EC");
  EXPECT_EQ(set->by_kid.at("ed").key_type(), "OKP");
}

TEST(JwksTest, SkipsUnusableKeysAndKeepsTheRest) {
  auto enc = with_kid(test::cached_key(Algorithm::RS256, 1).public_key().to_jwk(), "enc");
  enc["use"] = "enc";
  // A 1024-bit RSA modulus (any odd number serves for the size check).
  boost::json::object weak{{"kty", "RSA"},
                           {"kid", "weak"},
                           {"n", crypto::base64url_encode(std::string(128, '\xff'))},
                           {"e", "AQAB"}};
  auto set = parse_jwks(test::jwks_document({
      with_kid(test::cached_key(Algorithm::RS256).public_key().to_jwk(), "good"),
      enc,
      weak,
      {{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}},
      {{"kty", "EC"}, {"kid", "p384"}, {"crv", "P-384"}, {"x", "AA"}, {"y", "AA"}},
      {{"kty", "RSA"}, {"kid", "broken"}, {"n", "!!"}, {"e", "AQAB"}},
  }));
  ASSERT_TRUE(set) << set.error().detail;
  EXPECT_EQ(set->size(), 1u);
  EXPECT_TRUE(set->by_kid.contains("good"));
  EXPECT_EQ(set->skipped, 5u);
}

TEST(JwksTest, RejectsDocumentsWithoutUsableKeys) {
  EXPECT_FALSE(parse_jwks("not json"));
  EXPECT_FALSE(parse_jwks("[]"));
  EXPECT_FALSE(parse_jwks(R"({"keys":{}})"));
  EXPECT_FALSE(parse_jwks(R"({"keys":[]})"));
  EXPECT_FALSE(parse_jwks(R"({"keys":[{"kty":"oct","k":"AAAA"}]})"));
  EXPECT_EQ(parse_jwks("{}").error().reason, Reason::JwksUnavailable);
}

TEST(JwksTest, RejectsDocumentsOverTheSizeBound) {
  const std::string doc = test::TestIssuer{}.jwks();
  EXPECT_TRUE(parse_jwks(doc, doc.size()));
  EXPECT_FALSE(parse_jwks(doc, doc.size() - 1));
}

TEST(JwksTest, FirstKeyWinsOnDuplicateKid) {
  auto first = with_kid(test::cached_key(Algorithm::ES256).public_key().to_jwk(), "dup");
  auto second = with_kid(test::cached_key(Algorithm::ES256, 1).public_key().to_jwk(), "dup");
  auto set = parse_jwks(test::jwks_document({first, second}));
  ASSERT_TRUE(set);
  EXPECT_EQ(set->size(), 1u);
  EXPECT_EQ(set->skipped, 1u);
  EXPECT_EQ(set->by_kid.at("dup").thumbprint(),
            test::cached_key(Algorithm::ES256).public_key().thumbprint());
}

TEST(JwksTest, CandidatesFollowKidOrEveryKeyFittingTheAlgorithm) {
  auto no_kid = test::cached_key(Algorithm::ES256).public_key().to_jwk();
  no_kid.erase("kid");
  auto set = parse_jwks(test::jwks_document({
      no_kid,
      with_kid(test::cached_key(Algorithm::RS256).public_key().to_jwk(), "rsa"),
  }));
  ASSERT_TRUE(set);
  EXPECT_EQ(set->candidates("rsa", Algorithm::RS256).size(), 1u);
  EXPECT_EQ(set->candidates("other", Algorithm::RS256).size(), 0u);
  EXPECT_EQ(set->candidates("", Algorithm::ES256).size(), 1u);
  EXPECT_EQ(set->candidates("", Algorithm::RS256).size(), 1u);
  EXPECT_EQ(set->candidates("", Algorithm::EdDSA).size(), 0u);
}

}  // namespace
}  // namespace gw::identity
