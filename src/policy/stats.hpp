#pragma once

#include <array>
#include <cstddef>

#include "core/metrics.hpp"
#include "core/reason.hpp"
#include "core/request_context.hpp"

namespace gw::policy {

// Counters of the policy layer, resolved once so the request path never takes the registry's
// mutex.
//   gw_policy_decisions_total{decision="allow|deny|shadow_deny",reason="<code>"}
//   gw_policy_tools_list_filtered_total   tools/list responses that had tools removed
//   gw_policy_tools_hidden_total          tools removed from tools/list responses
//   gw_policy_tools_list_unparsed_total   tools/list responses left unchanged (not parseable)
class Stats {
 public:
  explicit Stats(metrics::Registry& registry);
  void count(Decision decision, Reason reason) noexcept;

  metrics::Counter& tools_list_filtered;
  metrics::Counter& tools_hidden;
  metrics::Counter& tools_list_unparsed;

 private:
  static constexpr std::size_t kReasons = static_cast<std::size_t>(Reason::Internal) + 1;
  metrics::Counter* allow_ = nullptr;
  std::array<metrics::Counter*, kReasons> deny_{};
  std::array<metrics::Counter*, kReasons> shadow_deny_{};
};

}  // namespace gw::policy
