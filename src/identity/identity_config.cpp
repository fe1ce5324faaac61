#include "identity/identity_config.hpp"

#include <set>

namespace gw::identity {
namespace {

void read_paths(config::Map& claims, std::string_view key, std::vector<std::string>& out) {
  if (!claims.has(key)) return;
  auto paths = claims.string_list(key);
  if (paths.empty()) {
    claims.problem(key, "expected a claim path or a list of claim paths");
    return;
  }
  out = std::move(paths);
}

ClaimPaths read_claims(config::Map& map) {
  ClaimPaths paths;
  read_paths(map, "user_id", paths.user_id);
  read_paths(map, "email", paths.email);
  read_paths(map, "roles", paths.roles);
  read_paths(map, "scopes", paths.scopes);
  read_paths(map, "tenant", paths.tenant);
  read_paths(map, "team", paths.team);
  map.check_unknown_keys();
  return paths;
}

bool is_http_url(std::string_view s) {
  return (s.starts_with("https://") && s.size() > 8) || (s.starts_with("http://") && s.size() > 7);
}

IssuerConfig read_issuer(config::Map& map) {
  IssuerConfig issuer;
  issuer.issuer = map.required_string("issuer");
  if (!issuer.issuer.empty() && !is_http_url(issuer.issuer)) {
    map.problem("issuer", "expected an http(s) URL, got \"" + issuer.issuer + "\"");
  }
  issuer.jwks_uri = map.string("jwks_uri");
  if (!issuer.jwks_uri.empty() && !is_http_url(issuer.jwks_uri)) {
    map.problem("jwks_uri", "expected an http(s) URL, got \"" + issuer.jwks_uri + "\"");
  }
  issuer.audiences = map.string_list("audiences");
  if (issuer.audiences.empty()) map.problem("audiences", "expected at least one audience");
  if (map.has("algorithms")) {
    issuer.algorithms.clear();
    for (const auto& name : map.string_list("algorithms")) {
      auto alg = crypto::parse_algorithm(name);
      if (!alg) {
        map.problem("algorithms", "expected RS256, PS256, ES256 or EdDSA, got \"" + name + "\"");
        continue;
      }
      issuer.algorithms.push_back(*alg);
    }
    if (issuer.algorithms.empty()) map.problem("algorithms", "expected at least one algorithm");
  }
  issuer.refresh_interval = map.duration("refresh_interval", issuer.refresh_interval);
  if (issuer.refresh_interval < std::chrono::seconds(1)) {
    map.problem("refresh_interval", "expected at least 1s");
  }
  issuer.min_refetch_interval = map.duration("min_refetch_interval", issuer.min_refetch_interval);
  if (issuer.min_refetch_interval < std::chrono::milliseconds(0)) {
    map.problem("min_refetch_interval", "expected a duration of 0s or more");
  }
  if (auto claims = map.map("claims")) issuer.claims = read_claims(*claims);
  map.check_unknown_keys();
  return issuer;
}

}  // namespace

IdentityConfig parse_config(config::Map& map) {
  IdentityConfig config;
  config.realm = map.string("realm", config.realm);
  for (char c : config.realm) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      map.problem("realm", "must not contain quotes, backslashes or control characters");
      break;
    }
  }
  const auto skew = map.duration("clock_skew", config.clock_skew);
  if (skew < std::chrono::milliseconds(0) || skew > std::chrono::minutes(10)) {
    map.problem("clock_skew", "expected between 0s and 10m");
  }
  config.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(skew);
  config.max_token_bytes =
      static_cast<std::size_t>(map.byte_size("max_token_bytes", config.max_token_bytes));
  if (config.max_token_bytes < 256 || config.max_token_bytes > 1024 * 1024) {
    map.problem("max_token_bytes", "expected between 256 and 1MiB");
  }
  config.max_jwks_bytes =
      static_cast<std::size_t>(map.byte_size("max_jwks_bytes", config.max_jwks_bytes));
  if (config.max_jwks_bytes < 1024 || config.max_jwks_bytes > 16 * 1024 * 1024) {
    map.problem("max_jwks_bytes", "expected between 1KiB and 16MiB");
  }
  config.resource_metadata = map.string("resource_metadata");
  if (!config.resource_metadata.empty() && !is_http_url(config.resource_metadata)) {
    map.problem("resource_metadata", "expected an http(s) URL");
  }
  if (auto cache = map.map("token_cache")) {
    config.token_cache_enabled = cache->boolean("enabled", config.token_cache_enabled);
    config.token_cache_max_entries = static_cast<std::size_t>(cache->integer(
        "max_entries", static_cast<std::int64_t>(config.token_cache_max_entries), 16, 10'000'000));
    cache->check_unknown_keys();
  }
  std::set<std::string> seen;
  for (auto& item : map.map_list("issuers")) {
    auto issuer = read_issuer(item);
    std::string key = issuer.issuer;
    if (!key.empty() && key.back() == '/') key.pop_back();
    if (!key.empty() && !seen.insert(key).second) {
      item.problem("issuer", "issuer \"" + issuer.issuer + "\" is configured twice");
    }
    config.issuers.push_back(std::move(issuer));
  }
  if (config.issuers.empty()) map.problem("issuers", "expected at least one issuer");
  map.check_unknown_keys();
  return config;
}

}  // namespace gw::identity
