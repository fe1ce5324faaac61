#pragma once

// Keys, tokens and JWKS documents for tests: an in-process stand-in for an identity provider.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"

namespace gw::test {

// A signing key generated once per test process and reused (RSA generation is slow).
// Different `slot`s give different keys of the same algorithm (key rotation tests).
const crypto::PrivateKey& cached_key(crypto::Algorithm alg, int slot = 0);

// An identity provider: issuer URL, one signing key and its kid.
struct TestIssuer {
  std::string issuer = "https://idp.test/";
  crypto::Algorithm alg = crypto::Algorithm::RS256;
  std::string kid = "key-1";
  int slot = 0;

  const crypto::PrivateKey& key() const { return cached_key(alg, slot); }
  // The public JWK with this issuer's kid.
  boost::json::object jwk() const;
  // {"keys":[jwk()]}
  std::string jwks() const;
  // Signs `claims` as a compact JWS with {"alg","typ":"JWT","kid"} plus `extra_header`.
  std::string mint(const boost::json::object& claims,
                   const boost::json::object& extra_header = {}) const;
  // iss, sub, aud, iat = now, exp = now + ttl.
  boost::json::object claims(std::string sub, std::string aud, std::int64_t now,
                             std::int64_t ttl = 300) const;
};

// {"keys":[...]} from JWKs.
std::string jwks_document(const std::vector<boost::json::object>& keys);

// A compact JWS with arbitrary header and payload and the given raw signature bytes (for
// malformed and adversarial tokens: alg none, crit, jku ...).
std::string raw_token(const boost::json::object& header, const boost::json::object& payload,
                      std::string_view signature = {});

// An OIDC discovery document naming `issuer` and `jwks_uri`.
std::string discovery_document(std::string_view issuer, std::string_view jwks_uri);

}  // namespace gw::test
