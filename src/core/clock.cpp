#include "core/clock.hpp"

namespace gw {

ClockSharedPtr system_clock() {
  static const auto clock = std::make_shared<const SystemClock>();
  return clock;
}

}  // namespace gw
