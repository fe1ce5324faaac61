#include "proxy/proxy.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace gw::proxy {

namespace json = boost::json;

Proxy::Proxy(ProxyConfig config, crypto::PrivateKey key, std::string kid)
    : config_(std::move(config)), key_(std::move(key)), kid_(std::move(kid)) {}

Result<std::shared_ptr<const Proxy>> Proxy::create(ProxyConfig config) {
  auto key =
      config.signing.key_file.empty()
          ? Result<crypto::PrivateKey>(crypto::PrivateKey::generate(config.signing.algorithm))
          : crypto::PrivateKey::load_pem_file(config.signing.key_file);
  if (!key) return key.error();
  // The key must suit the configured algorithm: a mismatch is a startup error.
  if (!key->public_key().allows(config.signing.algorithm)) {
    return make_error(Reason::Internal,
                      "signing.key_file: the key does not suit algorithm " +
                          std::string(crypto::to_string(config.signing.algorithm)),
                      Origin::Internal);
  }
  std::string kid = key->public_key().thumbprint();
  return std::shared_ptr<const Proxy>(
      new Proxy(std::move(config), std::move(*key), std::move(kid)));
}

const UpstreamConfig* Proxy::upstream(std::string_view name) const {
  auto it = config_.upstreams.find(name);
  return it == config_.upstreams.end() ? nullptr : &it->second;
}

std::string Proxy::jwks() const {
  json::object jwk = key_.public_key().to_jwk();
  jwk["kid"] = kid_;
  jwk["use"] = "sig";
  jwk["alg"] = crypto::to_string(config_.signing.algorithm);
  json::array keys;
  keys.push_back(std::move(jwk));
  json::object doc;
  doc["keys"] = std::move(keys);
  return json::serialize(doc);
}

Result<std::string> Proxy::sign_assertion(const RequestContext& ctx,
                                          const UpstreamConfig& up) const {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  json::object claims;
  claims["iss"] = config_.signing.issuer;
  claims["aud"] = up.name;
  claims["iat"] = now;
  claims["exp"] = now + up.assertion.ttl.count();
  claims["jti"] = ctx.request_id;
  claims["request_id"] = ctx.request_id;
  if (ctx.identity) {
    const auto& id = *ctx.identity;
    claims["sub"] = id.user_id;
    if (!id.email.empty()) claims["email"] = id.email;
    if (!id.tenant.empty()) claims["tenant"] = id.tenant;
    if (!id.team.empty()) claims["team"] = id.team;
    json::array roles(id.roles.begin(), id.roles.end());
    claims["roles"] = std::move(roles);
    json::array scopes(id.scopes.begin(), id.scopes.end());
    claims["scopes"] = std::move(scopes);
    claims["idp_iss"] = id.issuer;
  }
  return crypto::sign_jwt(claims, key_, config_.signing.algorithm, kid_);
}

http::ConnectionPtr UpstreamPool::acquire(const UpstreamConfig& up) {
  auto it = idle_.find(up.name);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  const auto now = std::chrono::steady_clock::now();
  while (!list.empty()) {
    auto conn = std::move(list.back());
    list.pop_back();
    if (conn && conn->is_open() && now - conn->idle_since < up.pool_idle_timeout) return conn;
  }
  return nullptr;
}

void UpstreamPool::release(const UpstreamConfig& up, http::ConnectionPtr conn) {
  if (!conn || up.pool_max_idle == 0 || up.pool_idle_timeout.count() == 0) return;
  auto& list = idle_[up.name];
  if (list.size() >= up.pool_max_idle) return;
  conn->idle_since = std::chrono::steady_clock::now();
  list.push_back(std::move(conn));
}

std::size_t UpstreamPool::idle_count() const noexcept {
  std::size_t n = 0;
  for (const auto& [name, list] : idle_) n += list.size();
  return n;
}

void UpstreamPool::clear() { idle_.clear(); }

}  // namespace gw::proxy
