#pragma once

// What every fuzz target shares: the input as a string_view and a property check that aborts,
// so that libFuzzer (and the replay driver under ctest) report a broken invariant as a crash
// with the input that caused it.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace gw::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void property_failed(const char* what, const char* file, int line) noexcept {
  std::fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
  std::abort();
}

}  // namespace gw::fuzz

#define GW_FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::gw::fuzz::property_failed(#condition, __FILE__, __LINE__))
