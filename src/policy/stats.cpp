#include "policy/stats.hpp"

#include <string>

namespace gw::policy {
namespace {

constexpr const char* kDecisions = "gw_policy_decisions_total";
constexpr const char* kDecisionsHelp = "Policy decisions by outcome and reason code.";

// Every reason evaluate() and the stage can produce.
constexpr Reason kPolicyReasons[] = {
    Reason::ModelNotAllowed,  Reason::RoleMissing,    Reason::ScopeMissing,
    Reason::TenantNotAllowed, Reason::TeamNotAllowed, Reason::ToolNotAllowed,
    Reason::NoMatchingRule,   Reason::McpMismatch,    Reason::MissingToken,
};

}  // namespace

Stats::Stats(metrics::Registry& registry)
    : tools_list_filtered(registry.counter("gw_policy_tools_list_filtered_total",
                                           "MCP tools/list responses that had tools removed.")),
      tools_hidden(registry.counter("gw_policy_tools_hidden_total",
                                    "Tools removed from MCP tools/list responses.")),
      tools_list_unparsed(
          registry.counter("gw_policy_tools_list_unparsed_total",
                           "MCP tools/list responses passed unchanged: body not understood.")) {
  allow_ = &registry.counter(kDecisions, kDecisionsHelp,
                             {{"decision", "allow"}, {"reason", std::string(code(Reason::None))}});
  for (Reason r : kPolicyReasons) {
    const auto i = static_cast<std::size_t>(r);
    deny_[i] = &registry.counter(kDecisions, kDecisionsHelp,
                                 {{"decision", "deny"}, {"reason", std::string(code(r))}});
    if (r != Reason::McpMismatch && r != Reason::MissingToken) {
      shadow_deny_[i] =
          &registry.counter(kDecisions, kDecisionsHelp,
                            {{"decision", "shadow_deny"}, {"reason", std::string(code(r))}});
    }
  }
}

void Stats::count(Decision decision, Reason reason) noexcept {
  const auto i = static_cast<std::size_t>(reason);
  metrics::Counter* counter = nullptr;
  switch (decision) {
    case Decision::Allow:
      counter = allow_;
      break;
    case Decision::Deny:
      counter = i < kReasons ? deny_[i] : nullptr;
      break;
    case Decision::ShadowDeny:
      counter = i < kReasons ? shadow_deny_[i] : nullptr;
      break;
    case Decision::None:
      break;
  }
  if (counter != nullptr) counter->inc();
}

}  // namespace gw::policy
