#include <gtest/gtest.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "audit/audit_log_impl.hpp"
#include "audit/test_util.hpp"

namespace gw::audit {
namespace {

AuditConfig sqlite_config(const test::TempDir& dir, const std::string& instance = "gw-1") {
  AuditConfig config;
  config.instance_id = instance;
  config.sqlite = SqliteConfig{dir.file("audit.sqlite"), 256, std::chrono::milliseconds(1)};
  config.signing_key_file = dir.file("audit-ed25519.pem");
  config.checkpoint_every = 4;
  return config;
}

Entry record(const std::string& id, const std::string& user, const std::string& decision) {
  Entry e;
  e.kind = "request";
  e.request_id = id;
  e.user_id = user;
  e.model = "gpt-4o";
  e.decision = decision;
  e.status = decision == "allow" ? 200 : 403;
  e.time_ms = 1'700'000'000'000;
  return e;
}

void write_records(const AuditConfig& config, int n, const std::string& prefix = "r") {
  auto log = AuditLog::create(config);
  ASSERT_TRUE(log) << log.error().detail;
  ASSERT_TRUE((*log)->start());
  for (int i = 0; i < n; ++i) {
    (*log)->impl().submit(
        record(prefix + std::to_string(i), i % 2 ? "bob" : "alice", i % 3 ? "allow" : "deny"),
        false);
  }
  (*log)->stop();
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int sqlite3_cli(const std::string& db, const std::string& sql) {
  std::string cmd = "sqlite3 '" + db + "' \"" + sql + "\"";
  return std::system(cmd.c_str());
}

TEST(SqliteSinkTest, RoundTripStoresEveryFieldExactly) {
  test::TempDir dir;
  auto sink = make_sqlite_sink(SqliteConfig{dir.file("a.sqlite")});
  auto head = sink->open("gw-1");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 0);
  Chain chain("gw-1", *head);
  std::vector<Entry> entries;
  for (int i = 0; i < 3; ++i) {
    Entry e = record("r" + std::to_string(i), "alice", "allow");
    e.user_agent = "agent \"x\"\n";
    e.pii = "email:1";
    chain.append(e);
    entries.push_back(e);
  }
  ASSERT_TRUE(sink->write(entries));
  auto back = read_sqlite(dir.file("a.sqlite"));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, entries);
  // Reopening finds the head.
  auto reopened = make_sqlite_sink(SqliteConfig{dir.file("a.sqlite")});
  auto head2 = reopened->open("gw-1");
  ASSERT_TRUE(head2);
  EXPECT_EQ(head2->seq, 3);
  EXPECT_EQ(head2->hash, entries.back().hash);
}

TEST(SqliteSinkTest, UsesWalAndGeneratesPrivateKeyWithPublicHalf) {
  test::TempDir dir;
  auto config = sqlite_config(dir);
  write_records(config, 5);
  std::string mode;
  if (FILE* p = ::popen(
          ("sqlite3 '" + dir.file("audit.sqlite") + "' 'PRAGMA journal_mode'").c_str(), "r")) {
    char buf[64] = {};
    if (std::fgets(buf, sizeof buf, p)) mode = buf;
    ::pclose(p);
  }
  EXPECT_EQ(mode, "wal\n");
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("audit-ed25519.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string pub = read(dir.file("audit-ed25519.pub.pem"));
  EXPECT_NE(pub.find("BEGIN PUBLIC KEY"), std::string::npos);
  auto report = verify_sqlite(dir.file("audit.sqlite"), pub);
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records, 5u);
  EXPECT_TRUE(report.signatures_checked);
}

// Split group commit: commit() stores the batch (visible to readers, in order) without waiting
// for the disk; sync() then flushes the WAL, also while later batches are committed.
TEST(SqliteSinkTest, CommitStoresTheBatchAndSyncFlushesIt) {
  test::TempDir dir;
  auto sink =
      make_sqlite_sink(SqliteConfig{dir.file("audit.sqlite"), 256, std::chrono::milliseconds(1)});
  auto head = sink->open("gw-1");
  ASSERT_TRUE(head) << head.error().detail;
  Chain chain("gw-1", *head);
  std::vector<Entry> first{record("a", "alice", "allow"), record("b", "bob", "deny")};
  for (Entry& e : first) chain.append(e);
  ASSERT_TRUE(sink->commit(first));
  auto stored = read_sqlite(dir.file("audit.sqlite"));
  ASSERT_TRUE(stored) << stored.error().detail;
  EXPECT_EQ(*stored, first);
  ASSERT_TRUE(sink->sync());

  std::vector<Entry> second{record("c", "carol", "allow")};
  chain.append(second[0]);
  auto syncing = std::async(std::launch::async, [&] { return sink->sync().has_value(); });
  EXPECT_TRUE(sink->commit(second));
  EXPECT_TRUE(test::get_within(syncing, "a sync running beside a commit"));
  ASSERT_TRUE(sink->sync());
  stored = read_sqlite(dir.file("audit.sqlite"));
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 3u);
  EXPECT_EQ(stored->back(), second[0]);
  EXPECT_TRUE(verify_entries(*stored, nullptr).ok);
}

