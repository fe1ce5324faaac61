#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_reader.hpp"
#include "core/identity.hpp"
#include "core/metrics.hpp"
#include "core/request_context.hpp"
#include "core/stage.hpp"

// The policy layer: deny by default, rules per model, per MCP tool and per route.
// docs/policy.md describes the configuration and the evaluation order.
namespace gw::policy {

// One rule: who may use the model, tool or route it is keyed by. Strings compare exactly.
struct Rule {
  std::string name;                          // "models.gpt-4-medical", "tools.get_*", ...
  std::vector<std::string> required_roles;   // any of; empty: no role needed
  std::vector<std::string> required_scopes;  // all of
  std::vector<std::string> tenants;          // allowed tenants; empty: any
  std::vector<std::string> teams;            // allowed teams; empty: any
  bool shadow = false;                       // evaluate and count, never enforce
};

namespace detail {
struct RuleIndex;
}

// Rules keyed by name: exact names, or globs with `*` (any run) and `?` (one character).
// An exact name wins over every glob; among globs the most specific one (most literal
// characters, then the longest pattern, then the first written) wins.
class RuleSet {
 public:
  // Adds a rule under `key`; false when the key is already taken.
  bool add(std::string key, Rule rule);
  // Builds the lookup index; call after the last add() and before find().
  void compile();
  // The rule that applies to `name`, or nullptr.
  const Rule* find(std::string_view name) const noexcept;
  std::size_t size() const noexcept { return keys_.size(); }
  bool empty() const noexcept { return keys_.empty(); }
  const std::vector<std::string>& keys() const noexcept { return keys_; }
  const std::vector<Rule>& rules() const noexcept { return rules_; }

 private:
  std::vector<std::string> keys_;
  std::vector<Rule> rules_;
  std::shared_ptr<const detail::RuleIndex> index_;
};

enum class Mode { Enforce, Shadow };

// Parsed once per config snapshot; immutable afterwards.
struct PolicyConfig {
  Mode mode = Mode::Enforce;
  RuleSet models;
  RuleSet tools;
  RuleSet routes;
  void compile() {
    models.compile();
    tools.compile();
    routes.compile();
  }
};

// What is being asked for, as the route layer saw it. Views: the source must outlive it.
struct PolicyRequest {
  std::string_view route;  // route name; empty when no route matched
  ApiKind kind = ApiKind::Generic;
  bool is_public = false;
  std::optional<std::string_view> model;  // requested model (AI routes)
  std::string_view upstream_model;        // after alias mapping; may equal model
  std::optional<std::string_view> mcp_method;
  std::string_view tool;  // params.name of tools/call

  static PolicyRequest from(const RequestContext& ctx) noexcept;
};

// The outcome of one decision. Views into the PolicyConfig it was computed from.
struct Evaluation {
  Decision decision = Decision::Deny;            // Allow, Deny or ShadowDeny
  Reason reason = Reason::NoMatchingRule;        // None when allowed; the would-be reason in shadow
  std::string_view rule;                         // the deciding rule; empty when none matched
  std::span<const std::string> required_roles;   // of the deciding rule
  std::span<const std::string> required_scopes;  // of the deciding rule
};

// Pure and allocation-free: the stage, `gatewaystack policy explain` and the benchmark share it.
// A null identity is denied (missing_token) on every non-public route.
Evaluation evaluate(const PolicyConfig& config, const Identity* identity,
                    const PolicyRequest& request) noexcept;

// Whether the caller may call the MCP tool (what tools/list filtering uses).
Evaluation evaluate_tool(const PolicyConfig& config, const Identity* identity,
                         std::string_view tool) noexcept;

// Reads the `policy:` section. Problems go to policy_section.problems(); relative paths
// (models_file) are resolved against base_dir.
PolicyConfig parse_config(config::Map& policy_section, const std::string& base_dir);

using PolicyConfigConstSharedPtr = std::shared_ptr<const PolicyConfig>;

// The pipeline stage. Counters go to `registry` (gw_policy_* families).
StagePtr make_stage(PolicyConfigConstSharedPtr config,
                    metrics::Registry& registry = metrics::Registry::global());

}  // namespace gw::policy
