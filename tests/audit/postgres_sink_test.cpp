#include <gtest/gtest.h>

#include <cstdlib>

#include "audit/audit_log_impl.hpp"
#include "audit/test_util.hpp"

namespace gw::audit {
namespace {

// Runs against a real server only when GW_TEST_POSTGRES_URL names one (a scratch database:
// the test drops gw_audit_log).
std::string postgres_url() {
  const char* url = std::getenv("GW_TEST_POSTGRES_URL");
  return url ? url : "";
}

Entry record(const std::string& id) {
  Entry e;
  e.kind = "request";
  e.request_id = id;
  e.user_id = "alice";
  e.decision = "allow";
  e.status = 200;
  e.time_ms = 1'700'000'000'000;
  return e;
}

class PostgresSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = postgres_url();
    if (url_.empty()) GTEST_SKIP() << "GW_TEST_POSTGRES_URL not set";
    std::string cmd = "psql -q '" + url_ + "' -c 'DROP TABLE IF EXISTS gw_audit_log' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  AuditConfig config(const std::string& instance) {
    AuditConfig c;
    c.instance_id = instance;
    c.postgres = PostgresConfig{url_, 64, std::chrono::milliseconds(1)};
    c.signing_key_file = dir_.file(instance + ".pem");
    return c;
  }
  std::string url_;
  test::TempDir dir_;
};

TEST_F(PostgresSinkTest, SeveralInstancesEachKeepTheirOwnChainInOneDatabase) {
  auto a = *AuditLog::create(config("gw-a"));
  auto b = *AuditLog::create(config("gw-b"));
  ASSERT_TRUE(a->start());
  ASSERT_TRUE(b->start());
  for (int i = 0; i < 50; ++i) {
    a->impl().submit(record("a" + std::to_string(i)), false);
    b->impl().submit(record("b" + std::to_string(i)), false);
  }
  a->stop();
  b->stop();
  auto report = verify_postgres(url_);
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records, 100u);
  EXPECT_EQ(report.instances, 2u);
  auto report_a = verify_postgres(url_, a->public_key_pem());
  EXPECT_FALSE(report_a.ok);  // gw-b's checkpoints are signed with another key
  EXPECT_EQ(report_a.problem, "bad_signature");

  // Restart continues gw-a's chain from the head stored in the database.
  auto a2 = *AuditLog::create(config("gw-a"));
  ASSERT_TRUE(a2->start());
  a2->impl().submit(record("a-after"), false);
  a2->stop();
  EXPECT_TRUE(verify_postgres(url_).ok);

  QueryOptions options;
  options.user = "alice";
  options.limit = 5;
  auto rows = query_postgres(url_, options);
  ASSERT_TRUE(rows) << rows.error().detail;
  EXPECT_EQ(rows->size(), 5u);

  std::string cmd = "psql -q '" + url_ +
                    "' -c \"UPDATE gw_audit_log SET status = 500 WHERE request_id = 'b7'\" "
                    ">/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  report = verify_postgres(url_);
  EXPECT_EQ(report.problem, "modified");
  EXPECT_EQ(report.instance_id, "gw-b");
  EXPECT_EQ(report.seq, 9);
}

}  // namespace
}  // namespace gw::audit