// Rows go in through INSERTs of 32, 16, ..., 1 rows: whatever the batch size, every row is
// stored exactly, in chain order, and the chain verifies.
TEST(SqliteSinkTest, BatchesOfAnySizeStoreEveryRowInOrder) {
  test::TempDir dir;
  auto sink = make_sqlite_sink(SqliteConfig{dir.file("audit.sqlite")});
  auto head = sink->open("gw-1");
  ASSERT_TRUE(head) << head.error().detail;
  Chain chain("gw-1", *head);
  std::vector<Entry> all;
  for (std::size_t size : {1, 2, 15, 16, 17, 31, 32, 33, 64, 69, 256, 300}) {
    std::vector<Entry> batch;
    for (std::size_t i = 0; i < size; ++i) {
      Entry e = record("b" + std::to_string(size) + "-" + std::to_string(i), "alice", "allow");
      e.latency_us = static_cast<std::int64_t>(i);
      e.user_agent = std::string(i % 40, 'a');  // rows of different lengths
      chain.append(e);
      batch.push_back(e);
    }
    ASSERT_TRUE(sink->commit(batch)) << size;
    all.insert(all.end(), batch.begin(), batch.end());
    auto stored = read_sqlite(dir.file("audit.sqlite"));
    ASSERT_TRUE(stored) << stored.error().detail;
    ASSERT_EQ(*stored, all) << "after a batch of " << size;
  }
  ASSERT_TRUE(sink->sync());
  EXPECT_TRUE(verify_entries(all, nullptr).ok);
  auto reopened = make_sqlite_sink(SqliteConfig{dir.file("audit.sqlite")});
  auto head2 = reopened->open("gw-1");
  ASSERT_TRUE(head2);
  EXPECT_EQ(head2->seq, static_cast<std::int64_t>(all.size()));
  EXPECT_EQ(head2->hash, all.back().hash);
}

