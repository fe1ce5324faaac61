#include "identity/jwt.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>

namespace gw::identity {
namespace {

Error malformed(std::string detail) {
  return make_error(Reason::MalformedToken, std::move(detail));
}

std::optional<boost::json::object> decode_object(std::string_view segment) {
  auto bytes = crypto::base64url_decode(segment);
  if (!bytes) return std::nullopt;
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 32;
  auto value = boost::json::parse(*bytes, ec, {}, options);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

}  // namespace

std::string_view Jwt::unverified_issuer() const noexcept {
  const auto* iss = payload.if_contains("iss");
  if (iss == nullptr || !iss->is_string()) return {};
  return iss->get_string();
}

Result<Jwt> parse_jwt(std::string_view token, std::size_t max_bytes) {
  if (token.empty()) return malformed("empty token");
  if (token.size() > max_bytes) return malformed("token too large");
  const auto first = token.find('.');
  if (first == std::string_view::npos) return malformed("not a compact JWS");
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return malformed("not a compact JWS");
  if (token.find('.', second + 1) != std::string_view::npos) {
    return malformed("not a compact JWS (JWE or extra segments)");
  }
  const auto header_b64 = token.substr(0, first);
  const auto payload_b64 = token.substr(first + 1, second - first - 1);
  const auto signature_b64 = token.substr(second + 1);
  if (header_b64.empty() || payload_b64.empty()) return malformed("empty JWS segment");

  Jwt jwt;
  auto header = decode_object(header_b64);
  if (!header) return malformed("header is not base64url JSON");
  jwt.header = std::move(*header);

  const auto* alg = jwt.header.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return malformed("header without alg");
  const std::string_view alg_name = alg->get_string();
  auto parsed_alg = crypto::parse_algorithm(alg_name);
  if (!parsed_alg) {
    return make_error(Reason::UnsupportedAlgorithm, alg_name == "none"
                                                        ? "unsigned tokens are not accepted"
                                                        : "algorithm not supported");
  }
  jwt.alg = *parsed_alg;
  if (jwt.header.contains("crit")) {
    return make_error(Reason::UnsupportedCritical, "critical header extension not understood");
  }
  for (std::string_view name : {"jku", "x5u", "jwk", "x5c"}) {
    if (jwt.header.contains(name)) return malformed("key-carrying header not accepted");
  }
  if (const auto* kid = jwt.header.if_contains("kid")) {
    if (!kid->is_string()) return malformed("kid is not a string");
    jwt.kid = std::string(kid->get_string());
  }

  auto payload = decode_object(payload_b64);
  if (!payload) return malformed("payload is not base64url JSON");
  jwt.payload = std::move(*payload);

  // Checked after the header, so that an unsigned "alg":"none" token reports its algorithm.
  if (signature_b64.empty()) return malformed("empty signature");
  auto signature = crypto::base64url_decode(signature_b64);
  if (!signature || signature->empty()) return malformed("signature is not base64url");
  jwt.signature = std::move(*signature);
  jwt.signing_input = token.substr(0, second);
  return jwt;
}

Result<void> check_algorithm(const Jwt& jwt, std::span<const crypto::Algorithm> allowed) {
  if (std::find(allowed.begin(), allowed.end(), jwt.alg) == allowed.end()) {
    return make_error(Reason::UnsupportedAlgorithm, "algorithm not allowed for this issuer");
  }
  return {};
}

}  // namespace gw::identity
