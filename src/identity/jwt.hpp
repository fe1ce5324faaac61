#pragma once

// Compact JWS parsing and header checks. No signature verification here (see verifier).

#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "crypto/crypto.hpp"

namespace gw::identity {

// A parsed, not yet verified, compact JWS.
struct Jwt {
  crypto::Algorithm alg{};
  std::string kid;  // empty when the header has none
  boost::json::object header;
  boost::json::object payload;
  std::string_view signing_input;  // "header.payload", a view into the token
  std::string signature;           // decoded signature bytes

  // The unverified `iss`, used only to pick the issuer configuration.
  std::string_view unverified_issuer() const noexcept;
};

// Splits and decodes `token`. Rejects: more than `max_bytes` (MalformedToken), anything but
// three non-empty base64url segments with JSON object header and payload (MalformedToken), an
// `alg` that is missing, "none" or unsupported (UnsupportedAlgorithm), any `crit`
// (UnsupportedCritical: no extension is understood), and key-carrying headers `jku`, `x5u`,
// `jwk`, `x5c` (MalformedToken: keys only ever come from the configured JWKS).
Result<Jwt> parse_jwt(std::string_view token, std::size_t max_bytes = 8192);

// UnsupportedAlgorithm unless `jwt.alg` is in `allowed`.
Result<void> check_algorithm(const Jwt& jwt, std::span<const crypto::Algorithm> allowed);

}  // namespace gw::identity
