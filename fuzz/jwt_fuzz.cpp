// A bearer token as a client sends it: the compact form and JOSE header (identity::parse_jwt),
// then the whole verification against an issuer whose keys cover every supported algorithm
// (identity::verify_token: key choice, signature, claims). The seed tokens are signed by these
// keys, so mutations reach the claim checks too.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/crypto.hpp"
#include "fuzz_check.hpp"
#include "identity/identity.hpp"
#include "identity/jwks.hpp"
#include "identity/jwt.hpp"
#include "identity/verifier.hpp"

namespace {

using gw::crypto::Algorithm;

// Public keys of the seed corpus's tokens (kids rs, ps, es, ed).
constexpr std::string_view kJwks =
    R"json({"keys":[{"e":"AQAB","kty":"RSA","n":"2TE2RHJSC-JaX5iuX4CIPzivS3q6AG1E_7Ojo0ZDvnii19PbWHQtlO7XmLROlwg3nRsoEUpE5QrU9-71XDfbuGeJ8ZB_tdSRsXleWoahss-q2v3_WqdBxeYH1EfOTvS16yUJM7EJ30CIBcFYePrW2fXlBnRdl7FXKnu8BzK_yTETOlSTKf584M3ywIDm2TZG0cFXkCoQ9lUhGgjC3yxDVUqIog--FXp4kJNTl-AigxmO4HWa-pwoyXKEAtTyaYa8_ju9K9e95ltYq2CXpMFEWzdgtHcHonglzblgLeAZPDAULelaNdRc6D1Fkw0m6k8vL-KdmoKtA3V6e5IyqwU5Vw","use":"sig","kid":"rs","alg":"RS256"},{"e":"AQAB","kty":"RSA","n":"ujrN3tSbwJo2oelUhL7OPyamdICwmmu5dr0AKGd2Gx0_ZXfRDoSirX00GgliTX6CCTpbYrVH0bP7JS1dZs61JNcmOxpqEPjluPCKLC2feyvGHTvNfv1_jTL7htL96NvaaiuQqvDobHR6c-CV9ZPlZso6qEIReJF1rQZiWz9XAkm5NsjJ2rBRBuof7iZqQqXHHBvRUWeZHz3VvY8VF6CIB21V3TAyin_uU7Nb7p0DVioLxiljv-mS-4rmpveMHXor3HZsvrKx5Maqk2fCP8aru4XOuqWlgtZV7FuncJr1pVrHsj4xhbWmE4Z6CKX35AaYY1RpI4tOhW2s0mpVKMIX9Q","use":"sig","kid":"ps","alg":"PS256"},{"crv":"P-256","kty":"EC","x":"liwv-TtixjZfGTMJH9OShRDWy72TxPmaSetbSFFqor8","y":"BDKMGGBcL9cfipLGwV2oKRyGZqdRKyb_9gV0J87xhoo","use":"sig","kid":"es","alg":"ES256"},{"crv":"Ed25519","kty":"OKP","x":"Hausva8eHGY0oK8LlYO3qUrnOOSqPhnbJaYYUFG7QVk","use":"sig","kid":"ed","alg":"EdDSA"}]})json";

// The seeds are valid from 1700000000 to 1700000300.
constexpr std::int64_t kNow = 1700000100;

const gw::identity::KeySet& keys() {
  static const gw::identity::KeySet set = *gw::identity::parse_jwks(kJwks);
  return set;
}

const gw::identity::IssuerConfig& issuer() {
  static const gw::identity::IssuerConfig config = [] {
    gw::identity::IssuerConfig c;
    c.issuer = "https://idp.test/";
    c.audiences = {"gatewaystack"};
    c.algorithms = {Algorithm::RS256, Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA};
    return c;
  }();
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token = gw::fuzz::as_text(data, size);
  auto jwt = gw::identity::parse_jwt(token);
  if (!jwt) return 0;
  // The signing input is the token up to its second dot.
  GW_FUZZ_CHECK(token.starts_with(jwt->signing_input));
  GW_FUZZ_CHECK(token.size() > jwt->signing_input.size() + 1);
  GW_FUZZ_CHECK(token[jwt->signing_input.size()] == '.');
  (void)jwt->unverified_issuer();
  (void)gw::identity::check_algorithm(*jwt, issuer().algorithms);

  auto identity =
      gw::identity::verify_token(*jwt, keys(), issuer(), std::chrono::seconds(60), kNow);
  if (identity) {
    // Only a token signed by one of the keys gets here.
    GW_FUZZ_CHECK(!keys().candidates(jwt->kid, jwt->alg).empty());
  }
  return 0;
}
