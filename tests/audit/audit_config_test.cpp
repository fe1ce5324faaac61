#include <gtest/gtest.h>

#include "audit/audit.hpp"

namespace gw::audit {
namespace {

struct Parsed {
  AuditConfig config;
  std::string problems;
};

Parsed parse(const std::string& yaml) {
  config::Problems problems("gateway.yaml");
  auto node = config::load_string(yaml, problems);
  Parsed out;
  if (node) {
    config::Map root(*node, "", problems);
    if (auto audit = root.map("audit")) out.config = parse_config(*audit, "/etc/gw");
  }
  out.problems = problems.format();
  return out;
}

TEST(AuditConfigTest, ReadsEveryKey) {
  auto p = parse(R"(
audit:
  enabled: true
  mode: fail_closed
  instance_id: gw-1
  queue_capacity: 500
  signing_key_file: keys/audit.pem
  checkpoint_every: 10
  checkpoint_interval: 5s
  sync_interval: 250ms
  sqlite: {path: audit.sqlite, batch_max: 32, flush_interval: 20ms}
  jsonl: {path: /var/log/audit.jsonl, max_bytes: 1MiB, max_age: 1h}
  postgres: {url: "postgresql://u@127.0.0.1:5432/audit", batch_max: 64, flush_interval: 10ms}
)");
  EXPECT_EQ(p.problems, "");
  const auto& c = p.config;
  EXPECT_EQ(c.mode, Mode::FailClosed);
  EXPECT_EQ(c.instance_id, "gw-1");
  EXPECT_EQ(c.queue_capacity, 500u);
  EXPECT_EQ(c.signing_key_file, "/etc/gw/keys/audit.pem");
  EXPECT_EQ(c.checkpoint_every, 10);
  EXPECT_EQ(c.checkpoint_interval, std::chrono::seconds(5));
  EXPECT_EQ(c.sync_interval, std::chrono::milliseconds(250));
  ASSERT_TRUE(c.sqlite);
  EXPECT_EQ(c.sqlite->path, "/etc/gw/audit.sqlite");
  EXPECT_EQ(c.sqlite->batch_max, 32u);
  EXPECT_EQ(c.sqlite->flush_interval, std::chrono::milliseconds(20));
  ASSERT_TRUE(c.jsonl);
  EXPECT_EQ(c.jsonl->path, "/var/log/audit.jsonl");
  EXPECT_EQ(c.jsonl->max_bytes, 1u << 20);
  EXPECT_EQ(c.jsonl->max_age, std::chrono::hours(1));
  ASSERT_TRUE(c.postgres);
  EXPECT_EQ(c.postgres->batch_max, 64u);
}

TEST(AuditConfigTest, DefaultsToSqliteWithKeyBesideIt) {
  auto p = parse("audit: {}\n");
  EXPECT_EQ(p.problems, "");
  EXPECT_EQ(p.config.mode, Mode::BestEffort);
  ASSERT_TRUE(p.config.sqlite);
  EXPECT_EQ(p.config.sqlite->path, "/etc/gw/gatewaystack-audit.sqlite");
  EXPECT_EQ(p.config.signing_key_file, "/etc/gw/audit-ed25519.pem");
  EXPECT_FALSE(p.config.instance_id.empty());  // the host name
  EXPECT_FALSE(p.config.jsonl);
  EXPECT_FALSE(p.config.postgres);
}

TEST(AuditConfigTest, UnknownKeysAndBadValuesAreErrors) {
  auto p = parse(R"(
audit:
  mode: sometimes
  sqlite: {path: a.sqlite, batchmax: 3}
  colour: blue
)");
  EXPECT_NE(p.problems.find("audit.mode"), std::string::npos) << p.problems;
  EXPECT_NE(p.problems.find("audit.sqlite.batchmax"), std::string::npos) << p.problems;
  EXPECT_NE(p.problems.find("audit.colour"), std::string::npos) << p.problems;
}

TEST(AuditConfigTest, PostgresNeedsUrl) {
  auto p = parse("audit:\n  postgres: {batch_max: 3}\n");
  EXPECT_NE(p.problems.find("audit.postgres.url"), std::string::npos) << p.problems;
}

}  // namespace
}  // namespace gw::audit
