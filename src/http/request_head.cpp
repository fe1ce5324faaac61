#include "http/request_head.hpp"

#include <array>
#include <cstring>

#include "core/strings.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gw::http {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

// RFC 9110 tchar: the characters of a token (methods, field names, coding names).
constexpr auto kToken = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  return table;
}();

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!kToken[c]) return false;
  }
  return true;
}

// The first control character (below 0x20, or DEL) in [p, end), or end.
const char* find_control(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i below = _mm_set1_epi8(0x1f);
  const __m128i del = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // min(x, 0x1f) == x exactly when x <= 0x1f, unsigned.
    const __m128i control =
        _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(bytes, below), bytes), _mm_cmpeq_epi8(bytes, del));
    if (const int mask = _mm_movemask_epi8(control)) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == 0x7f) return p;
  }
  return end;
}

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls `each` with every element of a comma-separated list, whitespace trimmed; empty
// elements included (the caller decides whether they are allowed).
template <class Each>
void for_each_element(std::string_view list, Each each) {
  for (;;) {
    const auto comma = list.find(',');
    each(trim_ows(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

bool parse_decimal(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

// Where the head that starts at data[0] ends (one past its empty line), searching from
// `from`; 0 when it is not complete yet. An empty line ended by a bare LF also ends it, so
// that such a head is answered (bad_line_ending) rather than waited for.
std::size_t find_head_end(std::string_view data, std::size_t from) noexcept {
  std::size_t at = from;
  while (at < data.size()) {
    const void* lf = std::memchr(data.data() + at, '\n', data.size() - at);
    if (lf == nullptr) return 0;
    const std::size_t i = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
    if (i + 1 < data.size() && data[i + 1] == '\n') return i + 2;
    if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n') return i + 3;
    if (i + 2 >= data.size()) return 0;  // the next line has not arrived yet
    at = i + 1;
  }
  return 0;
}

}  // namespace

RequestHead::RequestHead(Limits limits) : limits_(limits) { text_.reserve(1024); }

void RequestHead::reset() noexcept {
  text_.clear();
  scanned_ = 0;
  method_ = target_ = {};
  version_ = 11;
  fields_.clear();
  keep_alive_ = true;
  chunked_ = false;
  content_length_.reset();
}

std::string_view RequestHead::value(std::string_view name) const noexcept {
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) return f.value;
  }
  return {};
}

std::size_t RequestHead::parse(std::string_view data, error_code& ec) {
  std::size_t skipped = 0;
  while (data.size() - skipped >= 2 && data[skipped] == '\r' && data[skipped + 1] == '\n') {
    skipped += 2;
  }
  const std::string_view rest = data.substr(skipped);
  // A line end found in the last three bytes may not have been decided yet.
  const std::size_t from = scanned_ > 3 ? scanned_ - 3 : 0;
  const std::size_t end = find_head_end(rest, from);
  if (end == 0) {
    // Not complete: the empty lines before it count towards the limit, or a client could
    // make the buffer grow without bound by sending nothing else.
    scanned_ = rest.size();
    ec = data.size() > limits_.max_head_bytes ? error_code(bhttp::error::header_limit)
                                              : error_code(bhttp::error::need_more);
    return 0;
  }
  if (skipped + end > limits_.max_head_bytes) {
    ec = bhttp::error::header_limit;
    return 0;
  }
  text_.assign(rest.data(), end);
  if (!parse_head(text_, ec)) return 0;
  ec = {};
  return skipped + end;
}

bool RequestHead::parse_head(std::string_view head, error_code& ec) {
  if (!parse_request_line(head, ec)) return false;
  while (!(head.size() >= 2 && head[0] == '\r' && head[1] == '\n')) {
    if (head.empty() || head[0] == '\n') {
      ec = bhttp::error::bad_line_ending;
      return false;
    }
    if (!parse_field_line(head, ec)) return false;
  }
  return apply_framing(ec);
}

bool RequestHead::parse_request_line(std::string_view& rest, error_code& ec) {
  const char* end = find_control(rest.data(), rest.data() + rest.size());
  if (end + 1 >= rest.data() + rest.size() || end[0] != '\r' || end[1] != '\n') {
    // A control character inside the line (a tab, say) is taken as part of the target.
    ec = end < rest.data() + rest.size() && end[0] != '\r' && end[0] != '\n'
             ? error_code(bhttp::error::bad_target)
             : error_code(bhttp::error::bad_line_ending);
    return false;
  }
  const std::string_view line(rest.data(), static_cast<std::size_t>(end - rest.data()));
  rest.remove_prefix(line.size() + 2);

  const auto first_space = line.find(' ');
  const auto last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    ec = bhttp::error::bad_version;
    return false;
  }
  method_ = line.substr(0, first_space);
  if (!is_token(method_)) {
    ec = bhttp::error::bad_method;
    return false;
  }
  target_ = line.substr(first_space + 1, last_space - first_space - 1);
  if (target_.empty()) {
    ec = bhttp::error::bad_target;
    return false;
  }
  for (unsigned char c : target_) {
    if (c <= 0x20 || c >= 0x7f) {  // a space, or anything outside visible ASCII
      ec = bhttp::error::bad_target;
      return false;
    }
  }
  const std::string_view version = line.substr(last_space + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[5] != '1' ||
      version[6] != '.' || version[7] < '0' || version[7] > '9') {
    ec = bhttp::error::bad_version;
    return false;
  }
  version_ = version[7] == '0' ? 10 : 11;  // 1.x above 1.1 is answered as 1.1 (RFC 9110 2.5)
  return true;
}

bool RequestHead::parse_field_line(std::string_view& rest, error_code& ec) {
  if (is_ows(rest.front())) {
    ec = bhttp::error::bad_obs_fold;  // a continuation line: RFC 9112 5.2 lets a server refuse
    return false;
  }
  // A colon past the line's end leaves the line end, which is no tchar, in the name.
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos || !is_token(rest.substr(0, colon))) {
    ec = bhttp::error::bad_field;  // no name, or whitespace or other bytes in it
    return false;
  }
  const std::string_view name = rest.substr(0, colon);
  const char* p = rest.data() + colon + 1;
  const char* const last = rest.data() + rest.size();
  for (;;) {
    p = find_control(p, last);
    if (p == last) {
      ec = bhttp::error::bad_line_ending;
      return false;
    }
    if (*p != '\t') break;
    ++p;
  }
  if (*p != '\r' || p + 1 == last || p[1] != '\n') {
    ec = *p == '\r' || *p == '\n' ? error_code(bhttp::error::bad_line_ending)
                                  : error_code(bhttp::error::bad_value);
    return false;
  }
  const char* value_at = rest.data() + colon + 1;
  fields_.push_back(
      {name, trim_ows(std::string_view(value_at, static_cast<std::size_t>(p - value_at)))});
  rest.remove_prefix(static_cast<std::size_t>(p + 2 - rest.data()));
  return true;
}

