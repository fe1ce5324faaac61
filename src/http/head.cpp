#include "http/head.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "core/strings.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gw::http {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

// Heads are parsed in a copy followed by this many spare bytes, so that find_control reads 16
// bytes at a time up to the end of a line without a byte-by-byte tail.
constexpr std::size_t kPadding = 16;

// Copies `head` into `text` followed by the spare bytes; returns the copy, without them.
std::string_view copy_head(std::string_view head, std::string& text) {
  text.assign(head.data(), head.size());
  text.append(kPadding, '\0');
  return {text.data(), head.size()};
}

// The first control character (below 0x20, or DEL) in [p, end), or end. Reads up to 15 bytes
// past `end`.
const char* find_control(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i below = _mm_set1_epi8(0x1f);
  const __m128i del = _mm_set1_epi8(0x7f);
  for (; p < end; p += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // min(x, 0x1f) == x exactly when x <= 0x1f, unsigned.
    const __m128i control =
        _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(bytes, below), bytes), _mm_cmpeq_epi8(bytes, del));
    if (const int mask = _mm_movemask_epi8(control)) return std::min(p + __builtin_ctz(mask), end);
  }
  return end;
#else
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == 0x7f) return p;
  }
  return end;
#endif
}

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// Calls `each` with every element of a comma-separated list, whitespace trimmed; empty
// elements included (the caller decides whether they are allowed).
template <class Each>
void for_each_element(std::string_view list, Each each) {
  for (;;) {
    const auto comma = list.find(',');
    each(trim(list.substr(0, comma)));
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

// Finds the head at the start of `data`, searching on from where the last call stopped
// (`scanned`); returns its size, or 0 with need_more or header_limit. `before` counts bytes
// the caller skipped ahead of `data`, which count towards the limit too.
std::size_t locate_head(std::string_view data, std::size_t before, std::size_t limit,
                        std::size_t& scanned, error_code& ec) noexcept {
  // A line end found in the last three bytes may not have been decided yet.
  const std::size_t from = scanned > 3 ? scanned - 3 : 0;
  const std::size_t end = find_head_end(data, from);
  if (end == 0) {
    // Not complete: without a limit here a client could make the buffer grow without bound.
    scanned = data.size();
    ec = before + data.size() > limit ? error_code(bhttp::error::header_limit)
                                      : error_code(bhttp::error::need_more);
    return 0;
  }
  if (before + end > limit) {
    ec = bhttp::error::header_limit;
    return 0;
  }
  return end;
}

// The end of a start line: its control character must be the CR of a CRLF. Returns the line
// and moves `rest` past it; false with bad_line_ending, or `inner` for any other control
// character in the line.
bool take_start_line(std::string_view& rest, std::string_view& line, error_code inner,
                     error_code& ec) noexcept {
  const char* const last = rest.data() + rest.size();
  const char* end = find_control(rest.data(), last);
  if (end + 1 >= last || end[0] != '\r' || end[1] != '\n') {
    ec = end < last && end[0] != '\r' && end[0] != '\n' ? inner
                                                        : error_code(bhttp::error::bad_line_ending);
    return false;
  }
  line = std::string_view(rest.data(), static_cast<std::size_t>(end - rest.data()));
  rest.remove_prefix(line.size() + 2);
  return true;
}

// Calls `each(name, value)` for every field line of `rest` (what follows the start line, up to
// and including the empty line).
template <class Each>
bool parse_fields(std::string_view rest, error_code& ec, Each each) {
  for (;;) {
    if (rest.size() >= 2 && rest[0] == '\r' && rest[1] == '\n') return true;
    if (rest.empty() || rest[0] == '\n') {
      ec = bhttp::error::bad_line_ending;
      return false;
    }
    if (is_ows(rest.front())) {
      ec = bhttp::error::bad_obs_fold;  // a continuation line: RFC 9112 5.2 lets us refuse it
      return false;
    }
    // A colon past the line's end leaves the line end, which is no tchar, in the name.
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos || !is_token(rest.substr(0, colon))) {
      ec = bhttp::error::bad_field;  // no name, or whitespace or other bytes in it
      return false;
    }
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
    each(rest.substr(0, colon),
         trim(std::string_view(value_at, static_cast<std::size_t>(p - value_at))));
    rest.remove_prefix(static_cast<std::size_t>(p + 2 - rest.data()));
  }
}

// Folds one Content-Length value ("42" or "42, 42") into `length`.
bool add_content_length(std::string_view value, std::optional<std::uint64_t>& length,
                        error_code& ec) {
  bool ok = true;
  for_each_element(value, [&](std::string_view element) {
    std::uint64_t n = 0;
    if (!parse_decimal(element, n)) {
      ok = false;
    } else if (length && *length != n) {
      ec = bhttp::error::multiple_content_length;
    } else {
      length = n;
    }
  });
  if (!ok) ec = bhttp::error::bad_content_length;
  return !ec;
}

// Connection tokens: close and keep-alive.
void read_connection(std::string_view value, bool& close, bool& keep_alive) {
  for_each_element(value, [&](std::string_view element) {
    if (iequals(element, "close")) close = true;
    if (iequals(element, "keep-alive")) keep_alive = true;
  });
}

// "HTTP/1.x": 10 or 11 (a later 1.x is answered as 1.1, RFC 9110 2.5), 0 otherwise.
unsigned parse_version(std::string_view version) noexcept {
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[5] != '1' ||
      version[6] != '.' || version[7] < '0' || version[7] > '9') {
    return 0;
  }
  return version[7] == '0' ? 10 : 11;
}

