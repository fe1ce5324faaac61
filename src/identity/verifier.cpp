#include "identity/verifier.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "identity/claim_mapping.hpp"
#include "identity/oidc_discovery.hpp"

namespace gw::identity {
namespace {

constexpr double kMaxNumericDate = 1e15;  // far beyond any real date, well inside int64

// A NumericDate claim (RFC 7519 §2): nullopt when absent, an error when not a number.
Result<std::optional<std::int64_t>> numeric_date(const boost::json::object& claims,
                                                 std::string_view name) {
  const auto* value = claims.if_contains(name);
  if (value == nullptr) return std::optional<std::int64_t>{};
  if (value->is_int64()) return std::optional<std::int64_t>{value->get_int64()};
  if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(kMaxNumericDate)) {
    return std::optional<std::int64_t>{static_cast<std::int64_t>(value->get_uint64())};
  }
  if (value->is_double() && std::isfinite(value->get_double()) &&
      std::fabs(value->get_double()) <= kMaxNumericDate) {
    return std::optional<std::int64_t>{static_cast<std::int64_t>(std::floor(value->get_double()))};
  }
  return make_error(Reason::InvalidClaims, std::string(name) + " is not a NumericDate");
}

bool audience_matches(const boost::json::value* aud, const std::vector<std::string>& allowed) {
  if (aud == nullptr) return false;
  const auto ok = [&](const boost::json::value& v) {
    return v.is_string() && std::find(allowed.begin(), allowed.end(),
                                      std::string_view(v.get_string())) != allowed.end();
  };
  if (aud->is_string()) return ok(*aud);
  if (aud->is_array()) return std::any_of(aud->get_array().begin(), aud->get_array().end(), ok);
  return false;
}

}  // namespace

Result<Identity> verify_token(const Jwt& jwt, const KeySet& keys, const IssuerConfig& issuer,
                              std::chrono::seconds skew, std::int64_t now) {
  if (auto alg_ok = check_algorithm(jwt, issuer.algorithms); !alg_ok) return alg_ok.error();

  const auto candidates = keys.candidates(jwt.kid, jwt.alg);
  if (candidates.empty()) return make_error(Reason::UnknownKey, "no key for this kid");
  bool any_fits = false;
  bool verified = false;
  for (const auto* key : candidates) {
    if (!key->allows(jwt.alg)) continue;
    any_fits = true;
    if (key->verify(jwt.alg, jwt.signing_input, jwt.signature)) {
      verified = true;
      break;
    }
  }
  if (!any_fits) return make_error(Reason::UnsupportedAlgorithm, "algorithm does not fit the key");
  if (!verified) return make_error(Reason::BadSignature, "signature does not verify");

  const auto& claims = jwt.payload;
  const auto* iss = claims.if_contains("iss");
  if (iss == nullptr || !iss->is_string() || !same_issuer(iss->get_string(), issuer.issuer)) {
    return make_error(Reason::WrongIssuer, "issuer not accepted");
  }
  if (!audience_matches(claims.if_contains("aud"), issuer.audiences)) {
    return make_error(Reason::WrongAudience, "audience not accepted");
  }

  const std::int64_t leeway = skew.count();
  auto exp = numeric_date(claims, "exp");
  if (!exp) return exp.error();
  if (!*exp) return make_error(Reason::InvalidClaims, "exp is required");
  if (now >= **exp + leeway) return make_error(Reason::TokenExpired, "token expired");
  auto nbf = numeric_date(claims, "nbf");
  if (!nbf) return nbf.error();
  if (*nbf && now + leeway < **nbf) {
    return make_error(Reason::TokenNotYetValid, "token not yet valid");
  }
  auto iat = numeric_date(claims, "iat");
  if (!iat) return iat.error();
  if (*iat && **iat > now + leeway) {
    return make_error(Reason::TokenIssuedInFuture, "token issued in the future");
  }
  const auto* sub = claims.if_contains("sub");
  if (sub == nullptr || !sub->is_string() || sub->get_string().empty()) {
    return make_error(Reason::MissingSubject, "sub is required");
  }

  auto identity = map_claims(claims, issuer.claims);
  if (!identity) return identity.error();
  identity->expires_at = **exp;
  return identity;
}

}  // namespace gw::identity
