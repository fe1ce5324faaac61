#include "policy/policy_stage.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include "policy_test_util.hpp"

namespace gw::policy {
namespace {

using test::identity;
using test::load;

class PolicyStageTest : public ::testing::Test {
 protected:
  void use(const std::string& yaml) {
    stage_ =
        std::make_unique<PolicyStage>(std::make_shared<const PolicyConfig>(load(yaml)), registry_);
  }
  void SetUp() override {
    use(R"(
policy:
  models:
    gpt-4-medical: {requiredRoles: [doctor, physician_assistant], requiredScopes: ["medical:write"]}
  tools:
    get_calendar: {requiredScopes: ["calendar:read"]}
    "admin_*": {requiredRoles: [admin]}
  routes:
    mcp: {}
)");
  }

  static RequestContext chat(std::string model, std::shared_ptr<const Identity> who) {
    RequestContext ctx;
    ctx.route =
        RouteMatch{"chat", "openai", ApiKind::OpenAI, "/v1/chat/completions", false, {}, {}};
    ctx.model = ModelRequest{model, model, false, std::nullopt};
    ctx.identity = std::move(who);
    return ctx;
  }
  static RequestContext mcp(std::string method, std::string tool,
                            std::shared_ptr<const Identity> who, std::string id = "7") {
    RequestContext ctx;
    ctx.route = RouteMatch{"mcp", "tools", ApiKind::Mcp, "/mcp", false, {}, {}};
    ctx.mcp = McpRequest{std::move(method), std::move(tool), std::move(id)};
    ctx.identity = std::move(who);
    return ctx;
  }
  std::uint64_t decisions(const char* decision, const char* reason) {
    return registry_
        .counter("gw_policy_decisions_total", "", {{"decision", decision}, {"reason", reason}})
        .value();
  }

  metrics::Registry registry_;
  std::unique_ptr<PolicyStage> stage_;
};

TEST_F(PolicyStageTest, SeedScenarioDoctorIsAllowedAndTheDecisionRecorded) {
  auto ctx = chat("gpt-4-medical", identity({"doctor"}, {"medical:write"}));
  EXPECT_TRUE(stage_->decide(ctx).proceeds());
  EXPECT_EQ(ctx.decision, Decision::Allow);
  EXPECT_EQ(ctx.decision_reason, Reason::None);
  EXPECT_EQ(ctx.decision_rule, "models.gpt-4-medical");
  EXPECT_EQ(decisions("allow", "ok"), 1u);
}

TEST_F(PolicyStageTest, SeedScenarioNurseGets403RoleMissingNamingOnlyTheRuleRequirements) {
  auto ctx = chat("gpt-4-medical", identity({"nurse"}, {"medical:write"}));
  const Verdict v = stage_->decide(ctx);
  EXPECT_EQ(v.reason, Reason::RoleMissing);
  EXPECT_EQ(status(v.reason), 403);
  EXPECT_EQ(v.content_type, "application/json");
  EXPECT_EQ(v.body,
            R"({"error":{"code":"role_missing","message":"model \"gpt-4-medical\" requires one )"
            R"(of the roles in required_roles","required_roles":["doctor","physician_assistant"],)"
            R"("required_scopes":["medical:write"]}})");
  EXPECT_EQ(ctx.decision, Decision::Deny);
  EXPECT_EQ(ctx.decision_reason, Reason::RoleMissing);
  EXPECT_EQ(ctx.decision_rule, "models.gpt-4-medical");
  EXPECT_TRUE(ctx.response_headers.empty());
  EXPECT_EQ(decisions("deny", "role_missing"), 1u);
}

TEST_F(PolicyStageTest, SeedScenarioAssistantWithoutScopeGetsScopeMissingAndAStepUpChallenge) {
  auto ctx = chat("gpt-4-medical", identity({"physician_assistant"}, {"medical:read"}));
  const Verdict v = stage_->decide(ctx);
  EXPECT_EQ(v.reason, Reason::ScopeMissing);
  ASSERT_EQ(ctx.response_headers.size(), 1u);
  EXPECT_EQ(ctx.response_headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(ctx.response_headers[0].second,
            R"(Bearer error="insufficient_scope", scope="medical:write")");
  auto body = boost::json::parse(v.body).as_object();
  EXPECT_EQ(body["error"].as_object()["code"], "scope_missing");
}

TEST_F(PolicyStageTest, UnknownModelIsDeniedWithoutRevealingOtherRules) {
  auto ctx = chat("gpt-5", identity({"doctor"}, {"medical:write"}));
  const Verdict v = stage_->decide(ctx);
  EXPECT_EQ(v.reason, Reason::ModelNotAllowed);
  EXPECT_EQ(v.body, R"({"error":{"code":"model_not_allowed","message":"model \"gpt-5\" is not )"
                    R"(allowed"}})");
  EXPECT_EQ(ctx.decision_rule, "");
}