// A batch is stored all or none, also when a row of a later multi-row INSERT fails.
TEST(SqliteSinkTest, FailingRowLeavesNothingOfItsBatch) {
  test::TempDir dir;
  const std::string path = dir.file("audit.sqlite");
  auto sink = make_sqlite_sink(SqliteConfig{path});
  auto head = sink->open("gw-1");
  ASSERT_TRUE(head) << head.error().detail;
  Chain chain("gw-1", *head);
  std::vector<Entry> first{record("a", "alice", "allow")};
  chain.append(first[0]);
  ASSERT_TRUE(sink->commit(first));
  ASSERT_EQ(sqlite3_cli(path,
                        "CREATE TRIGGER refuse BEFORE INSERT ON audit_log WHEN "
                        "NEW.request_id = 'x40' BEGIN SELECT RAISE(ABORT, 'refused'); END"),
            0);
  std::vector<Entry> batch;  // 32 + 16 + 1 rows; the refused one is in the 16-row INSERT
  for (int i = 0; i < 49; ++i) batch.push_back(record("x" + std::to_string(i), "bob", "deny"));
  Chain attempt = chain;
  for (Entry& e : batch) attempt.append(e);
  auto result = sink->commit(batch);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().detail.find("refused"), std::string::npos) << result.error().detail;
  auto stored = read_sqlite(path);
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, first);
  // The same batch goes in once the trigger is gone (the sink's statements are re-prepared).
  ASSERT_EQ(sqlite3_cli(path, "DROP TRIGGER refuse"), 0);
  ASSERT_TRUE(sink->commit(batch));
  stored = read_sqlite(path);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 50u);
  EXPECT_TRUE(verify_entries(*stored, nullptr).ok);
}

TEST(SqliteSinkTest, RestartStartsNewSegmentLinkedToStoredHead) {
  test::TempDir dir;
  auto config = sqlite_config(dir);
  write_records(config, 3, "a");
  write_records(config, 3, "b");  // reuses the key written the first time
  auto entries = read_sqlite(dir.file("audit.sqlite"));
  ASSERT_TRUE(entries);
  int segments = 0;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    if ((*entries)[i].checkpoint == "segment_start") {
      ++segments;
      if (i > 0) {
        EXPECT_EQ((*entries)[i].prev_hash, (*entries)[i - 1].hash);
      }
    }
  }
  EXPECT_EQ(segments, 2);
  auto report = verify_sqlite(dir.file("audit.sqlite"), read(dir.file("audit-ed25519.pub.pem")));
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records, 6u);
}

// Runs `sql` on the file; the rows' first columns, one string per row.
std::vector<std::string> sqlite_rows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path;
  } else {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return rows;
}

// The column mapping: a record whose fields all differ, read back column by column by name.
TEST(SqliteSinkTest, EachFieldIsStoredInTheColumnOfItsName) {
  test::TempDir dir;
  auto sink = make_sqlite_sink(SqliteConfig{dir.file("a.sqlite")});
  ASSERT_TRUE(sink->open("gw-1"));
  const Entry distinct = test::entry_with_distinct_fields();
  ASSERT_TRUE(sink->write(std::span<const Entry>(&distinct, 1)));
  for (const Field& f : fields()) {
    const std::string expected = f.number != nullptr ? std::to_string(test::distinct_number(f.id))
                                                     : test::distinct_text(f.id);
    EXPECT_EQ(
        sqlite_rows(dir.file("a.sqlite"), "SELECT " + std::string(f.name) + " FROM audit_log"),
        std::vector<std::string>{expected})
        << f.name;
  }
  auto back = read_sqlite(dir.file("a.sqlite"));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, std::vector<Entry>{distinct});
}

TEST(SqliteSinkTest, NewFilesHaveOnlyTheTimeIndexAndNoAutoincrementCounter) {
  test::TempDir dir;
  write_records(sqlite_config(dir), 3);
  EXPECT_EQ(sqlite_rows(dir.file("audit.sqlite"),
                        "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name "
                        "NOT LIKE 'sqlite_autoindex%' ORDER BY name"),
            (std::vector<std::string>{"audit_log", "audit_log_time"}));
}

