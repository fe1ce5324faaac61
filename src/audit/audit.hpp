#pragma once

// Audit layer: one tamper-evident record per request, hash-chained per instance, with signed
// checkpoints, written by a background thread to SQLite, JSON Lines and/or PostgreSQL.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/config_reader.hpp"
#include "core/result.hpp"
#include "core/stage.hpp"

namespace gw::audit {

enum class Mode {
  BestEffort,  // never blocks or rejects traffic; drops are counted and logged
  FailClosed,  // rejects when the record cannot be taken; a response ends only once its
               // record is durable in every sink
};

struct SqliteConfig {
  std::string path;
  std::size_t batch_max = 256;
  std::chrono::milliseconds flush_interval{50};
};

struct JsonlConfig {
  std::string path;
  std::uint64_t max_bytes = 100ull << 20;
  std::chrono::milliseconds max_age{std::chrono::hours(24)};
};

struct PostgresConfig {
  std::string url;
  std::size_t batch_max = 256;
  std::chrono::milliseconds flush_interval{50};
};

struct AuditConfig {
  bool enabled = true;
  Mode mode = Mode::BestEffort;
  std::string instance_id;  // default: the host name
  std::size_t queue_capacity = 10000;
  std::string signing_key_file;          // Ed25519 PKCS#8 PEM; generated (0600) when missing
  std::int64_t checkpoint_every = 1000;  // records; 0 = off
  std::chrono::milliseconds checkpoint_interval{10'000};  // 0 = off
  // How long a commit nobody waits for (best_effort) may stay unsynced: the syncer flushes the
  // sinks at once for a durability waiter (fail_closed), otherwise at most once per interval.
  // 0 = after every commit.
  std::chrono::milliseconds sync_interval{1000};
  std::optional<SqliteConfig> sqlite;
  std::optional<JsonlConfig> jsonl;
  std::optional<PostgresConfig> postgres;
};

// Reads the `audit:` mapping. Relative paths are resolved against base_dir. Problems are
// recorded in map.problems(). Without any sink, SQLite at <base_dir>/gatewaystack-audit.sqlite.
AuditConfig parse_config(config::Map& map, const std::string& base_dir);

class Sink;
using SinkPtr = std::unique_ptr<Sink>;

// The audit log: a bounded queue in front of one writer thread that chains, checkpoints and
// writes entries to every sink. Thread-safe.
class AuditLog {
 public:
  struct Impl;

  // Opens the sinks named in the config and loads or creates the signing key. Blocking:
  // call at startup, not on an I/O thread.
  static Result<std::shared_ptr<AuditLog>> create(AuditConfig config,
                                                  ClockSharedPtr clock = system_clock());
  // With explicit sinks (tests, embedding).
  static Result<std::shared_ptr<AuditLog>> create(AuditConfig config, std::vector<SinkPtr> sinks,
                                                  ClockSharedPtr clock = system_clock());
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Reads each sink's chain head, writes the segment_start checkpoint and starts the writer.
  Result<void> start();
  // Drains the queue, writes a shutdown checkpoint, flushes every sink and joins the writer.
  void stop();

  Mode mode() const noexcept;
  const std::string& instance_id() const noexcept;
  std::string public_key_pem() const;
  // Entries accepted and not yet durable everywhere; dropped records since start.
  std::size_t queue_depth() const noexcept;
  std::uint64_t dropped() const noexcept;

  Impl& impl() noexcept { return *impl_; }

 private:
  explicit AuditLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};
using AuditLogSharedPtr = std::shared_ptr<AuditLog>;

// The pipeline stage: opens the record on arrival, submits it when the response finishes.
StagePtr make_stage(AuditLogSharedPtr log);

// Outcome of checking a stored log.
struct VerifyReport {
  bool ok = false;
  std::uint64_t records = 0;      // request records checked
  std::uint64_t checkpoints = 0;  // checkpoints checked
  std::uint64_t instances = 0;
  std::uint64_t unsigned_tail = 0;  // records after the last checkpoint (only hash-chained)
  bool signatures_checked = false;
  // First problem: "modified" | "deleted" | "inserted" | "reordered" | "bad_signature" |
  // "unreadable"
  std::string problem;
  std::string instance_id;
  std::int64_t seq = 0;        // sequence number of the first bad entry
  std::uint64_t position = 0;  // 1-based position in storage order
  std::string message;
};

// public_key_pem: SubjectPublicKeyInfo PEM of the Ed25519 key; empty = signatures unchecked.
// Blocking (reads the whole log).
VerifyReport verify_sqlite(const std::string& path, const std::string& public_key_pem = {});
VerifyReport verify_jsonl(const std::string& path, const std::string& public_key_pem = {});
VerifyReport verify_postgres(const std::string& url, const std::string& public_key_pem = {});

struct QueryOptions {
  std::string user;                      // user_id or email
  std::string model;                     // model or MCP tool
  std::string decision;                  // allow | deny | shadow_deny
  std::optional<std::int64_t> since_ms;  // time_ms >= since_ms
  std::int64_t limit = 100;
};

struct QueryRow {
  std::int64_t time_ms = 0;
  std::string instance_id, request_id, user_id, email, method, path, route, model, decision, reason;
  std::int64_t status = 0, input_tokens = 0, output_tokens = 0, cost_micro_usd = 0, latency_us = 0;
};

// Request records, newest first.
Result<std::vector<QueryRow>> query_sqlite(const std::string& path, const QueryOptions& options);
Result<std::vector<QueryRow>> query_postgres(const std::string& url, const QueryOptions& options);
// "table" | "json" | "csv".
std::string format_rows(const std::vector<QueryRow>& rows, std::string_view format);

}  // namespace gw::audit
