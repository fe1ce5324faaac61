#pragma once

#include <chrono>

#include "core/clock.hpp"

namespace gw::test {

// A clock that moves only when the test says so.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t epoch_seconds = 1'700'000'000)
      : now_(std::chrono::system_clock::time_point(std::chrono::seconds(epoch_seconds))) {}
  std::chrono::system_clock::time_point now() const noexcept override { return now_; }
  void advance(std::chrono::milliseconds d) noexcept { now_ += d; }
  void set_seconds(std::int64_t s) noexcept {
    now_ = std::chrono::system_clock::time_point(std::chrono::seconds(s));
  }

 private:
  std::chrono::system_clock::time_point now_;
};

}  // namespace gw::test
