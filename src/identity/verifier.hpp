#pragma once

// One token against one issuer's keys: a pure function of its inputs (no clock, no I/O).

#include <chrono>
#include <cstdint>

#include "core/identity.hpp"
#include "core/result.hpp"
#include "identity/identity.hpp"
#include "identity/jwks.hpp"
#include "identity/jwt.hpp"

namespace gw::identity {

// Checks, in order: alg allowed for the issuer (UnsupportedAlgorithm); a key for the kid
// (UnknownKey); the key fits alg (UnsupportedAlgorithm); the signature (BadSignature); `iss`
// (WrongIssuer); `aud` string or array containing a configured audience (WrongAudience); `exp`
// present (InvalidClaims) and not past (TokenExpired); `nbf` (TokenNotYetValid); `iat` not in
// the future (TokenIssuedInFuture); `sub` a non-empty string (MissingSubject). Time claims must
// be NumericDates (InvalidClaims); `now` is seconds since the epoch; `skew` applies to each.
Result<Identity> verify_token(const Jwt& jwt, const KeySet& keys, const IssuerConfig& issuer,
                              std::chrono::seconds skew, std::int64_t now);

}  // namespace gw::identity