TEST_F(PolicyStageTest, ShadowModeRecordsShadowDenyAndLetsTheRequestProceed) {
  use(R"(
policy:
  mode: shadow
  models: {gpt-4-medical: {requiredRoles: [doctor], requiredScopes: [medical:write]}}
)");
  auto ctx = chat("gpt-4-medical", identity({"nurse"}, {}));
  EXPECT_TRUE(stage_->decide(ctx).proceeds());
  EXPECT_EQ(ctx.decision, Decision::ShadowDeny);
  EXPECT_EQ(ctx.decision_reason, Reason::RoleMissing);
  EXPECT_EQ(ctx.decision_rule, "models.gpt-4-medical");
  EXPECT_TRUE(ctx.response_headers.empty());
  EXPECT_EQ(decisions("shadow_deny", "role_missing"), 1u);
  EXPECT_EQ(decisions("deny", "role_missing"), 0u);
}

TEST_F(PolicyStageTest, ShadowRuleProceedsWhileEnforcedRulesStillDeny) {
  use(R"(
policy:
  models: {trial: {requiredRoles: [doctor], shadow: true}, gpt-4: {requiredRoles: [doctor]}}
)");
  auto trial = chat("trial", identity({"nurse"}, {}));
  EXPECT_TRUE(stage_->decide(trial).proceeds());
  EXPECT_EQ(trial.decision, Decision::ShadowDeny);
  auto enforced = chat("gpt-4", identity({"nurse"}, {}));
  EXPECT_FALSE(stage_->decide(enforced).proceeds());
}

TEST_F(PolicyStageTest, McpToolCallAllowedForTheRightScope) {
  auto ctx = mcp("tools/call", "get_calendar", identity({}, {"calendar:read"}));
  EXPECT_TRUE(stage_->decide(ctx).proceeds());
  EXPECT_EQ(ctx.decision_rule, "tools.get_calendar");
}

TEST_F(PolicyStageTest, McpToolCallDeniedWithAJsonRpcErrorCarryingTheRequestId) {
  auto ctx = mcp("tools/call", "delete_all", identity({}, {"calendar:read"}), R"("req-1")");
  const Verdict v = stage_->decide(ctx);
  EXPECT_EQ(v.reason, Reason::ToolNotAllowed);
  EXPECT_EQ(status(v.reason), 403);
  EXPECT_EQ(v.content_type, "application/json");
  EXPECT_EQ(v.body, R"({"jsonrpc":"2.0","id":"req-1","error":{"code":-32003,"message":"tool )"
                    R"(\"delete_all\" is not allowed","data":{"reason":"tool_not_allowed"}}})");
}

