#include <gtest/gtest.h>

#include "identity/identity.hpp"

namespace gw::identity {
namespace {

using crypto::Algorithm;
using namespace std::chrono_literals;

struct Parsed {
  IdentityConfig config;
  config::Problems problems;
};

Parsed parse(const std::string& yaml) {
  Parsed out;
  auto root = config::load_string(yaml, out.problems);
  if (!root) return out;
  config::Map top(*root, "", out.problems);
  auto section = top.map("identity");
  if (section) out.config = parse_config(*section);
  return out;
}

TEST(IdentityConfigTest, ParsesTheDocumentedExample) {
  auto parsed = parse(R"(
identity:
  realm: gatewaystack
  clock_skew: 30s
  max_token_bytes: 16KiB
  token_cache: {enabled: false, max_entries: 500}
  resource_metadata: https://gw.example.com/.well-known/oauth-protected-resource
  issuers:
    - issuer: https://idp.example.com/
      jwks_uri: https://idp.example.com/jwks
      audiences: [api://gateway]
      algorithms: [RS256, ES256]
      refresh_interval: 5m
      min_refetch_interval: 10s
      claims:
        user_id: sub
        email: email
        roles: [roles, "https://example.com/roles", realm_access.roles, groups]
        scopes: [scope, scp, permissions]
        tenant: [org_id, tid, tenant]
        team: team
    - issuer: https://login.example.org
      audiences: api://gateway
)");
  ASSERT_TRUE(parsed.problems.empty()) << parsed.problems.format();
  const auto& c = parsed.config;
  EXPECT_EQ(c.clock_skew, 30s);
  EXPECT_EQ(c.max_token_bytes, 16u * 1024);
  EXPECT_FALSE(c.token_cache_enabled);
  EXPECT_EQ(c.token_cache_max_entries, 500u);
  ASSERT_EQ(c.issuers.size(), 2u);
  const auto& first = c.issuers[0];
  EXPECT_EQ(first.jwks_uri, "https://idp.example.com/jwks");
  EXPECT_EQ(first.algorithms, (std::vector<Algorithm>{Algorithm::RS256, Algorithm::ES256}));
  EXPECT_EQ(first.refresh_interval, 5min);
  EXPECT_EQ(first.min_refetch_interval, 10s);
  EXPECT_EQ(first.claims.roles.size(), 4u);
  EXPECT_EQ(first.claims.roles[1], "https://example.com/roles");
  EXPECT_EQ(first.claims.team, std::vector<std::string>{"team"});
  const auto& second = c.issuers[1];
  EXPECT_TRUE(second.jwks_uri.empty());  // discovery
  EXPECT_EQ(second.audiences, std::vector<std::string>{"api://gateway"});
  EXPECT_EQ(second.algorithms, std::vector<Algorithm>{Algorithm::RS256});
  EXPECT_EQ(second.claims.user_id, std::vector<std::string>{"sub"});
}

TEST(IdentityConfigTest, DefaultsApplyWhenOptionalKeysAreAbsent) {
  auto parsed = parse(R"(
identity:
  issuers:
    - issuer: https://idp.example.com/
      audiences: [a]
)");
  ASSERT_TRUE(parsed.problems.empty()) << parsed.problems.format();
  EXPECT_EQ(parsed.config.realm, "gatewaystack");
  EXPECT_EQ(parsed.config.clock_skew, 60s);
  EXPECT_EQ(parsed.config.max_token_bytes, 8192u);
  EXPECT_TRUE(parsed.config.token_cache_enabled);
  EXPECT_EQ(parsed.config.token_cache_max_entries, 10'000u);
  EXPECT_EQ(parsed.config.issuers[0].refresh_interval, 5min);
  EXPECT_EQ(parsed.config.issuers[0].min_refetch_interval, 30s);
}

TEST(IdentityConfigTest, ReportsEveryProblemWithItsKeyPath) {
  auto parsed = parse(R"(
identity:
  realm: 'bad"realm'
  clock_skw: 10s
  issuers:
    - jwks_uri: ftp://idp/jwks
      audiences: []
      algorithms: [HS256]
      claims: {roles: [], rolez: x}
    - issuer: https://a.example/
      audiences: [x]
    - issuer: https://a.example
      audiences: [x]
)");
  const std::string text = parsed.problems.format();
  for (const char* expected :
       {"identity.realm", "identity.clock_skw: unknown key", "identity.issuers[0].issuer",
        "identity.issuers[0].jwks_uri", "identity.issuers[0].audiences",
        "identity.issuers[0].algorithms", "identity.issuers[0].claims.roles",
        "identity.issuers[0].claims.rolez: unknown key", "identity.issuers[2].issuer"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

TEST(IdentityConfigTest, RequiresAtLeastOneIssuer) {
  auto parsed = parse("identity:\n  realm: x\n");
  EXPECT_NE(parsed.problems.format().find("identity.issuers"), std::string::npos);
}

}  // namespace
}  // namespace gw::identity