// A file created with the earlier schema (AUTOINCREMENT, an (instance_id, seq) index) keeps it:
// writing, restarting, verify and query work on it as on a new file.
TEST(SqliteSinkTest, FileWithTheEarlierSchemaKeepsWorking) {
  test::TempDir dir;
  const std::string path = dir.file("audit.sqlite");
  std::string ddl = "CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT";
  for (const Field& f : fields()) {
    ddl += std::string(", ") + std::string(f.name) +
           (f.number ? " INTEGER NOT NULL" : " TEXT NOT NULL");
  }
  ddl +=
      "); CREATE INDEX audit_log_instance_seq ON audit_log(instance_id, seq); CREATE INDEX "
      "audit_log_time ON audit_log(time_ms);";
  ASSERT_EQ(sqlite3_cli(path, ddl), 0);
  // Two instances interleaved, and the first one restarted: each continues its own chain.
  write_records(sqlite_config(dir, "gw-1"), 3, "a");
  write_records(sqlite_config(dir, "gw-2"), 2, "b");
  write_records(sqlite_config(dir, "gw-1"), 2, "c");
  auto report = verify_sqlite(path, read(dir.file("audit-ed25519.pub.pem")));
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records, 7u);
  EXPECT_EQ(report.instances, 2u);
  EXPECT_EQ(sqlite_rows(path,
                        "SELECT count(*) FROM sqlite_master WHERE name = "
                        "'audit_log_instance_seq'"),
            std::vector<std::string>{"1"});
  QueryOptions options;
  options.user = "alice";
  auto rows = query_sqlite(path, options);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 4u);  // a0, a2, b0, c0
}

// The head is the instance's last row, however many rows of other instances follow it.
TEST(SqliteSinkTest, RestartFindsTheHeadOfItsInstanceBehindAnother) {
  test::TempDir dir;
  const std::string path = dir.file("audit.sqlite");
  write_records(sqlite_config(dir, "gw-1"), 3, "a");
  write_records(sqlite_config(dir, "gw-2"), 40, "b");
  auto head = make_sqlite_sink(SqliteConfig{path})->open("gw-1");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 5);  // segment_start, a0..a2, shutdown
  auto entries = read_sqlite(path);
  ASSERT_TRUE(entries);
  EXPECT_EQ(head->hash, (*entries)[4].hash);
  auto missing = make_sqlite_sink(SqliteConfig{path})->open("gw-3");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->seq, 0);
  EXPECT_EQ(missing->hash, kGenesisHash);
}

TEST(SqliteSinkTest, VerifyNamesRowEditedWithTheSqliteCli) {
  test::TempDir dir;
  write_records(sqlite_config(dir), 6);
  ASSERT_EQ(sqlite3_cli(dir.file("audit.sqlite"),
                        "UPDATE audit_log SET decision='allow' WHERE request_id='r3'"),
            0);
  auto report = verify_sqlite(dir.file("audit.sqlite"));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "modified");
  EXPECT_EQ(report.seq, 5);  // segment_start is seq 1, r0..r2 are 2..4
}

TEST(SqliteSinkTest, VerifyNamesDeletedRow) {
  test::TempDir dir;
  write_records(sqlite_config(dir), 6);
  ASSERT_EQ(sqlite3_cli(dir.file("audit.sqlite"), "DELETE FROM audit_log WHERE request_id='r1'"),
            0);
  auto report = verify_sqlite(dir.file("audit.sqlite"));
  EXPECT_EQ(report.problem, "deleted");
  EXPECT_EQ(report.seq, 3);
}

TEST(SqliteSinkTest, VerifyReportsUnreadableFile) {
  test::TempDir dir;
  auto report = verify_sqlite(dir.file("missing.sqlite"));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "unreadable");
}

TEST(SqliteSinkTest, QueryFiltersByUserDecisionAndFormats) {
  test::TempDir dir;
  write_records(sqlite_config(dir), 6);
  QueryOptions options;
  options.user = "alice";
  options.decision = "deny";
  auto rows = query_sqlite(dir.file("audit.sqlite"), options);
  ASSERT_TRUE(rows) << rows.error().detail;
  ASSERT_EQ(rows->size(), 1u);  // r0 (alice, deny); r3 is bob
  EXPECT_EQ((*rows)[0].request_id, "r0");
  options = {};
  options.limit = 2;
  rows = query_sqlite(dir.file("audit.sqlite"), options);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 2u);
  std::string csv = format_rows(*rows, "csv");
  EXPECT_EQ(csv.rfind("time,user,method", 0), 0u);
  std::string json = format_rows(*rows, "json");
  EXPECT_NE(json.find("\"decision\""), std::string::npos);
  std::string table = format_rows(*rows, "table");
  EXPECT_NE(table.find("2023-11-14T22:13:20.000Z"), std::string::npos);
  options = {};
  options.since_ms = 1'800'000'000'000;
  rows = query_sqlite(dir.file("audit.sqlite"), options);
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
}

}  // namespace
}  // namespace gw::audit

