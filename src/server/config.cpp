#include "server/config.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <filesystem>
#include <set>

namespace gw::server {
namespace {

namespace json = boost::json;

Address read_address(config::Map& m, std::string_view key, Address fallback) {
  auto text = m.optional_string(key);
  if (!text) return fallback;
  auto address = parse_address(*text);
  if (!address) {
    m.problem(key,
              "expected host:port such as 127.0.0.1:8080 or [::1]:8080, got \"" + *text + "\"");
    return fallback;
  }
  return *address;
}

void read_server(config::Map& root, ServerSettings& s, const std::string& base_dir) {
  auto m = root.map("server");
  if (!m) return;
  s.listen = read_address(*m, "listen", s.listen);
  s.workers = static_cast<unsigned>(m->integer("workers", 0, 0, 256));
  if (auto tls = m->map("tls")) {
    s.tls_cert_file = config::resolve_path(base_dir, tls->required_string("cert_file"));
    s.tls_key_file = config::resolve_path(base_dir, tls->required_string("key_file"));
    tls->check_unknown_keys();
  }
  if (auto limits = m->map("limits")) {
    s.max_header_bytes = limits->byte_size("max_header_bytes", s.max_header_bytes);
    s.max_body_bytes = limits->byte_size("max_body_bytes", s.max_body_bytes);
    s.max_target_bytes = limits->byte_size("max_target_bytes", s.max_target_bytes);
    if (s.max_header_bytes < 1024) limits->problem("max_header_bytes", "must be at least 1KiB");
    limits->check_unknown_keys();
  }
  if (auto t = m->map("timeouts")) {
    s.header_read_timeout = t->duration("header_read", s.header_read_timeout);
    s.body_read_timeout = t->duration("body_read", s.body_read_timeout);
    s.idle_timeout = t->duration("idle", s.idle_timeout);
    s.drain_timeout = t->duration("drain", s.drain_timeout);
    t->check_unknown_keys();
  }
  if (auto headers = m->map("headers")) {
    const auto underscores = headers->choice("underscores", "pass", {"pass", "drop", "reject"});
    s.underscore_headers = underscores == "drop"     ? proxy::UnderscoreHeaders::Drop
                           : underscores == "reject" ? proxy::UnderscoreHeaders::Reject
                                                     : proxy::UnderscoreHeaders::Pass;
    headers->check_unknown_keys();
  }
  s.server_timing = m->boolean("server_timing", false);
  s.public_url = m->string("public_url");
  if (!s.public_url.empty()) {
    const bool http =
        s.public_url.rfind("http://", 0) == 0 || s.public_url.rfind("https://", 0) == 0;
    if (!http || s.public_url.find_first_of("?#") != std::string::npos) {
      m->problem("public_url", "expected an http(s) URL such as https://gw.example.com, got \"" +
                                   s.public_url + "\"");
    }
    while (!s.public_url.empty() && s.public_url.back() == '/') s.public_url.pop_back();
  }
  s.decision_endpoint = m->string("decision_endpoint");
  if (!s.decision_endpoint.empty()) {
    const auto& d = s.decision_endpoint;
    if (d.front() != '/' || d == "/" || d.find_first_of("?# ") != std::string::npos ||
        d.find("/../") != std::string::npos || d.find("/./") != std::string::npos) {
      m->problem("decision_endpoint",
                 "expected an absolute path such as /_gatewaystack/decide, got \"" + d + "\"");
    }
    while (s.decision_endpoint.size() > 1 && s.decision_endpoint.back() == '/') {
      s.decision_endpoint.pop_back();
    }
  }
  m->check_unknown_keys();
}

constexpr std::string_view kMetadataPath = "/.well-known/oauth-protected-resource";

std::string metadata_path(const route::Route& r) {
  return std::string(kMetadataPath) + (r.prefix == "/" ? "" : r.prefix);
}

void add_scopes(const policy::Rule* rule, std::set<std::string>& out) {
  if (rule == nullptr) return;
  out.insert(rule->required_scopes.begin(), rule->required_scopes.end());
}

std::string metadata_document(const Config& c, const std::string& resource,
                              const std::set<std::string>& scopes) {
  json::object doc;
  doc["resource"] = resource;
  json::array servers;
  for (const auto& issuer : c.identity.issuers) servers.emplace_back(issuer.issuer);
  doc["authorization_servers"] = std::move(servers);
  json::array scope_list;
  for (const auto& s : scopes) scope_list.emplace_back(s);
  doc["scopes_supported"] = std::move(scope_list);
  doc["bearer_methods_supported"] = json::array{"header"};
  return json::serialize(doc);
}

}  // namespace

std::string public_base_url(const Config& config) {
  if (!config.server.public_url.empty()) return config.server.public_url;
  Address a = config.server.listen;
  if (a.host == "0.0.0.0") a.host = "127.0.0.1";
  if (a.host == "::") a.host = "::1";
  return (config.server.tls_cert_file.empty() ? "http://" : "https://") + a.text();
}

void fill_resource_defaults(Config& config) {
  const std::string base = public_base_url(config);
  for (auto& r : config.routes.routes) {
    if (r.kind != ApiKind::Mcp) continue;
    if (r.resource.empty()) r.resource = base + (r.prefix == "/" ? "" : r.prefix);
    r.resource_metadata = base + metadata_path(r);
  }
}

std::map<std::string, std::string, std::less<>> resource_metadata_documents(const Config& c) {
  std::map<std::string, std::string, std::less<>> docs;
  std::set<std::string> all_scopes;
  // Tool rules are not per route: every MCP route lists the scopes any tool rule names.
  std::set<std::string> tool_scopes;
  for (const auto& rule : c.policy.tools.rules()) add_scopes(&rule, tool_scopes);
  for (const auto& r : c.routes.routes) {
    if (r.kind != ApiKind::Mcp) continue;
    std::set<std::string> scopes = tool_scopes;
    add_scopes(c.policy.routes.find(r.name), scopes);
    all_scopes.insert(scopes.begin(), scopes.end());
    docs.emplace(metadata_path(r), metadata_document(c, r.resource, scopes));
  }
  if (docs.find(kMetadataPath) == docs.end()) {
    docs.emplace(std::string(kMetadataPath), metadata_document(c, public_base_url(c), all_scopes));
  }
  return docs;
}

std::string Address::text() const {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                             : host + ":" + std::to_string(port);
}

std::optional<Address> parse_address(std::string_view text) {
  Address a;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    a.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    a.host = std::string(text.substr(0, colon));
    if (a.host.find(':') != std::string::npos) return std::nullopt;
    port = text.substr(colon + 1);
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || ptr != port.data() + port.size() || value > 65535) return std::nullopt;
  a.port = static_cast<std::uint16_t>(value);
  return a;
}

