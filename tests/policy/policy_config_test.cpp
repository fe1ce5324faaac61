#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "policy_test_util.hpp"

namespace gw::policy {
namespace {

using test::identity;
using test::load;
using test::model_request;
using test::problems_of;

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("gw_policy_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_ / "policies");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }
  std::string str() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

void expect_seed_semantics(const PolicyConfig& config) {
  auto doctor = identity({"doctor"}, {"medical:write"});
  auto nurse = identity({"nurse"}, {"medical:write"});
  auto pa = identity({"physician_assistant"}, {});
  EXPECT_EQ(evaluate(config, doctor.get(), model_request("gpt-4-medical")).decision,
            Decision::Allow);
  EXPECT_EQ(evaluate(config, nurse.get(), model_request("gpt-4-medical")).reason,
            Reason::RoleMissing);
  EXPECT_EQ(evaluate(config, pa.get(), model_request("gpt-4-medical")).reason,
            Reason::ScopeMissing);
}

TEST(PolicyConfigTest, SeedDocumentLoadsVerbatimAsModelsFile) {
  TempDir dir;
  dir.write("policies/medical.json", test::kSeedPolicy);
  const PolicyConfig config = load("policy:\n  models_file: policies/medical.json\n", dir.str());
  ASSERT_EQ(config.models.size(), 1u);
  const Rule* rule = config.models.find("gpt-4-medical");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->name, "models.gpt-4-medical");
  EXPECT_EQ(rule->required_roles, (std::vector<std::string>{"doctor", "physician_assistant"}));
  EXPECT_EQ(rule->required_scopes, (std::vector<std::string>{"medical:write"}));
  expect_seed_semantics(config);
}

TEST(PolicyConfigTest, SeedDocumentLoadsVerbatimInline) {
  const PolicyConfig config = load(std::string("policy:\n  models: ") + test::kSeedPolicy + "\n");
  ASSERT_EQ(config.models.size(), 1u);
  expect_seed_semantics(config);
}

TEST(PolicyConfigTest, DocumentedExampleLoadsAsWritten) {
  TempDir dir;
  dir.write("policies/medical.json", R"({"gpt-4-medical-2": {"requiredRoles": ["doctor"]}})");
  const PolicyConfig config = load(R"(
policy:
  mode: enforce            # enforce | shadow
  models_file: policies/medical.json
  models:
    gpt-4-medical: {requiredRoles: [doctor, physician_assistant], requiredScopes: ["medical:write"]}
    "gpt-4o*": {requiredRoles: [analyst]}
  tools:
    get_calendar: {requiredScopes: ["calendar:read"]}
  routes:
    calendar: {requiredScopes: ["calendar:read"]}
    models: {}             # empty rule: any authenticated user
)",
                                   dir.str());
  EXPECT_EQ(config.mode, Mode::Enforce);
  EXPECT_EQ(config.models.size(), 3u);
  EXPECT_EQ(config.tools.size(), 1u);
  EXPECT_EQ(config.routes.size(), 2u);
  ASSERT_NE(config.routes.find("models"), nullptr);
  EXPECT_TRUE(config.routes.find("models")->required_roles.empty());
  ASSERT_NE(config.models.find("gpt-4o-mini"), nullptr);
  EXPECT_EQ(config.models.find("gpt-4o-mini")->name, "models.gpt-4o*");
}

TEST(PolicyConfigTest, SnakeCaseKeysShadowTenantsAndTeamsAreRead) {
  const PolicyConfig config = load(R"(
policy:
  mode: shadow
  tools:
    t: {required_roles: [a], required_scopes: [s], tenants: [acme], teams: team-1, shadow: true}
)");
  EXPECT_EQ(config.mode, Mode::Shadow);
  const Rule* rule = config.tools.find("t");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->required_roles, std::vector<std::string>{"a"});
  EXPECT_EQ(rule->required_scopes, std::vector<std::string>{"s"});
  EXPECT_EQ(rule->tenants, std::vector<std::string>{"acme"});
  EXPECT_EQ(rule->teams, std::vector<std::string>{"team-1"});
  EXPECT_TRUE(rule->shadow);
}

TEST(PolicyConfigTest, UnknownKeysAreErrorsWithLineNumbers) {
  EXPECT_EQ(problems_of(R"(
policy:
  models:
    gpt-4-medical:
      requiredRoles: [doctor]
      requiredScope: ["medical:write"]
  tool:
    x: {}
)"),
            "gw.yaml:6: policy.models.gpt-4-medical.requiredScope: unknown key\n"
            "gw.yaml:7: policy.tool: unknown key\n");
}

