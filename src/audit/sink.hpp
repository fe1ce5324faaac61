#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "audit/audit.hpp"
#include "audit/chain.hpp"
#include "audit/record.hpp"
#include "core/result.hpp"

namespace gw::audit {

// Where entries are stored. Called only from the audit writer thread (or at startup and by
// the CLI): implementations may block.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string_view name() const noexcept = 0;
  // Opens the store (creating its schema) and returns the head of this instance's chain.
  virtual Result<Head> open(const std::string& instance_id) = 0;
  // Stores the entries durably (committed / fsync'd) before returning, all or none.
  virtual Result<void> write(std::span<const Entry> entries) = 0;
  // Group commit across the disk flush. commit() stores the entries, all or none, after every
  // entry committed before, but may return before they reach the disk; sync() makes everything
  // committed before it was called durable. The writer thread commits the next batch while
  // another thread runs sync() for the previous ones (sync may run during commit). By default
  // commit() is the durable write() and sync() has nothing left to do.
  virtual Result<void> commit(std::span<const Entry> entries) { return write(entries); }
  virtual Result<void> sync() { return {}; }
  virtual std::size_t batch_max() const noexcept { return 256; }
  virtual std::chrono::milliseconds flush_interval() const noexcept {
    return std::chrono::milliseconds(50);
  }
};

SinkPtr make_sqlite_sink(const SqliteConfig& config);
SinkPtr make_jsonl_sink(const JsonlConfig& config, ClockSharedPtr clock);
SinkPtr make_postgres_sink(const PostgresConfig& config);

// Every entry in storage order (blocking; verify and tests).
Result<std::vector<Entry>> read_sqlite(const std::string& path);
Result<std::vector<Entry>> read_jsonl(const std::string& path);  // rotated files first
Result<std::vector<Entry>> read_postgres(const std::string& url);

// The files of a JSON Lines log in order: rotated "<path>.<UTC time>" files, then <path>.
std::vector<std::string> jsonl_files(const std::string& path);

}  // namespace gw::audit
