#pragma once

#include <string>

#include "policy/policy.hpp"
#include "policy/stats.hpp"

namespace gw::policy {

// Decides each request from the identity and the route layer's findings; records the decision
// in the context; in enforce mode rejects with 403 (400 for an Mcp-* header mismatch).
class PolicyStage final : public Stage {
 public:
  PolicyStage(PolicyConfigConstSharedPtr config, metrics::Registry& registry);

  std::string_view name() const noexcept override { return "policy"; }
  net::awaitable<Verdict> on_request(RequestContext& ctx) override;
  std::optional<Verdict> decide_now(RequestContext& ctx) override { return decide(ctx); }
  bool wants_response_body(const RequestContext& ctx) const noexcept override;
  Result<void> on_response_body(RequestContext& ctx, std::string& body) override;

  // The synchronous decision on_request returns (tests and tools call it directly).
  Verdict decide(RequestContext& ctx) const;

 private:
  Verdict reject(RequestContext& ctx, const Evaluation& evaluation,
                 const PolicyRequest& request) const;

  PolicyConfigConstSharedPtr config_;
  mutable Stats stats_;
};

}  // namespace gw::policy
