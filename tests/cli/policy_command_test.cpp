#include "cli/policy_command.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/crypto.hpp"

namespace gw::cli {
namespace {

constexpr const char* kConfig = R"(
identity:
  issuers:
    - issuer: https://idp.example.com/
      jwks_uri: https://idp.example.com/jwks
      audiences: [api://gateway]
upstreams:
  openai: {url: "https://api.openai.com"}
  tools: {url: "http://127.0.0.1:9"}
routes:
  - {name: openai, prefix: /v1, upstream: openai, kind: openai, models: {med: {model: gpt-4-medical}}}
  - {name: mcp, prefix: /mcp, upstream: tools, kind: mcp}
  - {name: health, prefix: /healthz, upstream: tools, public: true}
policy:
  models_file: medical.json
  tools:
    get_calendar: {requiredScopes: ["calendar:read"]}
  routes:
    mcp: {}
)";

constexpr const char* kSeedPolicy = R"({
"gpt-4-medical": {
"requiredRoles": ["doctor", "physician_assistant"],
"requiredScopes": ["medical:write"]
}
})";

class PolicyExplainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gw_policy_explain_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "gw.yaml") << kConfig;
    std::ofstream(dir_ / "medical.json") << kSeedPolicy;
    options_.config_file = (dir_ / "gw.yaml").string();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static std::string token(const std::string& payload) {
    return crypto::base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." +
           crypto::base64url_encode(payload) + ".c2ln";
  }
  int run() {
    out_.str("");
    err_.str("");
    return explain_policy(options_, out_, err_);
  }

  std::filesystem::path dir_;
  ExplainOptions options_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(PolicyExplainTest, NurseTokenIsDeniedRoleMissingAndTheOutputSaysItWasNotVerified) {
  options_.token = token(R"({"iss":"https://idp.example.com/","sub":"nurse_jones",)"
                         R"("roles":["nurse"],"scope":"medical:write"})");
  options_.model = "gpt-4-medical";
  ASSERT_EQ(run(), 0) << err_.str();
  const std::string out = out_.str();
  EXPECT_NE(out.find("decision: deny\n"), std::string::npos) << out;
  EXPECT_NE(out.find("reason:   role_missing (HTTP 403)"), std::string::npos) << out;
  EXPECT_NE(out.find("rule:     models.gpt-4-medical"), std::string::npos) << out;
  EXPECT_NE(out.find("WITHOUT verifying"), std::string::npos) << out;
}

TEST_F(PolicyExplainTest, DoctorClaimsFileIsAllowedThroughAnAliasOnTheRoute) {
  std::ofstream(dir_ / "claims.json")
      << R"({"sub":"dr_smith","roles":["doctor"],"scope":"medical:write"})";
  options_.claims_file = (dir_ / "claims.json").string();
  options_.model = "med";
  options_.path = "/v1/chat/completions";
  ASSERT_EQ(run(), 0) << err_.str();
  const std::string out = out_.str();
  EXPECT_NE(out.find("decision: allow\n"), std::string::npos) << out;
  EXPECT_NE(out.find("model:    med -> gpt-4-medical"), std::string::npos) << out;
  EXPECT_EQ(out.find("WITHOUT verifying"), std::string::npos) << out;
}

TEST_F(PolicyExplainTest, ToolWithoutScopeIsDeniedScopeMissing) {
  options_.token = token(R"({"sub":"alice","scope":"calendar:write"})");
  options_.tool = "get_calendar";
  options_.path = "/mcp";
  ASSERT_EQ(run(), 0) << err_.str();
  EXPECT_NE(out_.str().find("reason:   scope_missing"), std::string::npos) << out_.str();
}

TEST_F(PolicyExplainTest, PathWithoutRouteIsNoRoute) {
  options_.token = token(R"({"sub":"alice"})");
  options_.path = "/admin";
  ASSERT_EQ(run(), 0) << err_.str();
  EXPECT_NE(out_.str().find("no_route"), std::string::npos) << out_.str();
}

TEST_F(PolicyExplainTest, UsageAndInputErrorsExitWithTwo) {
  options_.model = "gpt-4-medical";
  EXPECT_EQ(run(), 2);  // neither --token nor --claims
  options_.token = "not-a-jwt";
  EXPECT_EQ(run(), 2);
  EXPECT_NE(err_.str().find("not a compact JWT"), std::string::npos);
  options_.token = token(R"({"sub":"a"})");
  options_.config_file = (dir_ / "missing.yaml").string();
  EXPECT_EQ(run(), 2);
}

}  // namespace
}  // namespace gw::cli
