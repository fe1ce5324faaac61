#include "core/strings.hpp"

#include <array>

namespace gw {
namespace {

constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

}  // namespace

bool iequals_same_size(const char* a, const char* b, std::size_t size) noexcept {
  for (std::size_t i = 0; i < size; ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

bool is_safe_header_value(std::string_view value) noexcept {
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

std::string sanitize_header_value(std::string_view value) {
  value = trim(value);
  if (is_safe_header_value(value)) return std::string(value);  // the common case: one copy
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) continue;
    out.push_back(static_cast<char>(c));
  }
  return std::string(trim(out));
}

bool is_token(std::string_view s) noexcept {
  // RFC 9110 tchar, by table: field names are checked on every request.
  static constexpr auto kToken = [] {
    std::array<bool, 256> table{};
    for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) table[c] = true;
    for (int c = '0'; c <= '9'; ++c) table[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
    return table;
  }();
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!kToken[c]) return false;
  }
  return true;
}

}  // namespace gw
