#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gw {

// ASCII case-insensitive equality, as HTTP header names and auth schemes compare. Inline so
// that the common answer, different lengths, costs no call.
bool iequals_same_size(const char* a, const char* b, std::size_t size) noexcept;
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && iequals_same_size(a.data(), b.data(), a.size());
}
std::string to_lower(std::string_view s);
// Without surrounding spaces and tabs (HTTP's OWS). Inline: header values are trimmed on every
// request.
inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
std::string join(const std::vector<std::string>& parts, std::string_view separator);
// True when the value holds no byte that could split or forge an HTTP header (CR, LF, NUL and
// other controls except horizontal tab).
bool is_safe_header_value(std::string_view value) noexcept;
// Removes control characters so a claim can be placed in a header without splitting it.
std::string sanitize_header_value(std::string_view value);
// Reads an RFC 7230 token (header name, method) strictly.
bool is_token(std::string_view s) noexcept;

// Hash for std::unordered_map<std::string, T, StringHash, std::equal_to<>>: lookups by
// string_view, without building a std::string.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

}  // namespace gw