TEST_F(PolicyStageTest, McpScopeDenialCarriesRequirementsAndTheChallenge) {
  auto ctx = mcp("tools/call", "get_calendar", identity({}, {}), "42");
  const Verdict v = stage_->decide(ctx);
  EXPECT_EQ(v.reason, Reason::ScopeMissing);
  auto body = boost::json::parse(v.body).as_object();
  EXPECT_EQ(body["id"], 42);
  auto& error = body["error"].as_object();
  EXPECT_EQ(error["code"], -32003);
  auto& data = error["data"].as_object();
  EXPECT_EQ(data["reason"], "scope_missing");
  EXPECT_EQ(data["required_scopes"].as_array().size(), 1u);
  EXPECT_EQ(data["required_scopes"].as_array()[0], "calendar:read");
  ASSERT_EQ(ctx.response_headers.size(), 1u);
  EXPECT_EQ(ctx.response_headers[0].second,
            R"(Bearer error="insufficient_scope", scope="calendar:read")");
}

TEST_F(PolicyStageTest, InvalidJsonRpcIdBecomesNull) {
  auto ctx = mcp("tools/call", "nope", identity({}, {}), R"({"x":1})");
  auto body = boost::json::parse(stage_->decide(ctx).body).as_object();
  EXPECT_TRUE(body["id"].is_null());
}

TEST_F(PolicyStageTest, McpHeadersThatDisagreeWithTheBodyAreRejected) {
  auto ctx = mcp("tools/call", "get_calendar", identity({}, {"calendar:read"}));
  ctx.headers = {{"Mcp-Method", "tools/call"}, {"Mcp-Name", "get_weather"}};
  Verdict v = stage_->decide(ctx);
  EXPECT_EQ(v.reason, Reason::McpMismatch);
  EXPECT_EQ(status(v.reason), 400);
  EXPECT_EQ(ctx.decision, Decision::Deny);
  EXPECT_EQ(boost::json::parse(v.body).at("error").at("code"), -32600);
  EXPECT_EQ(decisions("deny", "mcp_header_mismatch"), 1u);

  auto method = mcp("tools/call", "get_calendar", identity({}, {"calendar:read"}));
  method.headers = {{"mcp-method", "tools/list"}};
  EXPECT_EQ(stage_->decide(method).reason, Reason::McpMismatch);

  auto twice = mcp("tools/call", "get_calendar", identity({}, {"calendar:read"}));
  twice.headers = {{"Mcp-Name", "get_calendar"}, {"Mcp-Name", "get_calendar"}};
  EXPECT_EQ(stage_->decide(twice).reason, Reason::McpMismatch);
}

TEST_F(PolicyStageTest, McpHeadersThatAgreeWithTheBodyPass) {
  auto ctx = mcp("tools/call", "get_calendar", identity({}, {"calendar:read"}));
  ctx.headers = {{"Mcp-Method", "tools/call"}, {"Mcp-Name", "get_calendar"}};
  EXPECT_TRUE(stage_->decide(ctx).proceeds());
  auto list = mcp("resources/read", "", identity({}, {}));
  list.headers = {{"Mcp-Method", "resources/read"}, {"Mcp-Name", "file:///a.txt"}};
  EXPECT_TRUE(stage_->decide(list).proceeds());
}

TEST_F(PolicyStageTest, PublicRouteSkipsPolicyWithoutIdentity) {
  use("policy: {}\n");
  RequestContext ctx;
  ctx.route = RouteMatch{"health", "", ApiKind::Generic, "/healthz", true, {}, {}};
  EXPECT_TRUE(stage_->decide(ctx).proceeds());
  EXPECT_EQ(ctx.decision, Decision::Allow);
  EXPECT_EQ(ctx.decision_rule, "public");
}

TEST_F(PolicyStageTest, EmptyPolicyDeniesAGenericRoute) {
  use("policy: {}\n");
  RequestContext ctx;
  ctx.route = RouteMatch{"calendar", "cal", ApiKind::Generic, "/calendar", false, {}, {}};
  ctx.identity = identity({"admin"}, {"calendar:read"});
  const Verdict v = stage_->decide(ctx);
  EXPECT_EQ(v.reason, Reason::NoMatchingRule);
  EXPECT_EQ(v.body, R"({"error":{"code":"no_matching_rule","message":"no policy rule allows )"
                    R"(this request"}})");
}