namespace gw::audit {
namespace {

// A fail_closed writer killed with SIGKILL: every record acknowledged as durable before the
// kill is in the file, the file verifies, and a restart continues the chain in a new segment.
TEST(SqliteSinkTest, KillNineLosesNoAcknowledgedRecordAndRestartContinuesTheChain) {
  test::TempDir dir;
  auto config = sqlite_config(dir, "gw-crash");
  config.mode = Mode::FailClosed;
  config.checkpoint_every = 50;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto log = AuditLog::create(config);
    if (!log || !(*log)->start()) ::_exit(3);
    std::atomic<int> acked{0};
    for (int i = 0;; ++i) {
      // Bounded by the parent, which kills this process when acknowledgements stop coming.
      while (i - acked.load() > 16) std::this_thread::yield();
      std::string id = "c" + std::to_string(i);
      (*log)->impl().submit(record(id, "u", "allow"), false, [&acked, id, fd = fds[1]](bool ok) {
        if (!ok) return;
        std::string line = id + "\n";
        if (::write(fd, line.data(), line.size()) < 0) ::_exit(4);
        ++acked;
      });
    }
  }
  ::close(fds[1]);
  // Reads acknowledgements until the pipe closes (the child is dead), killing the child after
  // 300 of them, or when they stop coming in time (which also ends the child's spin above).
  std::vector<std::string> acknowledged;
  std::string buffer;
  char chunk[4096];
  bool killed = false;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + test::kWaitLimit;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd readable{fds[0], POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&readable, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (killed) break;  // dead, yet the pipe stays open: give up on it
      timed_out = true;
      ::kill(pid, SIGKILL);
      killed = true;
      continue;
    }
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t at;
    while ((at = buffer.find('\n')) != std::string::npos) {
      acknowledged.push_back(buffer.substr(0, at));
      buffer.erase(0, at + 1);
    }
    if (!killed && acknowledged.size() >= 300) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
  }
  ::close(fds[0]);
  ASSERT_FALSE(timed_out) << "the child acknowledged only " << acknowledged.size() << " records in "
                          << test::kWaitLimit.count() << " s";
  int status = 0;
  ASSERT_TRUE(test::spin_until([&] { return ::waitpid(pid, &status, WNOHANG) != 0; },
                               "the killed child has exited"));
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  auto entries = read_sqlite(dir.file("audit.sqlite"));
  ASSERT_TRUE(entries) << entries.error().detail;
  std::set<std::string> stored;
  for (const auto& e : *entries) stored.insert(e.request_id);
  for (const auto& id : acknowledged) EXPECT_TRUE(stored.count(id)) << id;
  std::string pub = read(dir.file("audit-ed25519.pub.pem"));
  auto report = verify_sqlite(dir.file("audit.sqlite"), pub);
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_GE(report.records, acknowledged.size());

  write_records(config, 2, "after");
  auto after = read_sqlite(dir.file("audit.sqlite"));
  ASSERT_TRUE(after);
  int segments = 0;
  for (const auto& e : *after) segments += e.checkpoint == "segment_start";
  EXPECT_EQ(segments, 2);
  report = verify_sqlite(dir.file("audit.sqlite"), pub);
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records, stored.size() - 1 + 2);  // stored includes "" for checkpoints
}

}  // namespace
}  // namespace gw::audit
