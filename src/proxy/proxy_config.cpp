#include "core/strings.hpp"
#include "proxy/proxy.hpp"

namespace gw::proxy {

ProxyConfig parse_config(config::Map& root, const std::string& base_dir) {
  ProxyConfig out;
  auto upstreams = root.named_maps("upstreams");
  if (!root.has("upstreams")) root.problem("upstreams", "is required: a mapping of upstream names");
  for (auto& [name, m] : upstreams) {
    UpstreamConfig up;
    up.name = name;
    up.url = m.required_string("url");
    if (!up.url.empty()) {
      auto endpoint = http::parse_endpoint(up.url);
      if (!endpoint) {
        m.problem("url", "expected an http:// or https:// URL: " + endpoint.error().detail);
      } else {
        up.endpoint = *endpoint;
      }
    }
    up.ca_file = config::resolve_path(base_dir, m.string("ca_file"));
    if (auto cred = m.map("credential")) {
      up.credential_header = cred->required_string("header");
      up.credential_value = cred->required_string("value");
      if (!up.credential_header.empty() && !is_token(up.credential_header)) {
        cred->problem("header", "expected a header name, got \"" + up.credential_header + "\"");
      }
      if (!is_safe_header_value(up.credential_value)) {
        cred->problem("value", "must not contain control characters");
      }
      cred->check_unknown_keys();
    }
    up.connect_timeout = m.duration("connect_timeout", up.connect_timeout);
    up.response_timeout = m.duration("response_timeout", up.response_timeout);
    if (auto pool = m.map("pool")) {
      up.pool_max_idle = static_cast<std::size_t>(pool->integer("max_idle", 64, 0, 100000));
      up.pool_idle_timeout = pool->duration("idle_timeout", up.pool_idle_timeout);
      pool->check_unknown_keys();
    }
    if (auto assertion = m.map("identity_assertion")) {
      up.assertion.header = assertion->string("header", "X-Gateway-Assertion");
      if (!is_token(up.assertion.header)) {
        assertion->problem("header", "expected a header name");
      }
      up.assertion.ttl = std::chrono::duration_cast<std::chrono::seconds>(
          assertion->duration("ttl", std::chrono::seconds(60)));
      assertion->check_unknown_keys();
    }
    if (up.endpoint.tls) {
      std::string error;
      up.tls = http::make_client_tls_context(up.ca_file, error);
      if (!up.tls) m.problem("ca_file", error);
    } else if (!up.ca_file.empty()) {
      m.problem("ca_file", "is only meaningful for an https:// url");
    }
    m.check_unknown_keys();
    out.upstreams.emplace(name, std::move(up));
  }

  if (auto h = root.map("identity_headers")) {
    auto read = [&](std::string_view key, std::string& target) {
      target = h->string(key, target);
      if (!is_token(target)) h->problem(key, "expected a header name, got \"" + target + "\"");
    };
    read("user_id", out.headers.user_id);
    read("email", out.headers.email);
    read("roles", out.headers.roles);
    read("scopes", out.headers.scopes);
    read("tenant", out.headers.tenant);
    read("team", out.headers.team);
    h->check_unknown_keys();
  }

  if (auto s = root.map("signing")) {
    out.signing.key_file = config::resolve_path(base_dir, s->string("key_file"));
    const auto alg = s->choice("algorithm", "EdDSA", {"EdDSA", "ES256"});
    out.signing.algorithm = alg == "ES256" ? crypto::Algorithm::ES256 : crypto::Algorithm::EdDSA;
    out.signing.issuer = s->string("issuer", out.signing.issuer);
    s->check_unknown_keys();
  }
  return out;
}

}  // namespace gw::proxy
