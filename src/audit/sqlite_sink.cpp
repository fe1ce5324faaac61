#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "audit/sink.hpp"

namespace gw::audit {

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtCloser {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

Error db_error(sqlite3* db, std::string_view what) {
  return make_error(Reason::AuditUnavailable,
                    "sqlite " + std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "no memory"),
                    Origin::Internal);
}

// Each index costs the writer an insert per row. Rows are only appended, so the plain rowid
// already orders them (storage order for verify, the chain head as the last row of an instance)
// without AUTOINCREMENT's counter, and an (instance_id, seq) index would serve no query. Files
// created with those keep them; every statement here works with both.
std::string schema_sql() {
  std::string sql = "CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY";
  for (const Field& f : fields()) {
    sql += ", ";
    sql += f.name;
    sql += f.number ? " INTEGER NOT NULL" : " TEXT NOT NULL";
  }
  sql += ");\nCREATE INDEX IF NOT EXISTS audit_log_time ON audit_log(time_ms);";
  return sql;
}

std::string column_list() {
  std::string cols;
  for (const Field& f : fields()) {
    if (!cols.empty()) cols += ", ";
    cols += f.name;
  }
  return cols;
}

// INSERT of `rows` rows (every column but id) with one parameter per value, row after row.
std::string insert_sql(std::size_t rows) {
  std::string row = "(";
  for (std::size_t i = 0; i < fields().size(); ++i) row += i ? ",?" : "?";
  row += ")";
  std::string sql = "INSERT INTO audit_log (" + column_list() + ") VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    if (r) sql += ",";
    sql += row;
  }
  return sql;
}

// SQLite's memory statistics take a process-wide mutex on every allocation and free; nothing
// here reads them. The option only takes effect before SQLite initialises (the first open in
// the process), so it is set once, before the first open; later it is refused
// (SQLITE_MISUSE) and changes nothing.
void configure_sqlite() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

Result<Db> open_db(const std::string& path, bool create) {
  configure_sqlite();
  sqlite3* raw = nullptr;
  int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return db_error(raw, "open " + path);
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

Result<void> exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "error";
    sqlite3_free(message);
    return make_error(Reason::AuditUnavailable, "sqlite: " + text, Origin::Internal);
  }
  return {};
}

Result<Stmt> prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return db_error(db, "prepare");
  }
  return Stmt(raw);
}

std::string column_text(sqlite3_stmt* stmt, int i) {
  const auto* text = sqlite3_column_text(stmt, i);
  return text ? std::string(reinterpret_cast<const char*>(text),
                            static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)))
              : std::string();
}

class SqliteSink final : public Sink {
 public:
  explicit SqliteSink(SqliteConfig config) : config_(std::move(config)) {}
  std::string_view name() const noexcept override { return "sqlite"; }
  std::size_t batch_max() const noexcept override { return config_.batch_max; }
  std::chrono::milliseconds flush_interval() const noexcept override {
    return config_.flush_interval;
  }

