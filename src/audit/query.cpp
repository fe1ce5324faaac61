#include <boost/json/serialize.hpp>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "audit/audit.hpp"
#include "core/result.hpp"

namespace gw::audit {

namespace detail {
Result<std::vector<std::vector<std::string>>> sqlite_select(const std::string& path,
                                                            const std::string& sql,
                                                            const std::vector<std::string>& params);
Result<std::vector<std::vector<std::string>>> postgres_select(
    const std::string& url, const std::string& sql, const std::vector<std::string>& params);
}  // namespace detail

namespace {

constexpr const char* kColumns =
    "time_ms, instance_id, request_id, user_id, email, method, path, route, model, decision, "
    "reason, status, input_tokens, output_tokens, cost_micro_usd, latency_us";

// `postgres` numbers placeholders $1..$n; SQLite takes ?.
std::string build_sql(const std::string& table, const QueryOptions& o, bool postgres,
                      std::vector<std::string>& params) {
  std::string sql =
      std::string("SELECT ") + kColumns + " FROM " + table + " WHERE kind = 'request'";
  auto param = [&](std::string value) {
    params.push_back(std::move(value));
    return postgres ? "$" + std::to_string(params.size()) : std::string("?");
  };
  if (!o.user.empty()) {
    auto p1 = param(o.user);
    auto p2 = param(o.user);
    sql += " AND (user_id = " + p1 + " OR email = " + p2 + ")";
  }
  if (!o.model.empty()) {
    auto p1 = param(o.model);
    auto p2 = param(o.model);
    sql += " AND (model = " + p1 + " OR mcp_tool = " + p2 + ")";
  }
  if (!o.decision.empty()) sql += " AND decision = " + param(o.decision);
  if (o.since_ms) {
    sql += " AND time_ms >= " + std::to_string(*o.since_ms);  // an integer, not client text
  }
  sql += " ORDER BY time_ms DESC, id DESC LIMIT " + std::to_string(o.limit);
  return sql;
}

std::vector<QueryRow> to_rows(const std::vector<std::vector<std::string>>& raw) {
  std::vector<QueryRow> rows;
  for (const auto& r : raw) {
    if (r.size() != 16) continue;
    auto num = [](const std::string& s) { return s.empty() ? 0 : std::stoll(s); };
    QueryRow q;
    q.time_ms = num(r[0]);
    q.instance_id = r[1];
    q.request_id = r[2];
    q.user_id = r[3];
    q.email = r[4];
    q.method = r[5];
    q.path = r[6];
    q.route = r[7];
    q.model = r[8];
    q.decision = r[9];
    q.reason = r[10];
    q.status = num(r[11]);
    q.input_tokens = num(r[12]);
    q.output_tokens = num(r[13]);
    q.cost_micro_usd = num(r[14]);
    q.latency_us = num(r[15]);
    rows.push_back(std::move(q));
  }
  return rows;
}

std::string iso_time(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string cost(std::int64_t micro) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(6) << static_cast<double>(micro) / 1e6;
  return out.str();
}

}  // namespace

Result<std::vector<QueryRow>> query_sqlite(const std::string& path, const QueryOptions& options) {
  std::vector<std::string> params;
  auto sql = build_sql("audit_log", options, false, params);
  auto raw = detail::sqlite_select(path, sql, params);
  if (!raw) return raw.error();
  return to_rows(*raw);
}

Result<std::vector<QueryRow>> query_postgres(const std::string& url, const QueryOptions& options) {
  std::vector<std::string> params;
  auto sql = build_sql("gw_audit_log", options, true, params);
  auto raw = detail::postgres_select(url, sql, params);
  if (!raw) return raw.error();
  return to_rows(*raw);
}

std::string format_rows(const std::vector<QueryRow>& rows, std::string_view format) {
  if (format == "json") {
    std::string out;
    for (const auto& r : rows) {
      boost::json::object o{{"time", iso_time(r.time_ms)},
                            {"instance_id", r.instance_id},
                            {"request_id", r.request_id},
                            {"user_id", r.user_id},
                            {"email", r.email},
                            {"method", r.method},
                            {"path", r.path},
                            {"route", r.route},
                            {"model", r.model},
                            {"decision", r.decision},
                            {"reason", r.reason},
                            {"status", r.status},
                            {"input_tokens", r.input_tokens},
                            {"output_tokens", r.output_tokens},
                            {"cost_micro_usd", r.cost_micro_usd},
                            {"latency_us", r.latency_us}};
      out += boost::json::serialize(o) + "\n";
    }
    return out;
  }
  const std::vector<std::string> header = {"time",   "user",     "method",     "path",
                                           "model",  "decision", "reason",     "status",
                                           "tokens", "cost_usd", "latency_ms", "request_id"};
  std::vector<std::vector<std::string>> table;
  for (const auto& r : rows) {
    std::ostringstream latency;
    latency << std::fixed << std::setprecision(1) << static_cast<double>(r.latency_us) / 1000.0;
    table.push_back({iso_time(r.time_ms), r.user_id.empty() ? "-" : r.user_id, r.method, r.path,
                     r.model.empty() ? "-" : r.model, r.decision, r.reason.empty() ? "-" : r.reason,
                     std::to_string(r.status),
                     std::to_string(r.input_tokens) + "/" + std::to_string(r.output_tokens),
                     cost(r.cost_micro_usd), latency.str(), r.request_id});
  }
  std::string out;
  if (format == "csv") {
    auto line = [&](const std::vector<std::string>& cells) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        out += (i ? "," : "") + csv_field(cells[i]);
      }
      out += "\n";
    };
    line(header);
    for (const auto& row : table) line(row);
    return out;
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : table) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    out += "\n";
  };
  line(header);
  for (const auto& row : table) line(row);
  return out;
}

}  // namespace gw::audit