bool RequestHead::apply_framing(error_code& ec) {
  bool close = false;
  bool keep_alive = false;
  bool has_transfer_encoding = false;
  int codings = 0;
  bool chunked_last = false;
  for (const auto& f : fields_) {
    if (iequals(f.name, "content-length")) {
      bool ok = true;
      for_each_element(f.value, [&](std::string_view element) {
        std::uint64_t n = 0;
        if (!parse_decimal(element, n)) {
          ok = false;
        } else if (content_length_ && *content_length_ != n) {
          ec = bhttp::error::multiple_content_length;
        } else {
          content_length_ = n;
        }
      });
      if (!ok) ec = bhttp::error::bad_content_length;
      if (ec) return false;
    } else if (iequals(f.name, "transfer-encoding")) {
      has_transfer_encoding = true;
      for_each_element(f.value, [&](std::string_view element) {
        if (element.empty()) return;  // RFC 9110 5.6.1: empty list elements are ignored
        ++codings;
        chunked_last = iequals(element, "chunked");
      });
    } else if (iequals(f.name, "connection")) {
      for_each_element(f.value, [&](std::string_view element) {
        if (iequals(element, "close")) close = true;
        if (iequals(element, "keep-alive")) keep_alive = true;
      });
    }
  }
  if (has_transfer_encoding) {
    // Only "chunked", alone: anything else would leave the end of the body to a guess, and a
    // Content-Length beside it is the classic request-smuggling shape (RFC 9112 6.1).
    if (codings != 1 || !chunked_last || content_length_ || version_ == 10) {
      ec = bhttp::error::bad_transfer_encoding;
      return false;
    }
    chunked_ = true;
  }
  if (content_length_ && *content_length_ > limits_.max_body_bytes) {
    ec = bhttp::error::body_limit;
    return false;
  }
  keep_alive_ = version_ == 11 ? !close : keep_alive && !close;
  return true;
}

}  // namespace gw::http
