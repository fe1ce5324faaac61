#include "policy/policy_stage.hpp"

#include "core/strings.hpp"
#include "policy/deny_response.hpp"
#include "policy/tools_list_filter.hpp"

namespace gw::policy {
namespace {

bool is_mcp(const RequestContext& ctx) noexcept {
  return ctx.route && ctx.route->kind == ApiKind::Mcp;
}

// Mcp-Method / Mcp-Name, when sent, must repeat the body's method and params.name: an
// intermediary that routes or filters on the headers must see what the server will execute.
bool headers_disagree(const RequestContext& ctx) noexcept {
  const std::size_t methods = ctx.header_count("Mcp-Method");
  const std::size_t names = ctx.header_count("Mcp-Name");
  if (methods == 0 && names == 0) return false;
  if (methods > 1 || names > 1 || !ctx.mcp) return true;
  if (methods == 1 && trim(ctx.header("Mcp-Method")) != ctx.mcp->method) return true;
  // Mcp-Name also carries resource URIs; only params.name is known here, so it is compared
  // when the body has one (tools/call, prompts/get).
  if (names == 1 && (!ctx.mcp->tool.empty() || ctx.mcp->method == "tools/call") &&
      trim(ctx.header("Mcp-Name")) != ctx.mcp->tool) {
    return true;
  }
  return false;
}

}  // namespace

PolicyStage::PolicyStage(PolicyConfigConstSharedPtr config, metrics::Registry& registry)
    : config_(std::move(config)), stats_(registry) {}

net::awaitable<Verdict> PolicyStage::on_request(RequestContext& ctx) { co_return decide(ctx); }

Verdict PolicyStage::decide(RequestContext& ctx) const {
  const PolicyRequest request = PolicyRequest::from(ctx);
  if (request.is_public) {
    ctx.decision = Decision::Allow;
    ctx.decision_reason = Reason::None;
    ctx.decision_rule = "public";
    stats_.count(Decision::Allow, Reason::None);
    return Verdict::proceed();
  }

  if ((is_mcp(ctx) || ctx.mcp) && headers_disagree(ctx)) {
    Evaluation mismatch;
    mismatch.decision = Decision::Deny;
    mismatch.reason = Reason::McpMismatch;
    return reject(ctx, mismatch, request);
  }

  const Evaluation e = evaluate(*config_, ctx.identity.get(), request);
  if (e.decision == Decision::Deny) return reject(ctx, e, request);
  ctx.decision = e.decision;
  ctx.decision_reason = e.reason;
  ctx.decision_rule = std::string(e.rule);
  stats_.count(e.decision, e.reason);
  return Verdict::proceed();
}

Verdict PolicyStage::reject(RequestContext& ctx, const Evaluation& e,
                            const PolicyRequest& request) const {
  ctx.decision = Decision::Deny;
  ctx.decision_reason = e.reason;
  ctx.decision_rule = std::string(e.rule);
  stats_.count(Decision::Deny, e.reason);

  std::string message = deny_message(e, request);
  if (e.reason == Reason::ScopeMissing) {
    ctx.response_headers.emplace_back("WWW-Authenticate", insufficient_scope_challenge(e));
  }
  Verdict v = Verdict::reject(e.reason, message);
  if (is_mcp(ctx)) {
    const int rpc_code =
        e.reason == Reason::McpMismatch ? kJsonRpcInvalidRequest : kJsonRpcForbidden;
    v.body = jsonrpc_error_body(ctx.mcp ? std::string_view(ctx.mcp->id) : std::string_view(),
                                rpc_code, e, message);
  } else {
    v.body = error_body(e, message);
  }
  v.content_type = "application/json";
  return v;
}

bool PolicyStage::wants_response_body(const RequestContext& ctx) const noexcept {
  return is_mcp(ctx) && !ctx.route->is_public && ctx.mcp && ctx.mcp->method == "tools/list";
}

Result<void> PolicyStage::on_response_body(RequestContext& ctx, std::string& body) {
  if (!wants_response_body(ctx)) return {};
  const Identity* identity = ctx.identity.get();
  const PolicyConfig& config = *config_;
  // Shadow decisions keep the tool visible: shadow never changes what a caller gets.
  auto result = filter_tools_list(body, [&](std::string_view tool) {
    return evaluate_tool(config, identity, tool).decision != Decision::Deny;
  });
  if (result.hidden > 0) {
    stats_.tools_list_filtered.inc();
    stats_.tools_hidden.inc(result.hidden);
  }
  if (!result.parsed) {
    stats_.tools_list_unparsed.inc();
    // An answer the filter cannot read may list hidden tools: refused, unless in shadow mode.
    if (config.mode != Mode::Shadow) {
      return make_error(Reason::UpstreamProtocolError,
                        "the MCP server's tools/list answer could not be read, so it cannot be "
                        "filtered (not JSON-RPC as application/json or text/event-stream)",
                        Origin::Upstream);
    }
  }
  return {};
}

StagePtr make_stage(PolicyConfigConstSharedPtr config, metrics::Registry& registry) {
  return std::make_unique<PolicyStage>(std::move(config), registry);
}

}  // namespace gw::policy
