#include "identity/oidc_discovery.hpp"

#include <gtest/gtest.h>

#include "support/test_tokens.hpp"

namespace gw::identity {
namespace {

TEST(OidcDiscoveryTest, BuildsWellKnownUrlWithOneSlash) {
  EXPECT_EQ(discovery_url("https://idp.test"), "https://idp.test/.well-known/openid-configuration");
  EXPECT_EQ(discovery_url("https://idp.test/"),
            "https://idp.test/.well-known/openid-configuration");
  EXPECT_EQ(discovery_url("https://idp.test/realms/main"),
            "https://idp.test/realms/main/.well-known/openid-configuration");
}

TEST(OidcDiscoveryTest, ReadsJwksUriOfTheConfiguredIssuer) {
  auto uri = parse_discovery(test::discovery_document("https://idp.test/", "https://idp.test/jwks"),
                             "https://idp.test/");
  ASSERT_TRUE(uri);
  EXPECT_EQ(*uri, "https://idp.test/jwks");
  // A trailing slash on one side only is tolerated.
  EXPECT_TRUE(parse_discovery(test::discovery_document("https://idp.test", "https://idp.test/k"),
                              "https://idp.test/"));
}

TEST(OidcDiscoveryTest, RejectsDocumentNamingAnotherIssuer) {
  auto uri =
      parse_discovery(test::discovery_document("https://evil.test/", "https://evil.test/jwks"),
                      "https://idp.test/");
  ASSERT_FALSE(uri);
  EXPECT_EQ(uri.error().reason, Reason::JwksUnavailable);
  EXPECT_FALSE(parse_discovery(R"({"jwks_uri":"https://idp.test/jwks"})", "https://idp.test/"));
}

TEST(OidcDiscoveryTest, RejectsMissingOrNonHttpJwksUri) {
  EXPECT_FALSE(parse_discovery(R"({"issuer":"https://idp.test/"})", "https://idp.test/"));
  EXPECT_FALSE(parse_discovery(test::discovery_document("https://idp.test/", "file:///etc/keys"),
                               "https://idp.test/"));
  EXPECT_FALSE(parse_discovery("not json", "https://idp.test/"));
}

TEST(OidcDiscoveryTest, SameIssuerIgnoresOnlyOneTrailingSlash) {
  EXPECT_TRUE(same_issuer("https://idp.test/", "https://idp.test"));
  EXPECT_TRUE(same_issuer("https://idp.test", "https://idp.test"));
  EXPECT_FALSE(same_issuer("https://idp.test//", "https://idp.test"));
  EXPECT_FALSE(same_issuer("https://IDP.test", "https://idp.test"));
  EXPECT_FALSE(same_issuer("", ""));
}

}  // namespace
}  // namespace gw::identity
