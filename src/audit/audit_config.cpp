#include <unistd.h>

#include <climits>
#include <filesystem>

#include "audit/audit.hpp"

namespace gw::audit {

namespace {

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "gatewaystack";
  return buf;
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

std::string dir_of(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

AuditConfig parse_config(config::Map& map, const std::string& base_dir) {
  AuditConfig c;
  c.enabled = map.boolean("enabled", true);
  c.mode = map.choice("mode", "best_effort", {"best_effort", "fail_closed"}) == "fail_closed"
               ? Mode::FailClosed
               : Mode::BestEffort;
  c.instance_id = map.string("instance_id", host_name());
  if (c.instance_id.empty()) map.problem("instance_id", "expected a non-empty string");
  c.queue_capacity = static_cast<std::size_t>(map.integer("queue_capacity", 10000, 1, 10'000'000));
  auto key = map.optional_string("signing_key_file");
  c.checkpoint_every = map.integer("checkpoint_every", 1000, 0, 1'000'000'000);
  c.checkpoint_interval = map.duration("checkpoint_interval", c.checkpoint_interval);
  c.sync_interval = map.duration("sync_interval", c.sync_interval);

  if (auto m = map.map("sqlite")) {
    SqliteConfig s;
    s.path = resolve(base_dir, m->string("path", "gatewaystack-audit.sqlite"));
    s.batch_max = static_cast<std::size_t>(m->integer("batch_max", 256, 1, 100'000));
    s.flush_interval = m->duration("flush_interval", s.flush_interval);
    m->check_unknown_keys();
    c.sqlite = s;
  }
  if (auto m = map.map("jsonl")) {
    JsonlConfig j;
    j.path = resolve(base_dir, m->string("path", "audit.jsonl"));
    j.max_bytes = m->byte_size("max_bytes", j.max_bytes);
    j.max_age = m->duration("max_age", j.max_age);
    m->check_unknown_keys();
    c.jsonl = j;
  }
  if (auto m = map.map("postgres")) {
    PostgresConfig p;
    p.url = m->required_string("url");
    p.batch_max = static_cast<std::size_t>(m->integer("batch_max", 256, 1, 1000));
    p.flush_interval = m->duration("flush_interval", p.flush_interval);
    m->check_unknown_keys();
    c.postgres = p;
  }
  if (!c.sqlite && !c.jsonl && !c.postgres) {
    c.sqlite = SqliteConfig{resolve(base_dir, "gatewaystack-audit.sqlite")};
  }
  if (key) {
    c.signing_key_file = resolve(base_dir, *key);
  } else {
    std::string beside = c.sqlite  ? dir_of(c.sqlite->path)
                         : c.jsonl ? dir_of(c.jsonl->path)
                                   : (base_dir.empty() ? std::string(".") : base_dir);
    c.signing_key_file = (std::filesystem::path(beside) / "audit-ed25519.pem").string();
  }
  map.check_unknown_keys();
  return c;
}

}  // namespace gw::audit
