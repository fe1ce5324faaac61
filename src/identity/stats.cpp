#include "identity/stats.hpp"

namespace gw::identity {
namespace {

constexpr const char* kVerifications = "gw_identity_verifications_total";
constexpr const char* kVerificationsHelp = "Bearer token verifications by result";

}  // namespace

Stats::Stats()
    : token_cache_hits(metrics::Registry::global().counter(
          "gw_identity_token_cache_hits_total", "Tokens found in the verified-token cache")),
      token_cache_misses(metrics::Registry::global().counter(
          "gw_identity_token_cache_misses_total", "Tokens not found in the verified-token cache")),
      by_reason_(static_cast<std::size_t>(Reason::Internal) + 1, nullptr) {
  auto& registry = metrics::Registry::global();
  by_reason_[0] = &registry.counter(kVerifications, kVerificationsHelp, {{"result", "ok"}});
  for (Reason r = Reason::MissingToken; r <= Reason::JwksUnavailable;
       r = static_cast<Reason>(static_cast<int>(r) + 1)) {
    by_reason_[static_cast<std::size_t>(r)] =
        &registry.counter(kVerifications, kVerificationsHelp, {{"result", std::string(code(r))}});
  }
  other_ = &registry.counter(kVerifications, kVerificationsHelp, {{"result", "other"}});
}

metrics::Counter& Stats::verification(Reason reason) noexcept {
  const auto i = static_cast<std::size_t>(reason);
  if (i < by_reason_.size() && by_reason_[i] != nullptr) return *by_reason_[i];
  return *other_;
}

metrics::Counter& Stats::jwks_fetches(const std::string& issuer, bool ok) {
  return metrics::Registry::global().counter("gw_identity_jwks_fetches_total",
                                             "JWKS and discovery fetches by issuer and result",
                                             {{"issuer", issuer}, {"result", ok ? "ok" : "error"}});
}

metrics::Counter& Stats::jwks_kid_misses(const std::string& issuer) {
  return metrics::Registry::global().counter("gw_identity_jwks_kid_misses_total",
                                             "Tokens naming a kid absent from the cached JWKS",
                                             {{"issuer", issuer}});
}

metrics::Counter& Stats::key_fetch_failures(const std::string& issuer, std::string_view stage) {
  return metrics::Registry::global().counter(
      "gw_identity_key_fetch_failures_total",
      "Failed OIDC discovery or JWKS fetches by issuer and stage (one per attempt)",
      {{"issuer", issuer}, {"stage", std::string(stage)}});
}

Stats& stats() {
  static Stats instance;
  return instance;
}

}  // namespace gw::identity