TEST_F(PolicyStageTest, OnRequestReturnsTheDecisionThroughTheCoroutine) {
  net::io_context io;
  auto ctx = chat("gpt-4-medical", identity({"nurse"}, {}));
  auto future = net::co_spawn(io, stage_->on_request(ctx), net::use_future);
  io.run();
  EXPECT_EQ(future.get().reason, Reason::RoleMissing);
}

TEST_F(PolicyStageTest, WantsTheResponseBodyOnlyForMcpToolsList) {
  auto list = mcp("tools/list", "", identity({}, {}));
  EXPECT_TRUE(stage_->wants_response_body(list));
  auto call = mcp("tools/call", "get_calendar", identity({}, {}));
  EXPECT_FALSE(stage_->wants_response_body(call));
  auto model = chat("gpt-4-medical", identity({}, {}));
  EXPECT_FALSE(stage_->wants_response_body(model));
}

constexpr const char* kToolsList =
    R"({"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"get_calendar","inputSchema":{}},)"
    R"({"name":"admin_reset"},{"name":"secret_tool"}],"nextCursor":"c2"}})";

TEST_F(PolicyStageTest, ToolsListShowsOnlyToolsTheCallerMayCall) {
  auto ctx = mcp("tools/list", "", identity({}, {"calendar:read"}), "3");
  std::string body = kToolsList;
  ASSERT_TRUE(stage_->on_response_body(ctx, body));
  EXPECT_EQ(body, R"({"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"get_calendar",)"
                  R"("inputSchema":{}}],"nextCursor":"c2"}})");
  EXPECT_EQ(registry_.counter("gw_policy_tools_hidden_total", "").value(), 2u);
  EXPECT_EQ(registry_.counter("gw_policy_tools_list_filtered_total", "").value(), 1u);
}

TEST_F(PolicyStageTest, ToolsListOverEventStreamIsFiltered) {
  auto ctx = mcp("tools/list", "", identity({"admin"}, {}), "3");
  std::string body = std::string("event: message\nid: 1\ndata: ") + kToolsList + "\n\n";
  ASSERT_TRUE(stage_->on_response_body(ctx, body));
  EXPECT_EQ(body,
            "event: message\nid: 1\ndata: "
            R"({"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"admin_reset"}],)"
            R"("nextCursor":"c2"}})"
            "\n\n");
}

TEST_F(PolicyStageTest, UnreadableToolsListIsRefusedAndCounted) {
  // Passing it on could show tools the caller may not see: the proxy answers 502 instead.
  auto ctx = mcp("tools/list", "", identity({}, {}), "3");
  for (std::string body : {std::string("{\"jsonrpc\":\"2.0\",\"result\":{\"tools\":["),
                           std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10),
                           std::string("data: {\"result\":\n\n")}) {
    auto read = stage_->on_response_body(ctx, body);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().reason, Reason::UpstreamProtocolError);
  }
  EXPECT_EQ(registry_.counter("gw_policy_tools_list_unparsed_total", "").value(), 3u);
}

TEST_F(PolicyStageTest, ShadowModeKeepsEveryToolVisible) {
  use(R"(
policy:
  mode: shadow
  tools: {get_calendar: {requiredScopes: [calendar:read]}}
)");
  auto ctx = mcp("tools/list", "", identity({}, {}), "3");
  std::string body = kToolsList;
  EXPECT_TRUE(stage_->on_response_body(ctx, body));
  EXPECT_EQ(body, kToolsList);
  // Shadow never changes what a caller gets, an unreadable answer included.
  std::string unreadable = "{\"result\":";
  EXPECT_TRUE(stage_->on_response_body(ctx, unreadable));
  EXPECT_EQ(unreadable, "{\"result\":");
}

}  // namespace
}  // namespace gw::policy
