#include <algorithm>

#include "policy/policy.hpp"

namespace gw::policy {
namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) noexcept {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The first requirement of `rule` the identity fails, or None. Order: tenant, team, role,
// scope (scope last, so a step-up for more scopes is only suggested when it would help).
Reason check(const Rule& rule, const Identity& identity) noexcept {
  if (!rule.tenants.empty() && !contains(rule.tenants, identity.tenant)) {
    return Reason::TenantNotAllowed;
  }
  if (!rule.teams.empty() && !contains(rule.teams, identity.team)) return Reason::TeamNotAllowed;
  if (!rule.required_roles.empty()) {
    const bool any = std::any_of(rule.required_roles.begin(), rule.required_roles.end(),
                                 [&](const std::string& r) { return identity.has_role(r); });
    if (!any) return Reason::RoleMissing;
  }
  for (const auto& scope : rule.required_scopes) {
    if (!identity.has_scope(scope)) return Reason::ScopeMissing;
  }
  return Reason::None;
}

Evaluation verdict(Decision decision, Reason reason, const Rule* rule) noexcept {
  Evaluation e;
  e.decision = decision;
  e.reason = reason;
  if (rule != nullptr) {
    e.rule = rule->name;
    e.required_roles = rule->required_roles;
    e.required_scopes = rule->required_scopes;
  }
  return e;
}

// Accumulates the checks of one request: the first enforced denial ends it; a denial by a
// shadow rule (or in shadow mode) is remembered while the remaining checks still run.
class Decider {
 public:
  Decider(const PolicyConfig& config, const Identity& identity)
      : shadow_mode_(config.mode == Mode::Shadow), identity_(identity) {}

  // False when the request is denied for good.
  bool apply(const Rule& rule) noexcept {
    if (!allowed_by_) allowed_by_ = &rule;
    const Reason reason = check(rule, identity_);
    if (reason == Reason::None) return true;
    return deny(reason, &rule, rule.shadow);
  }
  bool deny(Reason reason, const Rule* rule, bool shadow_rule = false) noexcept {
    if (shadow_mode_ || shadow_rule) {
      if (!shadow_) shadow_ = verdict(Decision::ShadowDeny, reason, rule);
      return true;
    }
    final_ = verdict(Decision::Deny, reason, rule);
    return false;
  }
  Evaluation result() const noexcept {
    if (final_) return *final_;
    if (shadow_) return *shadow_;
    return verdict(Decision::Allow, Reason::None, allowed_by_);
  }
  // The rule the allow is attributed to: the most specific one checked (model/tool over route).
  void prefer(const Rule* rule) noexcept {
    if (rule != nullptr) allowed_by_ = rule;
  }

 private:
  bool shadow_mode_;
  const Identity& identity_;
  const Rule* allowed_by_ = nullptr;
  std::optional<Evaluation> final_;
  std::optional<Evaluation> shadow_;
};

bool is_ai(ApiKind kind) noexcept { return kind == ApiKind::OpenAI || kind == ApiKind::Anthropic; }

}  // namespace

PolicyRequest PolicyRequest::from(const RequestContext& ctx) noexcept {
  PolicyRequest r;
  if (ctx.route) {
    r.route = ctx.route->name;
    r.kind = ctx.route->kind;
    r.is_public = ctx.route->is_public;
  }
  if (ctx.model) {
    r.model = ctx.model->model;
    r.upstream_model = ctx.model->upstream_model;
  }
  if (ctx.mcp) {
    r.mcp_method = ctx.mcp->method;
    r.tool = ctx.mcp->tool;
  }
  return r;
}

Evaluation evaluate(const PolicyConfig& config, const Identity* identity,
                    const PolicyRequest& request) noexcept {
  if (request.is_public) return verdict(Decision::Allow, Reason::None, nullptr);
  if (identity == nullptr) {
    // Fails closed even in shadow mode: no verified caller, nothing to evaluate.
    return verdict(Decision::Deny, Reason::MissingToken, nullptr);
  }
  Decider d(config, *identity);

  const Rule* route_rule = request.route.empty() ? nullptr : config.routes.find(request.route);
  if (route_rule != nullptr && !d.apply(*route_rule)) return d.result();

  if (is_ai(request.kind) && request.model) {
    // The requested name and, after alias mapping, the upstream name: every rule found must
    // allow, and at least one must exist.
    const Rule* rule = config.models.find(*request.model);
    const Rule* upstream = nullptr;
    if (!request.upstream_model.empty() && request.upstream_model != *request.model) {
      upstream = config.models.find(request.upstream_model);
      if (upstream == rule) upstream = nullptr;
    }
    if (rule == nullptr && upstream == nullptr) {
      d.deny(Reason::ModelNotAllowed, nullptr);
      return d.result();
    }
    if (upstream != nullptr && !d.apply(*upstream)) return d.result();
    if (rule != nullptr && !d.apply(*rule)) return d.result();
    d.prefer(rule != nullptr ? rule : upstream);
    return d.result();
  }

  if (request.kind == ApiKind::Mcp && request.mcp_method && *request.mcp_method == "tools/call") {
    const Rule* rule = config.tools.find(request.tool);
    if (rule == nullptr) {
      d.deny(Reason::ToolNotAllowed, nullptr);
      return d.result();
    }
    if (!d.apply(*rule)) return d.result();
    d.prefer(rule);
    return d.result();
  }

  // Everything else (generic routes, MCP methods other than tools/call, AI routes without a
  // model such as GET /v1/models) is decided by the route rule alone.
  if (route_rule == nullptr) d.deny(Reason::NoMatchingRule, nullptr);
  return d.result();
}

Evaluation evaluate_tool(const PolicyConfig& config, const Identity* identity,
                         std::string_view tool) noexcept {
  if (identity == nullptr) return verdict(Decision::Deny, Reason::MissingToken, nullptr);
  Decider d(config, *identity);
  const Rule* rule = config.tools.find(tool);
  if (rule == nullptr) {
    d.deny(Reason::ToolNotAllowed, nullptr);
  } else {
    d.apply(*rule);
  }
  return d.result();
}

}  // namespace gw::policy
