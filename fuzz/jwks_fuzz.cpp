// A JWKS document as an identity provider serves it (identity::parse_jwks), down to each JWK
// (crypto::PublicKey::from_jwk): every key that is kept must export to a JWK that imports as
// the same key, and must be usable for verifying.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/crypto.hpp"
#include "fuzz_check.hpp"
#include "identity/jwks.hpp"

namespace {

using gw::crypto::Algorithm;

constexpr Algorithm kAlgorithms[] = {Algorithm::RS256, Algorithm::PS256, Algorithm::ES256,
                                     Algorithm::EdDSA};

void check_key(const gw::crypto::PublicKey& key) {
  const std::string_view type = key.key_type();
  GW_FUZZ_CHECK(type == "RSA" || type == "EC" || type == "OKP");
  if (type == "RSA") GW_FUZZ_CHECK(key.bits() >= gw::identity::kMinRsaBits);
  bool allows_any = false;
  for (Algorithm alg : kAlgorithms) {
    if (!key.allows(alg)) continue;
    allows_any = true;
    // A signature of the wrong size or value is refused, never crashes.
    GW_FUZZ_CHECK(!key.verify(alg, "e30.e30", std::string(64, '\x01')));
  }
  GW_FUZZ_CHECK(allows_any);
  auto again = gw::crypto::PublicKey::from_jwk(key.to_jwk());
  GW_FUZZ_CHECK(again.has_value());
  GW_FUZZ_CHECK(again->thumbprint() == key.thumbprint());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto keys = gw::identity::parse_jwks(gw::fuzz::as_text(data, size));
  if (!keys) return 0;
  GW_FUZZ_CHECK(keys->size() != 0);  // a document without a usable key is an error
  for (const auto& [kid, key] : keys->by_kid) {
    check_key(key);
    // A kid names its key whatever the algorithm (the verifier then checks the fit).
    if (!kid.empty()) {
      const auto named = keys->candidates(kid, Algorithm::RS256);
      GW_FUZZ_CHECK(named.size() == 1 && named.front()->thumbprint() == key.thumbprint());
    }
  }
  for (const auto& key : keys->without_kid) check_key(key);
  // A token without kid may use any key without kid that allows its algorithm.
  for (Algorithm alg : kAlgorithms) {
    for (const auto* candidate : keys->candidates({}, alg)) {
      GW_FUZZ_CHECK(candidate->allows(alg));
    }
  }
  return 0;
}
