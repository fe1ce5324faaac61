#pragma once

#include <chrono>
#include <memory>

namespace gw {

// Wall-clock time, injectable so that token expiry and cache ageing are testable without sleeps.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const noexcept = 0;
  std::int64_t now_seconds() const noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
};
using ClockSharedPtr = std::shared_ptr<const Clock>;

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const noexcept override {
    return std::chrono::system_clock::now();
  }
};

ClockSharedPtr system_clock();

}  // namespace gw
