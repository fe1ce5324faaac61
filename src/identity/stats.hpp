#pragma once

// The identity layer's metrics, registered once in gw::metrics::Registry::global().

#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.hpp"
#include "core/reason.hpp"

namespace gw::identity {

struct Stats {
  // gw_identity_verifications_total{result="ok" | reason code}
  metrics::Counter& verification(Reason reason) noexcept;  // Reason::None = ok
  metrics::Counter& token_cache_hits;                      // gw_identity_token_cache_hits_total
  metrics::Counter& token_cache_misses;                    // gw_identity_token_cache_misses_total

  // Per issuer, looked up once when the issuer's cache is built.
  static metrics::Counter& jwks_fetches(const std::string& issuer, bool ok);
  static metrics::Counter& jwks_kid_misses(const std::string& issuer);
  // gw_identity_key_fetch_failures_total{issuer, stage="discovery" | "jwks"}
  static metrics::Counter& key_fetch_failures(const std::string& issuer, std::string_view stage);

  Stats();

 private:
  std::vector<metrics::Counter*> by_reason_;
  metrics::Counter* other_;
};

Stats& stats();

}  // namespace gw::identity
