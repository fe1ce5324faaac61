#include <array>

#include "route/route.hpp"

namespace gw::route {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error invalid(std::string detail) { return make_error(Reason::InvalidPath, std::move(detail)); }

// RFC 3986 unreserved and sub-delims, ':', '@' and '/': path bytes sent upstream unescaped.
constexpr auto kPathByteKept = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (unsigned char c : std::string_view("-._~/!$&'()*+,;=:@")) table[c] = true;
  return table;
}();

// Kept bytes other than ';': a path of these alone is already normalised unless it has "//"
// or "/." (';' starts a parameter that some backends strip, so it takes the full check).
constexpr auto kPlainPathByte = [] {
  auto table = kPathByteKept;
  table[';'] = false;
  return table;
}();

// RFC 3986 unreserved: an escape of one of these is decoded, as is one of a byte >= 0x80.
constexpr auto kDecodedEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (unsigned char c : std::string_view("-._~")) table[c] = true;
  for (int c = 0x80; c < 0x100; ++c) table[c] = true;
  return table;
}();

constexpr std::string_view kEncodedSlash = "an encoded slash (%2F) in the path";
constexpr std::string_view kBackslash = "a backslash (\\ or %5C) in the path";
constexpr std::string_view kDoubleEncoded =
    "a double-encoded character (%25 followed by two hex digits) in the path";
constexpr std::string_view kDotWithParams =
    "a path segment that is \".\" or \"..\" once its ;parameters are removed";
constexpr std::string_view kBadUtf8 = "bytes in the path that are not well-formed UTF-8";

void push_escape(std::string& out, unsigned char c) {
  out.push_back('%');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 15]);
}

// RFC 3629 well-formed UTF-8: no overlong form (%C0%AE for '.'), surrogate or value past
// U+10FFFF, which lenient decoders turn into ASCII or worse.
bool is_well_formed_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < lo || second > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if (next < 0x80 || next > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

// Where the segment's ;parameters start (';' or %3B), npos when it has none.
std::size_t params_start(std::string_view segment) {
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == ';') return i;
    if (segment.substr(i, 3) == "%3B") return i;
  }
  return std::string_view::npos;
}

// "..;x", ".;", "..%3B": not a dot segment to us, ".." to a backend that strips parameters.
bool is_dot_once_params_removed(std::string_view segment) {
  const std::size_t dots = segment.find_first_not_of('.');
  return (dots == 1 || dots == 2) && params_start(segment) == dots;
}

// Decodes the path's escapes into the normalised spelling (see NormalizedTarget).
Result<std::string> decode_path(std::string_view target, NormalizedTarget& out) {
  std::string decoded;
  decoded.reserve(target.size() + 8);
  bool has_percent = false;
  bool has_non_ascii = false;
  for (std::size_t i = 0; i < target.size(); ++i) {
    auto c = static_cast<unsigned char>(target[i]);
    const bool escaped = c == '%';
    if (escaped) {
      if (i + 2 >= target.size()) return invalid("truncated percent-escape in the path");
      const int hi = hex_value(target[i + 1]);
      const int lo = hex_value(target[i + 2]);
      if (hi < 0 || lo < 0) return invalid("bad percent-escape in the path");
      c = static_cast<unsigned char>(hi * 16 + lo);
      if (c == '\0') return invalid("encoded NUL in the path");
      i += 2;
    }
    if (c < 0x20 || c == 0x7f) return invalid("control characters are not allowed in the path");
    if (c == '\\' && out.strict_problem.empty()) out.strict_problem = kBackslash;
    if (c == '/' && escaped && out.strict_problem.empty()) out.strict_problem = kEncodedSlash;
    has_percent |= escaped && c == '%';
    has_non_ascii |= c >= 0x80;
    if (escaped ? kDecodedEscape[c] : kPathByteKept[c] || c >= 0x80) {
      decoded.push_back(static_cast<char>(c));
    } else {
      push_escape(decoded, c);
    }
  }
  if (has_percent && out.strict_problem.empty()) {
    // %252e forwarded as it is becomes "." to a backend that decodes twice.
    for (std::size_t p = decoded.find("%25"); p != std::string::npos;
         p = decoded.find("%25", p + 3)) {
      if (p + 4 < decoded.size() && hex_value(decoded[p + 3]) >= 0 &&
          hex_value(decoded[p + 4]) >= 0) {
        out.strict_problem = kDoubleEncoded;
        break;
      }
    }
  }
  if (has_non_ascii && out.strict_problem.empty() && !is_well_formed_utf8(decoded)) {
    out.strict_problem = kBadUtf8;
  }
  return decoded;
}

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

  auto decoded_or = decode_path(target, out);
  if (!decoded_or) return decoded_or.error();
  std::string decoded = std::move(*decoded_or);
  // Most of the rest have nothing to resolve: no dot segment, repeated slash or parameter can
  // hide in a path without "/.", "//", ';' and %3B.
  if (decoded.find("//") == std::string::npos && decoded.find("/.") == std::string::npos &&
      decoded.find(';') == std::string::npos && decoded.find("%3B") == std::string::npos) {
    out.path = std::move(decoded);
    return out;
  }
  if (decoded.find("//") != std::string::npos || decoded.find("/.") != std::string::npos) {
    out.raw_path = decoded;
  }

  // Split into segments, merge repeated slashes, resolve "." and "..".
  std::vector<std::string_view> segments;
  std::string_view rest = decoded;
  rest.remove_prefix(1);
  bool trailing_slash = false;
  bool has_params = false;
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
      if (out.strict_problem.empty() && is_dot_once_params_removed(seg)) {
        out.strict_problem = kDotWithParams;
      }
      has_params = has_params || params_start(seg) != std::string_view::npos;
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
  if (has_params) {
    out.path_without_params = "/";
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (i) out.path_without_params += '/';
      out.path_without_params += segments[i].substr(0, params_start(segments[i]));
    }
    if (trailing_slash) out.path_without_params += '/';
  }
  return out;
}

std::string encode_path(std::string_view path) {
  // A normalised path's '%' always starts an escape, which is kept as it is.
  const auto is_kept = [](unsigned char c) { return kPathByteKept[c] || c == '%'; };
  std::size_t kept = 0;
  while (kept < path.size() && is_kept(static_cast<unsigned char>(path[kept]))) ++kept;
  std::string out(path.substr(0, kept));
  if (kept == path.size()) return out;
  out.reserve(path.size() + 16);
  for (unsigned char c : path.substr(kept)) {
    if (is_kept(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      push_escape(out, c);
    }
  }
  return out;
}

}  // namespace gw::route
