#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/record.hpp"
#include "audit/sink.hpp"

namespace gw::audit::test {

// How long any wait in these tests may take before the test fails: far above what a loaded
// machine or a sanitizer build needs, far below the ctest timeout.
inline constexpr std::chrono::seconds kWaitLimit{30};

// Spins (yielding, never sleeping) until `done()` holds; fails after kWaitLimit.
template <class Pred>
[[nodiscard]] ::testing::AssertionResult spin_until(Pred done, std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return ::testing::AssertionFailure()
             << "timed out after " << kWaitLimit.count() << " s waiting until " << what;
    }
    std::this_thread::yield();
  }
  return ::testing::AssertionSuccess();
}

// The result of a task running on another thread, which must finish within kWaitLimit. When it
// does not, the test fails and the process ends: the task still refers to the test's locals, so
// the test can neither return nor wait longer.
template <class T>
T get_within(std::future<T>& future, std::string_view what) {
  if (future.wait_for(kWaitLimit) != std::future_status::ready) {
    ADD_FAILURE() << what << " did not finish within " << kWaitLimit.count() << " s";
    std::fflush(stdout);
    std::_Exit(EXIT_FAILURE);
  }
  return future.get();
}

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gw-audit-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A value for each field that no other field holds and that names its field: "<name>=value" for
// text, for integers a large number built from the field's id (negative for every other field).
inline std::string distinct_text(FieldId id) { return std::string(field(id).name) + "=value"; }
inline std::int64_t distinct_number(FieldId id) {
  const auto i = static_cast<std::int64_t>(field_index(id));
  return (i % 2 ? -1 : 1) * ((i + 1) << 40 | (i + 1));
}
inline Entry entry_with_distinct_fields() {
  Entry e;
  for (const Field& f : fields()) {
    if (f.number != nullptr) {
      e.*f.number = distinct_number(f.id);
    } else {
      e.*f.text = distinct_text(f.id);
    }
  }
  return e;
}

// An in-memory sink whose writes can be held back (gate closed) or made to fail.
class FakeSink final : public Sink {
 public:
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Entry> stored;
    bool gate_open = true;
    bool fail = false;
    int writes_entered = 0;
    int failures = 0;
    std::vector<std::size_t> batch_sizes;  // entries per successful write, in order
    // sync(): held while sync_gate_open is false; fails while sync_fail is set. durable counts
    // the entries stored before the last successful sync began.
    bool sync_gate_open = true;
    bool sync_fail = false;
    int syncs_entered = 0;
    int sync_failures = 0;
    std::size_t durable = 0;
    // Read by the writer: set before AuditLog::start.
    std::size_t batch_max = 1000;
    std::chrono::milliseconds flush_interval{1};
  };

  explicit FakeSink(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::string_view name() const noexcept override { return "fake"; }
  std::size_t batch_max() const noexcept override { return state_->batch_max; }
  std::chrono::milliseconds flush_interval() const noexcept override {
    return state_->flush_interval;
  }
  Result<Head> open(const std::string&) override { return Head{}; }
  Result<void> write(std::span<const Entry> entries) override {
    std::unique_lock lock(state_->mutex);
    ++state_->writes_entered;
    state_->changed.notify_all();
    if (!state_->changed.wait_for(lock, kWaitLimit, [&] { return state_->gate_open; })) {
      ADD_FAILURE() << "the fake sink's write gate stayed closed for " << kWaitLimit.count()
                    << " s: the test never opened it";
      state_->gate_open = true;  // so that the writer, and the test's teardown, do not wait again
    }
    if (state_->fail) {
      ++state_->failures;
      state_->changed.notify_all();
      return make_error(Reason::AuditUnavailable, "disk on fire", Origin::Internal);
    }
    state_->stored.insert(state_->stored.end(), entries.begin(), entries.end());
    state_->batch_sizes.push_back(entries.size());
    state_->changed.notify_all();
    return {};
  }
  Result<void> sync() override {
    std::unique_lock lock(state_->mutex);
    const std::size_t stored = state_->stored.size();
    ++state_->syncs_entered;
    state_->changed.notify_all();
    if (!state_->changed.wait_for(lock, kWaitLimit, [&] { return state_->sync_gate_open; })) {
      ADD_FAILURE() << "the fake sink's sync gate stayed closed for " << kWaitLimit.count()
                    << " s: the test never opened it";
      state_->sync_gate_open =
          true;  // so that the writer, and the test's teardown, do not wait again
    }
    if (state_->sync_fail) {
      ++state_->sync_failures;
      state_->changed.notify_all();
      return make_error(Reason::AuditUnavailable, "flush failed", Origin::Internal);
    }
    state_->durable = std::max(state_->durable, stored);
    state_->changed.notify_all();
    return {};
  }

 private:
  std::shared_ptr<State> state_;
};

inline void set_sync_gate(FakeSink::State& s, bool open) {
  std::lock_guard lock(s.mutex);
  s.sync_gate_open = open;
  s.changed.notify_all();
}

inline void set_gate(FakeSink::State& s, bool open) {
  std::lock_guard lock(s.mutex);
  s.gate_open = open;
  s.changed.notify_all();
}

// Waits until `pred` holds (checked under the state's mutex, on each change); fails after
// kWaitLimit. Use as ASSERT_TRUE(wait_for(...)).
template <class Pred>
[[nodiscard]] ::testing::AssertionResult wait_for(FakeSink::State& s, Pred pred) {
  std::unique_lock lock(s.mutex);
  if (s.changed.wait_for(lock, kWaitLimit, pred)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "the fake sink did not reach the awaited state within " << kWaitLimit.count() << " s";
}

}  // namespace gw::audit::test
