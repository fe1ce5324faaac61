#include "identity/claim_mapping.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace gw::identity {
namespace {

using Strings = std::vector<std::string>;

boost::json::object claims(std::string_view json) { return boost::json::parse(json).as_object(); }

TEST(ClaimMappingTest, Auth0NamespacedRolesAndPermissions) {
  ClaimPaths paths;
  paths.roles = {"https://example.com/roles"};
  paths.tenant = {"org_id"};
  auto id = map_claims(claims(R"({
    "iss":"https://tenant.auth0.com/","sub":"auth0|123","aud":["api://gw","https://tenant.auth0.com/userinfo"],
    "azp":"client-1","scope":"openid profile read:reports",
    "permissions":["gpt-4-medical:use","medical:write"],
    "https://example.com/roles":["doctor"],"org_id":"org_42","email":"dr@example.com"})"),
                       paths);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->user_id, "auth0|123");
  EXPECT_EQ(id->roles, Strings{"doctor"});
  EXPECT_EQ(id->scopes,
            (Strings{"openid", "profile", "read:reports", "gpt-4-medical:use", "medical:write"}));
  EXPECT_EQ(id->tenant, "org_42");
  EXPECT_EQ(id->email, "dr@example.com");
  EXPECT_EQ(id->client_id, "client-1");
  EXPECT_EQ(id->audiences, (Strings{"api://gw", "https://tenant.auth0.com/userinfo"}));
  EXPECT_TRUE(id->has_scope("medical:write"));
  ASSERT_TRUE(id->claims);
  EXPECT_TRUE(id->claims->contains("permissions"));
}

TEST(ClaimMappingTest, KeycloakRealmAccessRoles) {
  ClaimPaths paths;  // defaults include realm_access.roles
  auto id = map_claims(claims(R"({
    "sub":"f1b2","preferred_username":"nurse1","scope":"openid email",
    "realm_access":{"roles":["nurse","offline_access"]},
    "resource_access":{"gateway":{"roles":["reader"]}}})"),
                       paths);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->roles, (Strings{"nurse", "offline_access"}));
  EXPECT_EQ(id->scopes, (Strings{"openid", "email"}));

  paths.roles = {"resource_access.gateway.roles"};
  paths.user_id = {"preferred_username"};
  id = map_claims(claims(R"({"sub":"f1b2","preferred_username":"nurse1",
    "resource_access":{"gateway":{"roles":["reader"]}}})"),
                  paths);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->user_id, "nurse1");
  EXPECT_EQ(id->roles, Strings{"reader"});
}

TEST(ClaimMappingTest, EntraRolesScpAndTenant) {
  ClaimPaths paths;
  paths.user_id = {"oid", "sub"};
  paths.email = {"email", "preferred_username", "upn"};
  auto id = map_claims(claims(R"({
    "iss":"https://login.microsoftonline.com/t1/v2.0","sub":"pairwise","oid":"00000000-oid",
    "tid":"t1","roles":["Gateway.Admin"],"scp":"User.Read Files.Read","appid":"app-1",
    "preferred_username":"ann@contoso.com"})"),
                       paths);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->user_id, "00000000-oid");
  EXPECT_EQ(id->tenant, "t1");
  EXPECT_EQ(id->roles, Strings{"Gateway.Admin"});
  EXPECT_EQ(id->scopes, (Strings{"User.Read", "Files.Read"}));
  EXPECT_EQ(id->email, "ann@contoso.com");
  EXPECT_EQ(id->client_id, "app-1");
}

TEST(ClaimMappingTest, OktaGroupsAndScpArray) {
  ClaimPaths paths;
  paths.roles = {"groups"};
  auto id = map_claims(claims(R"({
    "sub":"00u1","cid":"0oa1","scp":["openid","chat:use"],"groups":["Everyone","Domain Admins"]})"),
                       paths);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->roles, (Strings{"Everyone", "Domain Admins"}));  // a role may contain spaces
  EXPECT_EQ(id->scopes, (Strings{"openid", "chat:use"}));
}

TEST(ClaimMappingTest, WholeKeyIsFoundBeforeDottedPath) {
  auto c = claims(R"({"a.b":"whole","a":{"b":"nested"},"x":{"y":{"z":"deep"}},"s":"str"})");
  ASSERT_NE(find_claim(c, "a.b"), nullptr);
  EXPECT_EQ(find_claim(c, "a.b")->as_string(), "whole");
  EXPECT_EQ(find_claim(c, "x.y.z")->as_string(), "deep");
  EXPECT_EQ(find_claim(c, "s.t"), nullptr);
  EXPECT_EQ(find_claim(c, "x.q"), nullptr);
  EXPECT_EQ(find_claim(c, ""), nullptr);
}

TEST(ClaimMappingTest, RolesAndScopesAreTheDeduplicatedUnionOfAllPaths) {
  ClaimPaths paths;
  paths.roles = {"roles", "groups"};
  auto id = map_claims(
      claims(
          R"({"sub":"u","roles":"admin","groups":["admin","ops",7],"scope":"a  b a","scp":["b","c"]})"),
      paths);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->roles, (Strings{"admin", "ops"}));
  EXPECT_EQ(id->scopes, (Strings{"a", "b", "c"}));
}

TEST(ClaimMappingTest, SingleValuedFieldsTakeTheFirstPathPresent) {
  ClaimPaths paths;
  auto id =
      map_claims(claims(R"({"sub":"u","tid":"from-tid","tenant":"from-tenant","team":5})"), paths);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->tenant, "from-tid");
  EXPECT_EQ(id->team, "5");
}

TEST(ClaimMappingTest, MissingUserIdIsMissingSubject) {
  ClaimPaths paths;
  EXPECT_EQ(map_claims(claims(R"({"email":"x@y"})"), paths).error().reason, Reason::MissingSubject);
  EXPECT_EQ(map_claims(claims(R"({"sub":""})"), paths).error().reason, Reason::MissingSubject);
  EXPECT_EQ(map_claims(claims(R"({"sub":{"id":1}})"), paths).error().reason,
            Reason::MissingSubject);
}

}  // namespace
}  // namespace gw::identity
