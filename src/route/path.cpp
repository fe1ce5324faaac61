#include <array>

#include "route/route.hpp"

namespace gw::route {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error invalid(std::string detail) { return make_error(Reason::InvalidPath, std::move(detail)); }

// Printable ASCII other than '%' and backslash: bytes a path can hold without being decoded or
// refused.
constexpr auto kPlainPathByte = [] {
  std::array<bool, 256> table{};
  for (int c = 0x21; c < 0x7f; ++c) table[c] = c != '%' && c != '\\';
  return table;
}();

// RFC 3986 unreserved and sub-delims, ':', '@' and '/': path bytes sent upstream unescaped.
constexpr auto kPathByteKept = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (unsigned char c : std::string_view("-._~/!$&'()*+,;=:@")) table[c] = true;
  return table;
}();

}  // namespace

Result<NormalizedTarget> normalize_target(std::string_view target) {
  NormalizedTarget out;
  // absolute-form: keep only path and query; the authority never selects anything.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size()) {
      bool same = true;
      for (std::size_t i = 0; i < scheme.size() && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(target[i])) == scheme[i];
      }
      if (same) {
        target.remove_prefix(scheme.size());
        const auto slash = target.find_first_of("/?");
        target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
        if (!target.empty() && target.front() == '?') return invalid("the path must start with /");
        break;
      }
    }
  }
  if (target.empty() || target.front() != '/') return invalid("the path must start with /");
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    out.query = std::string(target.substr(q + 1));
    target = target.substr(0, q);
  }
  if (const auto f = target.find('#'); f != std::string_view::npos) target = target.substr(0, f);

  // Most paths are plain: nothing to decode, refuse or resolve, so they are copied as they are.
  bool plain = true;
  for (const char c : target) {
    if (!kPlainPathByte[static_cast<unsigned char>(c)]) {
      plain = false;
      break;
    }
  }
  if (plain && target.find("//") == std::string_view::npos &&
      target.find("/.") == std::string_view::npos) {
    out.path = std::string(target);
    return out;
  }

  std::string decoded;
  decoded.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) {
        return invalid("truncated percent-escape in the path");
      }
      const int hi = hex_value(target[i + 1]);
      const int lo = hex_value(target[i + 2]);
      if (hi < 0 || lo < 0) return invalid("bad percent-escape in the path");
      c = static_cast<char>(hi * 16 + lo);
      if (c == '/' || c == '\\') return invalid("encoded slashes are not allowed in the path");
      if (c == '\0') return invalid("encoded NUL in the path");
      i += 2;
    } else if (c == '\\') {
      return invalid("backslashes are not allowed in the path");
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return invalid("control characters are not allowed in the path");
    }
    decoded.push_back(c);
  }
  // Most paths have nothing to resolve: no "." or ".." segment and no repeated slash can hide
  // in a path without "/." and "//".
  if (decoded.find("//") == std::string::npos && decoded.find("/.") == std::string::npos) {
    out.path = std::move(decoded);
    return out;
  }
  out.raw_path = decoded;

  // Split into segments, merge repeated slashes, resolve "." and "..".
  std::vector<std::string_view> segments;
  std::string_view rest = decoded;
  rest.remove_prefix(1);
  bool trailing_slash = false;
  while (true) {
    const auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (seg == ".") {
      out.had_dot_segments = true;
      trailing_slash = last;
    } else if (seg == "..") {
      out.had_dot_segments = true;
      if (segments.empty()) return invalid("the path climbs above the root");
      segments.pop_back();
      trailing_slash = last;
    } else if (!seg.empty()) {
      segments.push_back(seg);
      trailing_slash = false;
    } else {
      trailing_slash = last && !segments.empty();
    }
    if (last) break;
    rest.remove_prefix(slash + 1);
  }
  out.path = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i) out.path += '/';
    out.path += segments[i];
  }
  if (trailing_slash && !segments.empty()) out.path += '/';
  return out;
}

std::string encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t kept = 0;
  while (kept < path.size() && kPathByteKept[static_cast<unsigned char>(path[kept])]) ++kept;
  std::string out(path.substr(0, kept));
  if (kept == path.size()) return out;
  out.reserve(path.size() + 16);
  for (unsigned char c : path.substr(kept)) {
    if (kPathByteKept[c]) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace gw::route
