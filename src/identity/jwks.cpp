#include "identity/jwks.hpp"

#include <boost/json/parse.hpp>

namespace gw::identity {
namespace {

constexpr std::size_t kMaxKeys = 100;

Error jwks_error(std::string detail) {
  return make_error(Reason::JwksUnavailable, std::move(detail), Origin::Upstream);
}

}  // namespace

std::vector<const crypto::PublicKey*> KeySet::candidates(std::string_view kid,
                                                         crypto::Algorithm alg) const {
  std::vector<const crypto::PublicKey*> out;
  if (!kid.empty()) {
    auto it = by_kid.find(std::string(kid));
    if (it != by_kid.end()) out.push_back(&it->second);
    return out;
  }
  for (const auto& key : without_kid) {
    if (key.allows(alg)) out.push_back(&key);
  }
  for (const auto& [name, key] : by_kid) {
    if (key.allows(alg)) out.push_back(&key);
  }
  return out;
}

Result<KeySet> parse_jwks(std::string_view document, std::size_t max_bytes) {
  if (document.size() > max_bytes) return jwks_error("JWKS document too large");
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 16;
  auto value = boost::json::parse(document, ec, {}, options);
  if (ec || !value.is_object()) return jwks_error("JWKS is not a JSON object");
  const auto* keys = value.as_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array()) return jwks_error("JWKS without a keys array");

  KeySet set;
  std::size_t seen = 0;
  for (const auto& entry : keys->as_array()) {
    if (++seen > kMaxKeys) {
      ++set.skipped;
      continue;
    }
    if (!entry.is_object()) {
      ++set.skipped;
      continue;
    }
    const auto& jwk = entry.as_object();
    if (const auto* use = jwk.if_contains("use")) {
      if (!use->is_string() || use->get_string() != "sig") {
        ++set.skipped;
        continue;
      }
    }
    auto key = crypto::PublicKey::from_jwk(jwk);
    if (!key || (key->key_type() == "RSA" && key->bits() < kMinRsaBits)) {
      ++set.skipped;
      continue;
    }
    const auto* kid = jwk.if_contains("kid");
    if (kid != nullptr && kid->is_string() && !kid->get_string().empty()) {
      if (!set.by_kid.emplace(std::string(kid->get_string()), std::move(*key)).second) {
        ++set.skipped;  // duplicate kid: the first one wins
      }
    } else {
      set.without_kid.push_back(std::move(*key));
    }
  }
  if (set.size() == 0) return jwks_error("JWKS has no usable signing key");
  return set;
}

}  // namespace gw::identity
