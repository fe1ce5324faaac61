#include "server/config.hpp"

#include <charconv>
#include <filesystem>

namespace gw::server {
namespace {

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
  s.server_timing = m->boolean("server_timing", false);
  m->check_unknown_keys();
}

}  // namespace

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
