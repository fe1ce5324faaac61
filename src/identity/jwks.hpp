#pragma once

// JWKS documents (RFC 7517 §5) -> the usable verification keys of one issuer.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "crypto/crypto.hpp"

namespace gw::identity {

constexpr int kMinRsaBits = 2048;

// An immutable set of keys, swapped as a whole when the JWKS is refetched.
struct KeySet {
  std::unordered_map<std::string, crypto::PublicKey> by_kid;
  std::vector<crypto::PublicKey> without_kid;
  std::size_t skipped = 0;  // keys present in the document but unusable
  std::chrono::system_clock::time_point fetched_at{};

  std::size_t size() const noexcept { return by_kid.size() + without_kid.size(); }
  // The keys a token may be verified with: the one named by `kid` (none when absent), or, for
  // a token without kid, every key that allows `alg`.
  std::vector<const crypto::PublicKey*> candidates(std::string_view kid,
                                                   crypto::Algorithm alg) const;
};

// Parses a JWKS document. Keys that cannot be used are skipped (counted in `skipped`): unknown
// kty/crv, `use` other than "sig", RSA below 2048 bits, malformed members, duplicate kids
// (the first wins). A document that is too large, not JSON, without a `keys` array, or without
// a single usable key is an error (the caller keeps its previous keys).
Result<KeySet> parse_jwks(std::string_view document, std::size_t max_bytes = 1024 * 1024);

}  // namespace gw::identity