TEST(PolicyConfigTest, BadValuesAreReportedWithLineNumbers) {
  EXPECT_EQ(problems_of(R"(
policy:
  mode: audit
  models:
    a: [doctor]
    b: {requiredRoles: {x: 1}}
    c: {requiredRoles: [x], required_roles: [y]}
    d: {shadow: maybe}
    e: {requiredScopes: [""]}
)"),
            "gw.yaml:3: policy.mode: expected one of enforce, shadow; got \"audit\"\n"
            "gw.yaml:5: policy.models.a: expected a rule mapping (requiredRoles, requiredScopes, "
            "tenants, teams, shadow); use {} for any authenticated caller\n"
            "gw.yaml:6: policy.models.b.requiredRoles: expected a list of strings, got a "
            "mapping\n"
            "gw.yaml:7: policy.models.c.required_roles: duplicates requiredRoles; use one "
            "spelling\n"
            "gw.yaml:8: policy.models.d.shadow: expected true or false, got \"maybe\"\n"
            "gw.yaml:9: policy.models.e.requiredScopes: expected non-empty strings\n");
}

TEST(PolicyConfigTest, DuplicateRuleBetweenFileAndInlineIsAnError) {
  TempDir dir;
  dir.write("policies/medical.json", test::kSeedPolicy);
  EXPECT_EQ(problems_of(R"(policy:
  models_file: policies/medical.json
  models:
    gpt-4-medical: {}
)",
                        dir.str()),
            "gw.yaml:4: policy.models.gpt-4-medical: duplicate models rule \"gpt-4-medical\"\n");
}

TEST(PolicyConfigTest, ModelsFileErrorsNameThatFileAndLine) {
  TempDir dir;
  dir.write("policies/medical.json", R"({
"gpt-4-medical": {
"requiredRoles": ["doctor"],
"requiredScope": ["medical:write"]
}
})");
  const std::string file = dir.str() + "/policies/medical.json";
  EXPECT_EQ(
      problems_of("policy:\n  models_file: policies/medical.json\n", dir.str()),
      "gw.yaml:2: policy.models_file: " + file + ":4: gpt-4-medical.requiredScope: unknown key\n");
}

TEST(PolicyConfigTest, UnreadableOrInvalidModelsFileIsAnError) {
  TempDir dir;
  const std::string missing = problems_of("policy:\n  models_file: nope.json\n", dir.str());
  EXPECT_EQ(missing, "gw.yaml:2: policy.models_file: " + dir.str() +
                         "/nope.json: cannot open the file for reading\n");
  dir.write("bad.json", "{\n\"m\": {\"requiredRoles\": [\"a\"}\n}\n");
  const std::string bad = problems_of("policy:\n  models_file: bad.json\n", dir.str());
  EXPECT_NE(bad.find(dir.str() + "/bad.json:2: not valid YAML"), std::string::npos) << bad;
}

}  // namespace
}  // namespace gw::policy

namespace gw::policy {
namespace {

// The repository's example configs, read where they are (this file is tests/policy/...).
std::filesystem::path repo_root() {
  if (const char* dir = std::getenv("GW_SOURCE_DIR")) return dir;  // set by ctest
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

TEST(PolicyConfigTest, ExampleConfigsPolicySectionsLoadWithoutProblems) {
  const auto dir = repo_root() / "examples" / "configs";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no examples/configs";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    config::Problems problems(entry.path().string());
    auto root = config::load_file(entry.path().string(), problems);
    ASSERT_TRUE(root) << problems.format();
    config::Map top(*root, "", problems);
    if (auto section = top.map("policy")) parse_config(*section, dir.string());
    EXPECT_TRUE(problems.empty()) << problems.format();
  }
}

TEST(PolicyConfigTest, MedicalExampleEnforcesTheSeedPolicy) {
  const auto dir = repo_root() / "examples" / "configs";
  const auto file = dir / "medical.yaml";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no examples/configs/medical.yaml";
  config::Problems problems(file.string());
  auto root = config::load_file(file.string(), problems);
  ASSERT_TRUE(root);
  config::Map top(*root, "", problems);
  auto section = top.map("policy");
  ASSERT_TRUE(section);
  const PolicyConfig config = parse_config(*section, dir.string());
  ASSERT_TRUE(problems.empty()) << problems.format();
  expect_seed_semantics(config);
}

}  // namespace
}  // namespace gw::policy
