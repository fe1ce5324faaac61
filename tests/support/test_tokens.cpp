#include "test_tokens.hpp"

#include <boost/json/serialize.hpp>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace gw::test {

const crypto::PrivateKey& cached_key(crypto::Algorithm alg, int slot) {
  static std::mutex mutex;
  static std::map<std::pair<crypto::Algorithm, int>, crypto::PrivateKey> keys;
  std::lock_guard lock(mutex);
  auto it = keys.find({alg, slot});
  if (it == keys.end()) {
    it = keys.emplace(std::make_pair(alg, slot), crypto::PrivateKey::generate(alg)).first;
  }
  return it->second;
}

boost::json::object TestIssuer::jwk() const {
  auto out = key().public_key().to_jwk();
  out["kid"] = kid;
  return out;
}

std::string TestIssuer::jwks() const { return jwks_document({jwk()}); }

std::string TestIssuer::mint(const boost::json::object& claims,
                             const boost::json::object& extra_header) const {
  auto token = crypto::sign_jwt(claims, key(), alg, kid, extra_header);
  if (!token) throw std::runtime_error("test token signing failed: " + token.error().detail);
  return std::move(*token);
}

boost::json::object TestIssuer::claims(std::string sub, std::string aud, std::int64_t now,
                                       std::int64_t ttl) const {
  return {{"iss", issuer},
          {"sub", std::move(sub)},
          {"aud", std::move(aud)},
          {"iat", now},
          {"exp", now + ttl}};
}

std::string jwks_document(const std::vector<boost::json::object>& keys) {
  boost::json::array list;
  for (const auto& k : keys) list.push_back(k);
  return boost::json::serialize(boost::json::object{{"keys", std::move(list)}});
}

std::string raw_token(const boost::json::object& header, const boost::json::object& payload,
                      std::string_view signature) {
  return crypto::base64url_encode(boost::json::serialize(header)) + "." +
         crypto::base64url_encode(boost::json::serialize(payload)) + "." +
         crypto::base64url_encode(signature);
}

std::string discovery_document(std::string_view issuer, std::string_view jwks_uri) {
  return boost::json::serialize(
      boost::json::object{{"issuer", issuer},
                          {"jwks_uri", jwks_uri},
                          {"id_token_signing_alg_values_supported", boost::json::array{"RS256"}}});
}

}  // namespace gw::test
