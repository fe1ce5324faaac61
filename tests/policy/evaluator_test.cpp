#include <gtest/gtest.h>

#include "policy/policy.hpp"
#include "policy_test_util.hpp"

namespace gw::policy {
namespace {

using test::identity;
using test::load;
using test::model_request;
using test::tool_request;

constexpr const char* kPolicy = R"(
policy:
  models:
    gpt-4-medical: {requiredRoles: [doctor, physician_assistant], requiredScopes: ["medical:write"]}
    "gpt-4o*": {requiredRoles: [analyst]}
    fin-model: {required_roles: [analyst], required_scopes: ["fin:read", "fin:trade"],
                tenants: [acme], teams: [desk-1]}
    open-model: {}
  tools:
    get_calendar: {requiredScopes: ["calendar:read"]}
    "admin_*": {requiredRoles: [admin]}
  routes:
    calendar: {requiredScopes: ["calendar:read"]}
    models: {}
    mcp: {}
)";

struct Case {
  const char* name;
  std::vector<std::string> roles;
  std::vector<std::string> scopes;
  const char* tenant;
  const char* team;
  const char* model;
  Decision decision;
  Reason reason;
  const char* rule;
};

// roles x scopes x models x tenants, with the exact-match traps.
const Case kCases[] = {
    {"doctor_with_scope",
     {"doctor"},
     {"medical:write"},
     "",
     "",
     "gpt-4-medical",
     Decision::Allow,
     Reason::None,
     "models.gpt-4-medical"},
    {"pa_with_scope",
     {"physician_assistant"},
     {"medical:write"},
     "",
     "",
     "gpt-4-medical",
     Decision::Allow,
     Reason::None,
     "models.gpt-4-medical"},
    {"nurse",
     {"nurse"},
     {"medical:write"},
     "",
     "",
     "gpt-4-medical",
     Decision::Deny,
     Reason::RoleMissing,
     "models.gpt-4-medical"},
    {"capitalised_role_is_another_role",
     {"Doctor"},
     {"medical:write"},
     "",
     "",
     "gpt-4-medical",
     Decision::Deny,
     Reason::RoleMissing,
     "models.gpt-4-medical"},
    {"padded_role_is_another_role",
     {" doctor"},
     {"medical:write"},
     "",
     "",
     "gpt-4-medical",
     Decision::Deny,
     Reason::RoleMissing,
     "models.gpt-4-medical"},
    {"broader_scope_string_is_another_scope",
     {"doctor"},
     {"medical:write:all"},
     "",
     "",
     "gpt-4-medical",
     Decision::Deny,
     Reason::ScopeMissing,
     "models.gpt-4-medical"},
    {"scope_prefix_is_another_scope",
     {"doctor"},
     {"medical"},
     "",
     "",
     "gpt-4-medical",
     Decision::Deny,
     Reason::ScopeMissing,
     "models.gpt-4-medical"},
    {"pa_without_scope",
     {"physician_assistant"},
     {"medical:read"},
     "",
     "",
     "gpt-4-medical",
     Decision::Deny,
     Reason::ScopeMissing,
     "models.gpt-4-medical"},
    {"nurse_without_scope_is_told_role_first",
     {"nurse"},
     {},
     "",
     "",
     "gpt-4-medical",
     Decision::Deny,
     Reason::RoleMissing,
     "models.gpt-4-medical"},
    {"model_name_is_exact",
     {"doctor"},
     {"medical:write"},
     "",
     "",
     "GPT-4-medical",
     Decision::Deny,
     Reason::ModelNotAllowed,
     ""},
    {"unknown_model",
     {"doctor"},
     {"medical:write"},
     "",
     "",
     "gpt-5",
     Decision::Deny,
     Reason::ModelNotAllowed,
     ""},
    {"glob_model_analyst",
     {"analyst"},
     {},
     "",
     "",
     "gpt-4o-mini",
     Decision::Allow,
     Reason::None,
     "models.gpt-4o*"},
    {"glob_model_doctor",
     {"doctor"},
     {},
     "",
     "",
     "gpt-4o",
     Decision::Deny,
     Reason::RoleMissing,
     "models.gpt-4o*"},
    {"all_scopes_tenant_team",
     {"analyst"},
     {"fin:read", "fin:trade"},
     "acme",
     "desk-1",
     "fin-model",
     Decision::Allow,
     Reason::None,
     "models.fin-model"},
    {"one_scope_of_two",
     {"analyst"},
     {"fin:read"},
     "acme",
     "desk-1",
     "fin-model",
     Decision::Deny,
     Reason::ScopeMissing,
     "models.fin-model"},
    {"other_tenant",
     {"analyst"},
     {"fin:read", "fin:trade"},
     "globex",
     "desk-1",
     "fin-model",
     Decision::Deny,
     Reason::TenantNotAllowed,
     "models.fin-model"},
    {"tenant_case_differs",
     {"analyst"},
     {"fin:read", "fin:trade"},
     "ACME",
     "desk-1",
     "fin-model",
     Decision::Deny,
     Reason::TenantNotAllowed,
     "models.fin-model"},
    {"no_tenant",
     {"analyst"},
     {"fin:read", "fin:trade"},
     "",
     "desk-1",
     "fin-model",
     Decision::Deny,
     Reason::TenantNotAllowed,
     "models.fin-model"},
    {"other_team",
     {"analyst"},
     {"fin:read", "fin:trade"},
     "acme",
     "desk-2",
     "fin-model",
     Decision::Deny,
     Reason::TeamNotAllowed,
     "models.fin-model"},
    {"empty_rule_allows_any_caller",
     {},
     {},
     "",
     "",
     "open-model",
     Decision::Allow,
     Reason::None,
     "models.open-model"},
};

class EvaluatorTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(EvaluatorTableTest, DecidesByExactRolesScopesTenantsAndTeams) {
  static const PolicyConfig config = load(kPolicy);
  const Case& c = GetParam();
  auto id = identity(c.roles, c.scopes, c.tenant, c.team);
  const Evaluation e = evaluate(config, id.get(), model_request(c.model));
  EXPECT_EQ(e.decision, c.decision);
  EXPECT_EQ(code(e.reason), code(c.reason));
  EXPECT_EQ(e.rule, c.rule);
}

INSTANTIATE_TEST_SUITE_P(Table, EvaluatorTableTest, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(EvaluatorTest, DeniedEvaluationNamesTheRuleRequirements) {
  const PolicyConfig config = load(kPolicy);
  auto nurse = identity({"nurse"}, {});
  const Evaluation e = evaluate(config, nurse.get(), model_request("gpt-4-medical"));
  ASSERT_EQ(e.required_roles.size(), 2u);
  EXPECT_EQ(e.required_roles[0], "doctor");
  EXPECT_EQ(e.required_roles[1], "physician_assistant");
  ASSERT_EQ(e.required_scopes.size(), 1u);
  EXPECT_EQ(e.required_scopes[0], "medical:write");
}

TEST(EvaluatorTest, EmptyPolicyDeniesEverything) {
  const PolicyConfig config = load("policy: {}\n");
  auto admin = identity({"admin", "doctor"}, {"medical:write", "calendar:read"});
  EXPECT_EQ(evaluate(config, admin.get(), model_request("gpt-4")).reason, Reason::ModelNotAllowed);
  EXPECT_EQ(evaluate(config, admin.get(), tool_request("get_calendar")).reason,
            Reason::ToolNotAllowed);
  PolicyRequest generic;
  generic.route = "calendar";
  EXPECT_EQ(evaluate(config, admin.get(), generic).reason, Reason::NoMatchingRule);
  PolicyRequest init;
  init.route = "mcp";
  init.kind = ApiKind::Mcp;
  init.mcp_method = "initialize";
  EXPECT_EQ(evaluate(config, admin.get(), init).reason, Reason::NoMatchingRule);
  PolicyRequest nothing;
  EXPECT_EQ(evaluate(config, admin.get(), nothing).decision, Decision::Deny);
}

TEST(EvaluatorTest, PublicRoutesSkipPolicy) {
  const PolicyConfig config = load("policy: {}\n");
  PolicyRequest r;
  r.route = "health";
  r.is_public = true;
  EXPECT_EQ(evaluate(config, nullptr, r).decision, Decision::Allow);
}

TEST(EvaluatorTest, MissingIdentityIsDeniedEvenByAnEmptyRule) {
  const PolicyConfig config = load(kPolicy);
  const Evaluation e = evaluate(config, nullptr, model_request("open-model"));
  EXPECT_EQ(e.decision, Decision::Deny);
  EXPECT_EQ(e.reason, Reason::MissingToken);
}

TEST(EvaluatorTest, GenericRouteNeedsARouteRule) {
  const PolicyConfig config = load(kPolicy);
  PolicyRequest r;
  r.route = "calendar";
  auto reader = identity({}, {"calendar:read"});
  auto other = identity({}, {"calendar:write"});
  EXPECT_EQ(evaluate(config, reader.get(), r).decision, Decision::Allow);
  EXPECT_EQ(evaluate(config, reader.get(), r).rule, "routes.calendar");
  EXPECT_EQ(evaluate(config, other.get(), r).reason, Reason::ScopeMissing);
  r.route = "reports";
  EXPECT_EQ(evaluate(config, reader.get(), r).reason, Reason::NoMatchingRule);
}

TEST(EvaluatorTest, RouteRuleMustAlsoAllowAnAiRequest) {
  const PolicyConfig config = load(R"(
policy:
  models: {open-model: {}}
  routes: {chat: {requiredRoles: [staff]}}
)");
  auto staff = identity({"staff"}, {});
  auto guest = identity({"guest"}, {});
  EXPECT_EQ(evaluate(config, staff.get(), model_request("open-model")).decision, Decision::Allow);
  EXPECT_EQ(evaluate(config, staff.get(), model_request("open-model")).rule, "models.open-model");
  const Evaluation e = evaluate(config, guest.get(), model_request("open-model"));
  EXPECT_EQ(e.reason, Reason::RoleMissing);
  EXPECT_EQ(e.rule, "routes.chat");
}

TEST(EvaluatorTest, AiRouteWithoutModelFallsBackToTheRouteRule) {
  const PolicyConfig config = load(kPolicy);
  auto anyone = identity({}, {});
  PolicyRequest list_models;
  list_models.route = "models";
  list_models.kind = ApiKind::OpenAI;
  EXPECT_EQ(evaluate(config, anyone.get(), list_models).decision, Decision::Allow);
  list_models.route = "chat";
  EXPECT_EQ(evaluate(config, anyone.get(), list_models).reason, Reason::NoMatchingRule);
}

TEST(EvaluatorTest, AliasedModelIsCheckedUnderBothNames) {
  const PolicyConfig config = load(R"(
policy:
  models:
    gpt-4-medical: {requiredRoles: [doctor]}
    "*": {}
)");
  auto nurse = identity({"nurse"}, {});
  PolicyRequest r = model_request("med");
  r.upstream_model = "gpt-4-medical";
  const Evaluation e = evaluate(config, nurse.get(), r);
  EXPECT_EQ(e.reason, Reason::RoleMissing);
  EXPECT_EQ(e.rule, "models.gpt-4-medical");
}

TEST(EvaluatorTest, ToolCallNeedsAToolRule) {
  const PolicyConfig config = load(kPolicy);
  auto reader = identity({}, {"calendar:read"});
  auto admin = identity({"admin"}, {});
  EXPECT_EQ(evaluate(config, reader.get(), tool_request("get_calendar")).decision, Decision::Allow);
  EXPECT_EQ(evaluate(config, reader.get(), tool_request("get_calendar")).rule,
            "tools.get_calendar");
  EXPECT_EQ(evaluate(config, admin.get(), tool_request("get_calendar")).reason,
            Reason::ScopeMissing);
  EXPECT_EQ(evaluate(config, admin.get(), tool_request("admin_reset")).decision, Decision::Allow);
  EXPECT_EQ(evaluate(config, reader.get(), tool_request("admin_reset")).reason,
            Reason::RoleMissing);
  EXPECT_EQ(evaluate(config, admin.get(), tool_request("delete_everything")).reason,
            Reason::ToolNotAllowed);
}

TEST(EvaluatorTest, OtherMcpMethodsPassOnTheRouteRule) {
  const PolicyConfig config = load(kPolicy);
  auto anyone = identity({}, {});
  for (const char* method : {"initialize", "notifications/initialized", "ping", "tools/list"}) {
    PolicyRequest r;
    r.route = "mcp";
    r.kind = ApiKind::Mcp;
    r.mcp_method = method;
    EXPECT_EQ(evaluate(config, anyone.get(), r).decision, Decision::Allow) << method;
    r.route = "mcp-unlisted";
    EXPECT_EQ(evaluate(config, anyone.get(), r).reason, Reason::NoMatchingRule) << method;
  }
}

TEST(EvaluatorTest, ShadowModeReportsTheWouldBeDenial) {
  const PolicyConfig config = load(R"(
policy:
  mode: shadow
  models: {gpt-4-medical: {requiredRoles: [doctor]}}
)");
  auto nurse = identity({"nurse"}, {});
  const Evaluation e = evaluate(config, nurse.get(), model_request("gpt-4-medical"));
  EXPECT_EQ(e.decision, Decision::ShadowDeny);
  EXPECT_EQ(e.reason, Reason::RoleMissing);
  EXPECT_EQ(e.rule, "models.gpt-4-medical");
  EXPECT_EQ(evaluate(config, nurse.get(), model_request("gpt-5")).decision, Decision::ShadowDeny);
}

TEST(EvaluatorTest, ShadowRuleDoesNotHideALaterEnforcedDenial) {
  const PolicyConfig config = load(R"(
policy:
  models: {gpt-4-medical: {requiredRoles: [doctor]}, trial: {requiredRoles: [doctor], shadow: true}}
  routes: {chat: {requiredScopes: [chat], shadow: true}}
)");
  auto nurse = identity({"nurse"}, {});
  const Evaluation e = evaluate(config, nurse.get(), model_request("gpt-4-medical"));
  EXPECT_EQ(e.decision, Decision::Deny);
  EXPECT_EQ(e.reason, Reason::RoleMissing);
  const Evaluation trial = evaluate(config, nurse.get(), model_request("trial"));
  EXPECT_EQ(trial.decision, Decision::ShadowDeny);
  EXPECT_EQ(trial.reason, Reason::ScopeMissing);  // the first would-be denial: the route's
  EXPECT_EQ(trial.rule, "routes.chat");
}

TEST(EvaluatorTest, EvaluateToolAppliesOnlyTheToolRule) {
  const PolicyConfig config = load(kPolicy);
  auto reader = identity({}, {"calendar:read"});
  EXPECT_EQ(evaluate_tool(config, reader.get(), "get_calendar").decision, Decision::Allow);
  EXPECT_EQ(evaluate_tool(config, reader.get(), "admin_reset").decision, Decision::Deny);
  EXPECT_EQ(evaluate_tool(config, reader.get(), "unknown").reason, Reason::ToolNotAllowed);
}

}  // namespace
}  // namespace gw::policy
