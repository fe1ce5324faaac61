#include <libpq-fe.h>

#include <memory>

#include "audit/sink.hpp"

namespace gw::audit {

namespace {

struct ConnCloser {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct ResultCloser {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
using PgResult = std::unique_ptr<PGresult, ResultCloser>;

Error pg_error(PGconn* conn, std::string_view what) {
  std::string message = conn ? PQerrorMessage(conn) : "no memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return make_error(Reason::AuditUnavailable, "postgres " + std::string(what) + ": " + message,
                    Origin::Internal);
}

Result<Conn> connect(const std::string& url) {
  Conn conn(PQconnectdb(url.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) return pg_error(conn.get(), "connect");
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);  // "already exists"
  return conn;
}

Result<PgResult> run(PGconn* conn, const std::string& sql,
                     const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  PgResult result(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
  auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return pg_error(conn, "query");
  return result;
}

std::string column_list() {
  std::string cols;
  for (const Field& f : fields()) {
    if (!cols.empty()) cols += ", ";
    cols += f.name;
  }
  return cols;
}

std::string schema_sql() {
  std::string sql = "CREATE TABLE IF NOT EXISTS gw_audit_log (id BIGSERIAL PRIMARY KEY";
  for (const Field& f : fields()) {
    sql += ", ";
    sql += f.name;
    sql += f.number ? " BIGINT NOT NULL" : " TEXT NOT NULL";
  }
  sql += ")";
  return sql;
}

class PostgresSink final : public Sink {
 public:
  explicit PostgresSink(PostgresConfig config) : config_(std::move(config)) {}
  std::string_view name() const noexcept override { return "postgres"; }
  std::size_t batch_max() const noexcept override { return config_.batch_max; }
  std::chrono::milliseconds flush_interval() const noexcept override {
    return config_.flush_interval;
  }

  Result<Head> open(const std::string& instance_id) override {
    auto conn = connect(config_.url);
    if (!conn) return conn.error();
    conn_ = std::move(*conn);
    // Several instances may start together: serialise the schema creation.
    for (const std::string& sql :
         {std::string("SELECT pg_advisory_lock(7206107)"), schema_sql(),
          std::string("CREATE INDEX IF NOT EXISTS gw_audit_log_instance_seq ON "
                      "gw_audit_log(instance_id, seq)"),
          std::string("CREATE INDEX IF NOT EXISTS gw_audit_log_time ON gw_audit_log(time_ms)"),
          std::string("SELECT pg_advisory_unlock(7206107)")}) {
      if (auto r = run(conn_.get(), sql); !r) return r.error();
    }
    auto head = run(conn_.get(),
                    "SELECT seq, hash FROM gw_audit_log WHERE instance_id = $1 ORDER BY id DESC "
                    "LIMIT 1",
                    {instance_id});
    if (!head) return head.error();
    Head result;
    if (PQntuples(head->get()) == 1) {
      result.seq = std::stoll(PQgetvalue(head->get(), 0, 0));
      result.hash = PQgetvalue(head->get(), 0, 1);
    }
    return result;
  }

  Result<void> write(std::span<const Entry> entries) override {
    if (!conn_) return make_error(Reason::AuditUnavailable, "postgres not open", Origin::Internal);
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      PQreset(conn_.get());
      if (PQstatus(conn_.get()) != CONNECTION_OK) return pg_error(conn_.get(), "reconnect");
    }
    std::string sql = "INSERT INTO gw_audit_log (" + column_list() + ") VALUES ";
    std::vector<std::string> params;
    params.reserve(entries.size() * fields().size());
    for (std::size_t row = 0; row < entries.size(); ++row) {
      sql += row ? ",(" : "(";
      bool first = true;
      for (const Field& f : fields()) {
        params.push_back(f.number ? std::to_string(entries[row].*f.number) : entries[row].*f.text);
        sql += first ? "$" : ",$";
        sql += std::to_string(params.size());
        first = false;
      }
      sql += ")";
    }
    // One statement is one implicit transaction: all rows or none.
    if (auto r = run(conn_.get(), sql, params); !r) return r.error();
    return {};
  }

 private:
  PostgresConfig config_;
  Conn conn_;
};

}  // namespace

SinkPtr make_postgres_sink(const PostgresConfig& config) {
  return std::make_unique<PostgresSink>(config);
}

Result<std::vector<Entry>> read_postgres(const std::string& url) {
  auto conn = connect(url);
  if (!conn) return conn.error();
  auto result = run(conn->get(), "SELECT " + column_list() + " FROM gw_audit_log ORDER BY id");
  if (!result) return result.error();
  std::vector<Entry> entries;
  int rows = PQntuples(result->get());
  for (int r = 0; r < rows; ++r) {
    Entry e;
    int c = 0;
    for (const Field& f : fields()) {
      const char* v = PQgetvalue(result->get(), r, c++);
      if (f.number) {
        e.*f.number = std::stoll(v);
      } else {
        e.*f.text = v;
      }
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

namespace detail {
Result<std::vector<std::vector<std::string>>> postgres_select(
    const std::string& url, const std::string& sql, const std::vector<std::string>& params) {
  auto conn = connect(url);
  if (!conn) return conn.error();
  auto result = run(conn->get(), sql, params);
  if (!result) return result.error();
  std::vector<std::vector<std::string>> rows;
  int n = PQntuples(result->get());
  int cols = PQnfields(result->get());
  for (int r = 0; r < n; ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < cols; ++c) row.emplace_back(PQgetvalue(result->get(), r, c));
    rows.push_back(std::move(row));
  }
  return rows;
}
}  // namespace detail

}  // namespace gw::audit