std::optional<Config> load_config(const std::string& path, config::Problems& problems) {
  auto root_node = config::load_file(path, problems);
  if (!root_node) return std::nullopt;
  Config c;
  c.file = path;
  c.base_dir = std::filesystem::absolute(path).parent_path().string();
  config::Map root(*root_node, "", problems);

  read_server(root, c.server, c.base_dir);
  if (auto admin = root.map("admin")) {
    c.admin.enabled = true;
    c.admin.listen = read_address(*admin, "listen", c.admin.listen);
    admin->check_unknown_keys();
  }
  if (auto logging = root.map("logging")) {
    c.logging.level =
        logging->choice("level", "info", {"trace", "debug", "info", "warn", "error", "off"});
    c.logging.access_log = logging->boolean("access_log", true);
    logging->check_unknown_keys();
  }
  if (auto identity = root.map("identity")) {
    c.identity = identity::parse_config(*identity);
  } else {
    root.problem("identity", "is required: at least one token issuer under identity.issuers");
  }
  c.proxy = proxy::parse_config(root, c.base_dir);
  std::vector<std::string> upstream_names;
  for (const auto& [name, up] : c.proxy.upstreams) upstream_names.push_back(name);
  c.routes = route::parse_config(root, upstream_names);
  if (auto policy = root.map("policy")) {
    c.policy = policy::parse_config(*policy, c.base_dir);
  } else {
    c.policy.compile();
  }
  if (auto audit = root.map("audit")) {
    c.audit = audit::parse_config(*audit, c.base_dir);
  } else {
    // No section: the embedded default, a SQLite file beside the config.
    auto empty = YAML::Node(YAML::NodeType::Map);
    config::Map defaults(empty, "audit", problems);
    c.audit = audit::parse_config(defaults, c.base_dir);
  }

  root.check_unknown_keys();
  if (!problems.empty()) return std::nullopt;
  return c;
}

}  // namespace gw::server