  Result<Head> open(const std::string& instance_id) override {
    auto db = open_db(config_.path, true);
    if (!db) return db.error();
    db_ = std::move(*db);
    // WAL with synchronous=NORMAL: a commit appends its frames to the WAL without waiting for
    // the disk, and sync() then fdatasyncs the WAL file, which is what synchronous=FULL does
    // inside each commit. Split, the next batch is committed while the previous one is being
    // flushed. (Checkpoints still sync the WAL before and the database after copying.)
    if (auto r = exec(db_.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !r) {
      return r.error();
    }
    if (auto r = exec(db_.get(), schema_sql()); !r) return r.error();
    // Rows go in up to kMaxRowsPerInsert at a time, through statements of 1, 2, 4, ... rows:
    // one statement per row spends as much on starting and ending the statement (opening
    // cursors, seeking the end of the table) as on the row itself. A batch of n rows takes n / 32
    // statements of 32 rows and one of each power of two in the rest.
    const auto max_variables =
        static_cast<std::size_t>(sqlite3_limit(db_.get(), SQLITE_LIMIT_VARIABLE_NUMBER, -1));
    inserts_.clear();
    for (std::size_t rows = 1; rows <= kMaxRowsPerInsert && rows * fields().size() <= max_variables;
         rows *= 2) {
      auto prepared = prepare(db_.get(), insert_sql(rows));
      if (!prepared) return prepared.error();
      inserts_.push_back(std::move(*prepared));
    }
    if (inserts_.empty()) {
      return make_error(Reason::AuditUnavailable, "sqlite: too few SQL variables for one row",
                        Origin::Internal);
    }
    for (auto [stmt, sql] : {std::pair{&begin_, "BEGIN IMMEDIATE"}, std::pair{&commit_, "COMMIT"},
                             std::pair{&rollback_, "ROLLBACK"}}) {
      auto prepared = prepare(db_.get(), sql);
      if (!prepared) return prepared.error();
      *stmt = std::move(*prepared);
    }
    // The last row of this instance, read backwards from the end: found at once when the file
    // holds one instance. (Through an (instance_id, seq) index, as an older schema has, SQLite
    // would read all of the instance's rows and sort them.)
    auto head =
        prepare(db_.get(),
                "SELECT seq, hash FROM audit_log NOT INDEXED WHERE instance_id = ? ORDER BY "
                "id DESC LIMIT 1");
    if (!head) return head.error();
    sqlite3_bind_text(head->get(), 1, instance_id.c_str(), -1, SQLITE_TRANSIENT);
    Head result;
    int rc = sqlite3_step(head->get());
    if (rc == SQLITE_ROW) {
      result.seq = sqlite3_column_int64(head->get(), 0);
      result.hash = column_text(head->get(), 1);
    } else if (rc != SQLITE_DONE) {
      return db_error(db_.get(), "read head");
    }
    return result;
  }

  Result<void> write(std::span<const Entry> entries) override {
    if (auto r = commit(entries); !r) return r;
    return sync();
  }

  // Everything committed before this call is in the WAL file: fdatasync it. Touches only
  // wal_fd_, so it may run on another thread while commit() appends the next transaction.
  Result<void> sync() override {
    if (wal_fd_ < 0) {
      // The WAL file exists from the first commit on and lives as long as our connection.
      wal_fd_ = ::open((config_.path + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_fd_ < 0) return sync_error("open " + config_.path + "-wal");
    }
    if (::fdatasync(wal_fd_) != 0) return sync_error("fdatasync " + config_.path + "-wal");
    return {};
  }

  Result<void> commit(std::span<const Entry> entries) override {
    if (!db_) return make_error(Reason::AuditUnavailable, "sqlite not open", Origin::Internal);
    // One transaction per batch, with statements prepared once at open.
    if (auto r = run(begin_, "begin"); !r) return r;
    while (!entries.empty()) {
      // The largest statement that fits: inserts_[k] takes 2^k rows.
      std::size_t k = std::min<std::size_t>(std::bit_width(entries.size()), inserts_.size()) - 1;
      const std::size_t rows = std::size_t{1} << k;
      const Stmt& insert = inserts_[k];
      int i = 1;
      for (const Entry& e : entries.first(rows)) {
        for (const Field& f : fields()) {
          if (f.number) {
            sqlite3_bind_int64(insert.get(), i++, e.*f.number);
          } else {
            const std::string& v = e.*f.text;
            sqlite3_bind_text(insert.get(), i++, v.data(), static_cast<int>(v.size()),
                              SQLITE_STATIC);
          }
        }
      }
      if (auto r = run(insert, "insert"); !r) {
        (void)run(rollback_, "rollback");
        return r;
      }
      entries = entries.subspan(rows);
    }
    if (auto r = run(commit_, "commit"); !r) {
      (void)run(rollback_, "rollback");
      return r;
    }
    return {};
  }

  ~SqliteSink() override {
    if (wal_fd_ >= 0) ::close(wal_fd_);
  }

 private:
  static Error sync_error(const std::string& what) {
    return make_error(Reason::AuditUnavailable, "sqlite " + what + ": " + std::strerror(errno),
                      Origin::Internal);
  }

  // Steps a statement that returns no rows and resets it for the next use.
  Result<void> run(const Stmt& stmt, std::string_view what) {
    if (sqlite3_step(stmt.get()) == SQLITE_DONE) {
      sqlite3_reset(stmt.get());
      return {};
    }
    auto error = db_error(db_.get(), what);
    sqlite3_reset(stmt.get());
    return error;
  }

  static constexpr std::size_t kMaxRowsPerInsert = 32;

  SqliteConfig config_;
  Db db_;
  std::vector<Stmt> inserts_;  // inserts_[k]: INSERT of 2^k rows
  Stmt begin_, commit_, rollback_;
  int wal_fd_ = -1;  // used by sync() only
};

}  // namespace

SinkPtr make_sqlite_sink(const SqliteConfig& config) {
  return std::make_unique<SqliteSink>(config);
}

Result<std::vector<Entry>> read_sqlite(const std::string& path) {
  auto db = open_db(path, false);
  if (!db) return db.error();
  auto stmt = prepare(db->get(), "SELECT " + column_list() + " FROM audit_log ORDER BY id");
  if (!stmt) return stmt.error();
  std::vector<Entry> entries;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    Entry e;
    int i = 0;
    for (const Field& f : fields()) {
      if (f.number) {
        e.*f.number = sqlite3_column_int64(stmt->get(), i);
      } else {
        e.*f.text = column_text(stmt->get(), i);
      }
      ++i;
    }
    entries.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return db_error(db->get(), "read");
  return entries;
}

namespace detail {
// Shared with query.cpp.
Result<std::vector<std::vector<std::string>>> sqlite_select(
    const std::string& path, const std::string& sql, const std::vector<std::string>& params) {
  auto db = open_db(path, false);
  if (!db) return db.error();
  auto stmt = prepare(db->get(), sql);
  if (!stmt) return stmt.error();
  for (std::size_t i = 0; i < params.size(); ++i) {
    sqlite3_bind_text(stmt->get(), static_cast<int>(i + 1), params[i].c_str(), -1,
                      SQLITE_TRANSIENT);
  }
  std::vector<std::vector<std::string>> rows;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    std::vector<std::string> row;
    int n = sqlite3_column_count(stmt->get());
    for (int i = 0; i < n; ++i) row.push_back(column_text(stmt->get(), i));
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return db_error(db->get(), "query");
  return rows;
}
}  // namespace detail

}  // namespace gw::audit