// Writes a head with `start_line` and the given framing into `out` and feeds it to `parser`.
template <bool isRequest>
void prime(std::string_view start_line, bool chunked, std::optional<std::uint64_t> length,
           bool close, bhttp::basic_parser<isRequest>& parser, error_code& ec) {
  std::array<char, 128> out;
  char* p = std::copy(start_line.begin(), start_line.end(), out.data());
  const auto add = [&p](std::string_view s) { p = std::copy(s.begin(), s.end(), p); };
  if (chunked) {
    add("Transfer-Encoding: chunked\r\n");
  } else if (length) {
    add("Content-Length: ");
    p = std::to_chars(p, out.data() + out.size(), *length).ptr;
    add("\r\n");
  }
  if (close) add("Connection: close\r\n");
  add("\r\n");
  ec = {};
  parser.put(boost::asio::buffer(out.data(), static_cast<std::size_t>(p - out.data())), ec);
}

}  // namespace

// ---- requests

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
  const std::size_t end =
      locate_head(data.substr(skipped), skipped, limits_.max_head_bytes, scanned_, ec);
  if (end == 0) return 0;
  if (!parse_head(copy_head(data.substr(skipped, end), text_), ec)) return 0;
  ec = {};
  return skipped + end;
}

bool RequestHead::parse_head(std::string_view head, error_code& ec) {
  std::string_view line;
  if (!take_start_line(head, line, bhttp::error::bad_target, ec)) return false;
  if (!parse_request_line(line, ec)) return false;
  bool close = false;
  bool keep_alive = false;
  bool has_transfer_encoding = false;
  int codings = 0;
  bool chunked_last = false;
  const bool fields_ok = parse_fields(head, ec, [&](std::string_view name, std::string_view value) {
    fields_.push_back({name, value});
    if (ec) return;
    if (iequals(name, "content-length")) {
      add_content_length(value, content_length_, ec);
    } else if (iequals(name, "transfer-encoding")) {
      has_transfer_encoding = true;
      for_each_element(value, [&](std::string_view element) {
        if (element.empty()) return;  // RFC 9110 5.6.1: empty list elements are ignored
        ++codings;
        chunked_last = iequals(element, "chunked");
      });
    } else if (iequals(name, "connection")) {
      read_connection(value, close, keep_alive);
    }
  });
  if (!fields_ok || ec) return false;
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

bool RequestHead::parse_request_line(std::string_view line, error_code& ec) {
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
  version_ = parse_version(line.substr(last_space + 1));
  if (version_ == 0) {
    ec = bhttp::error::bad_version;
    return false;
  }
  return true;
}

void prime_body_parser(const RequestHead& head, bhttp::basic_parser<true>& parser, error_code& ec) {
  prime<true>("POST / HTTP/1.1\r\n", head.chunked(), head.content_length().value_or(0), false,
              parser, ec);
}

// ---- responses

ResponseHead::ResponseHead(std::size_t max_head_bytes) : max_head_bytes_(max_head_bytes) {
  text_.reserve(512);
}

void ResponseHead::reset() noexcept {
  text_.clear();
  scanned_ = 0;
  status_ = 0;
  reason_ = {};
  fields_.clear();
  keep_alive_ = true;
  chunked_ = false;
  content_length_.reset();
}

std::string_view ResponseHead::value(bhttp::field id) const noexcept {
  for (const auto& f : fields_) {
    if (f.id == id) return f.value;
  }
  return {};
}

std::size_t ResponseHead::parse(std::string_view data, error_code& ec) {
  const std::size_t end = locate_head(data, 0, max_head_bytes_, scanned_, ec);
  if (end == 0) return 0;
  if (!parse_head(copy_head(data.substr(0, end), text_), ec)) return 0;
  ec = {};
  return end;
}

namespace {

// The fields the gateway acts on in a response: framing, hop-by-hop (RFC 9110 7.6.1),
// Content-Type and Content-Encoding. Names of one length share a case, so most fields cost one
// comparison or none.
bhttp::field classify_response_field(std::string_view name) noexcept {
  using bhttp::field;
  switch (name.size()) {
    case 2:
      if (iequals(name, "te")) return field::te;
      break;
    case 7:
      if (iequals(name, "trailer")) return field::trailer;
      if (iequals(name, "upgrade")) return field::upgrade;
      break;
    case 10:
      if (iequals(name, "connection")) return field::connection;
      if (iequals(name, "keep-alive")) return field::keep_alive;
      break;
    case 12:
      if (iequals(name, "content-type")) return field::content_type;
      break;
    case 14:
      if (iequals(name, "content-length")) return field::content_length;
      break;
    case 16:
      if (iequals(name, "proxy-connection")) return field::proxy_connection;
      if (iequals(name, "content-encoding")) return field::content_encoding;
      break;
    case 17:
      if (iequals(name, "transfer-encoding")) return field::transfer_encoding;
      break;
    case 18:
      if (iequals(name, "proxy-authenticate")) return field::proxy_authenticate;
      break;
    case 19:
      if (iequals(name, "proxy-authorization")) return field::proxy_authorization;
      break;
    default:
      break;
  }
  return field::unknown;
}

}  // namespace

bool ResponseHead::parse_head(std::string_view head, error_code& ec) {
  std::string_view line;
  if (!take_start_line(head, line, bhttp::error::bad_reason, ec)) return false;
  // HTTP/1.1 SP 3DIGIT SP reason; a missing SP before an empty reason is tolerated.
  const unsigned version = parse_version(line.substr(0, 8));
  if (version == 0 || line.size() < 12 || line[8] != ' ') {
    ec = bhttp::error::bad_version;
    return false;
  }
  const std::string_view code = line.substr(9, 3);
  for (char c : code) {
    if (c < '0' || c > '9') {
      ec = bhttp::error::bad_status;
      return false;
    }
  }
  status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (status_ < 100 || (line.size() > 12 && line[12] != ' ')) {
    ec = bhttp::error::bad_status;
    return false;
  }
  reason_ = line.size() > 13 ? line.substr(13) : std::string_view();

  bool close = false;
  bool keep_alive = false;
  bool has_transfer_encoding = false;
  bool chunked_last = false;
  const bool fields_ok = parse_fields(head, ec, [&](std::string_view name, std::string_view value) {
    const auto id = classify_response_field(name);
    fields_.push_back({id, name, value});
    if (ec) return;
    switch (id) {
      case bhttp::field::content_length:
        add_content_length(value, content_length_, ec);
        break;
      case bhttp::field::transfer_encoding:
        has_transfer_encoding = true;
        for_each_element(value, [&](std::string_view element) {
          if (!element.empty()) chunked_last = iequals(element, "chunked");
        });
        break;
      case bhttp::field::connection:
        read_connection(value, close, keep_alive);
        break;
      default:
        break;
    }
  });
  if (!fields_ok || ec) return false;
  if (has_transfer_encoding && content_length_) {
    ec = bhttp::error::bad_transfer_encoding;  // two framings: which one ends the body?
    return false;
  }
  // Without chunked last, a Transfer-Encoding body runs to the end of the connection (RFC
  // 9112 6.3).
  chunked_ = has_transfer_encoding && chunked_last;
  const bool to_eof = has_transfer_encoding && !chunked_last;
  keep_alive_ = !to_eof && (version == 11 ? !close : keep_alive && !close);
  return true;
}

void prime_body_parser(const ResponseHead& head, bool head_request, ResponseParser& parser,
                       error_code& ec) {
  std::array<char, 32> line{};
  char* p = std::copy_n("HTTP/1.1 ", 9, line.data());
  p = std::to_chars(p, line.data() + line.size(), head.status()).ptr;
  p = std::copy_n(" -\r\n", 4, p);
  if (head_request) parser.skip(true);
  prime<false>(std::string_view(line.data(), static_cast<std::size_t>(p - line.data())),
               head.chunked(), head.content_length(), !head.keep_alive(), parser, ec);
}

}  // namespace gw::http
