#pragma once

// The whole configuration file, parsed and checked once. Each layer parses its own section;
// this file composes them and reports every problem at once.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "audit/audit.hpp"
#include "core/config_reader.hpp"
#include "identity/identity.hpp"
#include "policy/policy.hpp"
#include "proxy/proxy.hpp"
#include "route/route.hpp"

namespace gw::server {

struct Address {
  std::string host;
  std::uint16_t port = 0;
  std::string text() const;
};

struct ServerSettings {
  Address listen{"127.0.0.1", 8080};
  unsigned workers = 0;  // 0 = one per core
  std::string tls_cert_file;
  std::string tls_key_file;
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  std::uint64_t max_target_bytes = 8 * 1024;
  std::chrono::milliseconds header_read_timeout{10'000};
  std::chrono::milliseconds body_read_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds drain_timeout{30'000};
  bool server_timing = false;
  // How clients reach the gateway, e.g. https://gw.example.com (no trailing slash); the base of
  // MCP routes' default RFC 8707 resource and of RFC 9728 metadata URLs. Empty: derived from
  // `listen` once bound.
  std::string public_url;
  // Path of the decision endpoint for nginx auth_request / Envoy ext_authz / Traefik
  // ForwardAuth, e.g. /_gatewaystack/decide. Empty: off.
  std::string decision_endpoint;
  // Client header names with '_': forwarded, dropped or refused (server.headers.underscores).
  proxy::UnderscoreHeaders underscore_headers = proxy::UnderscoreHeaders::Pass;
};

struct AdminSettings {
  bool enabled = false;
  Address listen{"127.0.0.1", 9090};
};

struct LoggingSettings {
  std::string level = "info";
  bool access_log = true;
};

struct Config {
  std::string file;
  std::string base_dir;  // relative paths in the config resolve against this
  ServerSettings server;
  AdminSettings admin;
  LoggingSettings logging;
  identity::IdentityConfig identity;
  route::RouteConfig routes;
  proxy::ProxyConfig proxy;
  policy::PolicyConfig policy;  // absent section = empty policy: everything denied
  audit::AuditConfig audit;     // absent section = SQLite beside the config file
};

// Parses "host:port", "[v6]:port" or ":port".
std::optional<Address> parse_address(std::string_view text);

// The gateway's public base URL: server.public_url, else derived from the listen address.
std::string public_base_url(const Config& config);

// Fills each MCP route's default `resource` (public base URL + prefix) and its metadata URL
// (public base URL + /.well-known/oauth-protected-resource + prefix). Call once the listen
// port is known.
void fill_resource_defaults(Config& config);

// The RFC 9728 metadata documents served by the gateway, by path: one per MCP route
// (/.well-known/oauth-protected-resource<prefix>) and the top-level one.
std::map<std::string, std::string, std::less<>> resource_metadata_documents(const Config& config);

// Loads and checks a config file. On any problem returns nullopt; `problems` lists them all
// as "file:line: key.path: message".
std::optional<Config> load_config(const std::string& path, config::Problems& problems);

}  // namespace gw::server
