#include "identity/jwt.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>

#include "support/test_tokens.hpp"

namespace gw::identity {
namespace {

using crypto::Algorithm;

boost::json::object payload() { return {{"iss", "https://idp.test/"}, {"sub", "alice"}}; }

Reason reason_of(const std::string& token, std::size_t max = 8192) {
  auto jwt = parse_jwt(token, max);
  return jwt ? Reason::None : jwt.error().reason;
}

TEST(JwtTest, ParsesHeaderPayloadAndSignature) {
  test::TestIssuer idp;
  const std::string token = idp.mint(payload());
  auto jwt = parse_jwt(token);
  ASSERT_TRUE(jwt) << jwt.error().detail;
  EXPECT_EQ(jwt->alg, Algorithm::RS256);
  EXPECT_EQ(jwt->kid, "key-1");
  EXPECT_EQ(jwt->unverified_issuer(), "https://idp.test/");
  EXPECT_EQ(jwt->payload.at("sub").as_string(), "alice");
  EXPECT_EQ(jwt->signature.size(), 256u);
  EXPECT_EQ(jwt->signing_input, token.substr(0, token.rfind('.')));
}

TEST(JwtTest, RejectsAlgNoneAndUnsupportedAlgorithms) {
  EXPECT_EQ(reason_of(test::raw_token({{"alg", "none"}}, payload())), Reason::UnsupportedAlgorithm);
  EXPECT_EQ(reason_of(test::raw_token({{"alg", "none"}}, payload(), "x")),
            Reason::UnsupportedAlgorithm);
  EXPECT_EQ(reason_of(test::raw_token({{"alg", "HS256"}}, payload(), "sig")),
            Reason::UnsupportedAlgorithm);
  EXPECT_EQ(reason_of(test::raw_token({{"alg", "rs256"}}, payload(), "sig")),
            Reason::UnsupportedAlgorithm);
  EXPECT_EQ(reason_of(test::raw_token({{"typ", "JWT"}}, payload(), "sig")), Reason::MalformedToken);
  EXPECT_EQ(reason_of(test::raw_token({{"alg", 256}}, payload(), "sig")), Reason::MalformedToken);
}

TEST(JwtTest, RejectsAnyCriticalHeader) {
  EXPECT_EQ(reason_of(test::raw_token({{"alg", "RS256"}, {"crit", boost::json::array{"exp"}}},
                                      payload(), "sig")),
            Reason::UnsupportedCritical);
  EXPECT_EQ(reason_of(test::raw_token({{"alg", "RS256"}, {"crit", boost::json::array{"b64"}}},
                                      payload(), "sig")),
            Reason::UnsupportedCritical);
}

TEST(JwtTest, RejectsKeyCarryingHeaders) {
  for (const char* name : {"jku", "x5u", "jwk", "x5c"}) {
    EXPECT_EQ(reason_of(test::raw_token({{"alg", "RS256"}, {name, "https://evil.test/k"}},
                                        payload(), "sig")),
              Reason::MalformedToken)
        << name;
  }
}

TEST(JwtTest, RejectsTokensOverTheSizeBound) {
  test::TestIssuer idp;
  const std::string token = idp.mint(payload());
  EXPECT_EQ(reason_of(token, token.size()), Reason::None);
  EXPECT_EQ(reason_of(token, token.size() - 1), Reason::MalformedToken);
}

TEST(JwtTest, RejectsMalformedStructure) {
  const std::string good = test::raw_token({{"alg", "RS256"}}, payload(), "sig");
  const auto dot = good.find('.');
  const std::array<std::string, 11> bad = {
      "",
      "abc",
      "a.b",
      good + ".extra",                            // 4 segments
      good + ".x.y",                              // JWE-like 5 segments
      "." + good.substr(dot + 1),                 // empty header
      good.substr(0, good.rfind('.') + 1),        // empty signature
      "e30." + good.substr(dot + 1),              // header {} has no alg
      "W10." + good.substr(dot + 1),              // header [] is not an object
      good.substr(0, dot) + ".bm90IGpzb24.c2ln",  // payload "not json"
      good.substr(0, dot) + ".W10.c2ln",          // payload [] is not an object
  };
  for (const auto& token : bad) EXPECT_EQ(reason_of(token), Reason::MalformedToken) << token;
  // Padding and the standard alphabet are not base64url.
  EXPECT_EQ(reason_of(good + "="), Reason::MalformedToken);
  std::string plus = good;
  plus.back() = '+';
  EXPECT_EQ(reason_of(plus), Reason::MalformedToken);
  EXPECT_EQ(reason_of(test::raw_token({{"alg", "RS256"}, {"kid", 7}}, payload(), "sig")),
            Reason::MalformedToken);
}

TEST(JwtTest, CheckAlgorithmEnforcesTheIssuerAllowList) {
  test::TestIssuer idp;
  idp.alg = Algorithm::ES256;
  const std::string token = idp.mint(payload());
  auto jwt = parse_jwt(token);
  ASSERT_TRUE(jwt);
  const std::array<Algorithm, 1> rs_only = {Algorithm::RS256};
  const std::array<Algorithm, 2> both = {Algorithm::RS256, Algorithm::ES256};
  EXPECT_EQ(check_algorithm(*jwt, rs_only).error().reason, Reason::UnsupportedAlgorithm);
  EXPECT_TRUE(check_algorithm(*jwt, both));
}

// Random byte edits of a valid token: parsing never crashes and never yields a non-401 reason.
TEST(JwtTest, MutatedTokensAreRefusedWithAClientReason) {
  test::TestIssuer idp;
  const std::string token = idp.mint(payload());
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string t = token;
    const auto edits = 1 + rng() % 4;
    for (unsigned e = 0; e < edits; ++e) {
      t[rng() % t.size()] = static_cast<char>(rng() % 256);
    }
    if (rng() % 8 == 0) t.resize(rng() % t.size());
    auto jwt = parse_jwt(t);
    if (!jwt) {
      EXPECT_EQ(status(jwt.error().reason), 401) << t;
    }
  }
}

}  // namespace
}  // namespace gw::identity
