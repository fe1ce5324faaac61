#include "core/reason.hpp"

#include <array>
#include <utility>

namespace gw {
namespace {

constexpr std::array kReasons = {
    std::pair{Reason::None, ReasonInfo{"ok", 200}},
    std::pair{Reason::MissingToken, ReasonInfo{"missing_token", 401}},
    std::pair{Reason::MalformedToken, ReasonInfo{"malformed_token", 401}},
    std::pair{Reason::UnsupportedAlgorithm, ReasonInfo{"unsupported_algorithm", 401}},
    std::pair{Reason::UnknownKey, ReasonInfo{"unknown_key", 401}},
    std::pair{Reason::BadSignature, ReasonInfo{"bad_signature", 401}},
    std::pair{Reason::TokenExpired, ReasonInfo{"token_expired", 401}},
    std::pair{Reason::TokenNotYetValid, ReasonInfo{"token_not_yet_valid", 401}},
    std::pair{Reason::TokenIssuedInFuture, ReasonInfo{"token_issued_in_future", 401}},
    std::pair{Reason::WrongIssuer, ReasonInfo{"wrong_issuer", 401}},
    std::pair{Reason::WrongAudience, ReasonInfo{"wrong_audience", 401}},
    std::pair{Reason::MissingSubject, ReasonInfo{"missing_subject", 401}},
    std::pair{Reason::InvalidClaims, ReasonInfo{"invalid_claims", 401}},
    std::pair{Reason::UnsupportedCritical, ReasonInfo{"unsupported_critical_header", 401}},
    std::pair{Reason::JwksUnavailable, ReasonInfo{"jwks_unavailable", 503}},
    std::pair{Reason::NoRoute, ReasonInfo{"no_route", 404}},
    std::pair{Reason::MethodNotAllowed, ReasonInfo{"method_not_allowed", 405}},
    std::pair{Reason::InvalidPath, ReasonInfo{"invalid_path", 400}},
    std::pair{Reason::BadRequest, ReasonInfo{"bad_request", 400}},
    std::pair{Reason::InvalidHeader, ReasonInfo{"invalid_header", 400}},
    std::pair{Reason::HeaderTooLarge, ReasonInfo{"header_too_large", 431}},
    std::pair{Reason::UriTooLong, ReasonInfo{"uri_too_long", 414}},
    std::pair{Reason::BodyTooLarge, ReasonInfo{"body_too_large", 413}},
    std::pair{Reason::RequestTimeout, ReasonInfo{"request_timeout", 408}},
    std::pair{Reason::InvalidJson, ReasonInfo{"invalid_json", 400}},
    std::pair{Reason::MissingModel, ReasonInfo{"missing_model", 400}},
    std::pair{Reason::UnsupportedMediaType, ReasonInfo{"unsupported_media_type", 415}},
    std::pair{Reason::ModelNotAllowed, ReasonInfo{"model_not_allowed", 403}},
    std::pair{Reason::RoleMissing, ReasonInfo{"role_missing", 403}},
    std::pair{Reason::ScopeMissing, ReasonInfo{"scope_missing", 403}},
    std::pair{Reason::TenantNotAllowed, ReasonInfo{"tenant_not_allowed", 403}},
    std::pair{Reason::TeamNotAllowed, ReasonInfo{"team_not_allowed", 403}},
    std::pair{Reason::ToolNotAllowed, ReasonInfo{"tool_not_allowed", 403}},
    std::pair{Reason::NoMatchingRule, ReasonInfo{"no_matching_rule", 403}},
    std::pair{Reason::McpMismatch, ReasonInfo{"mcp_header_mismatch", 400}},
    std::pair{Reason::PiiBlocked, ReasonInfo{"pii_blocked", 400}},
    std::pair{Reason::RateLimited, ReasonInfo{"rate_limited", 429}},
    std::pair{Reason::BudgetExhausted, ReasonInfo{"budget_exhausted", 429}},
    std::pair{Reason::UpstreamUnavailable, ReasonInfo{"upstream_unavailable", 502}},
    std::pair{Reason::UpstreamTimeout, ReasonInfo{"upstream_timeout", 504}},
    std::pair{Reason::UpstreamProtocolError, ReasonInfo{"upstream_protocol_error", 502}},
    std::pair{Reason::ClientClosed, ReasonInfo{"client_closed", 499}},
    std::pair{Reason::AuditUnavailable, ReasonInfo{"audit_unavailable", 503}},
    std::pair{Reason::ShuttingDown, ReasonInfo{"shutting_down", 503}},
    std::pair{Reason::Internal, ReasonInfo{"internal_error", 500}},
};

constexpr bool table_is_dense() {
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    if (static_cast<std::size_t>(kReasons[i].first) != i) return false;
  }
  return true;
}
static_assert(table_is_dense(), "kReasons must list every Reason in declaration order");
static_assert(static_cast<std::size_t>(Reason::Internal) + 1 == kReasons.size());

constexpr auto make_all() {
  std::array<Reason, kReasons.size() - 1> all{};
  for (std::size_t i = 1; i < kReasons.size(); ++i) all[i - 1] = kReasons[i].first;
  return all;
}
constexpr auto kAll = make_all();

}  // namespace

const ReasonInfo& info(Reason reason) noexcept {
  return kReasons[static_cast<std::size_t>(reason)].second;
}

std::span<const Reason> all_reasons() noexcept { return kAll; }

}  // namespace gw
