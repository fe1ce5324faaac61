#pragma once

// Message heads (start line and header fields) of client requests and upstream responses,
// parsed and checked here; bodies are Beast's. Beast's parser examines header values one byte
// at a time and stores fields one allocation each; a bearer token of 800 bytes made that the
// largest single cost of a proxied request. These parsers first find where the head ends, then
// check each line 16 bytes at a time, and keep the fields as views into one copy of the head.
// A Beast parser is then primed with a head of the same framing to read the body.
//
// Stricter than Beast where Beast's leniency lets two parsers disagree on where a body ends:
// any request Transfer-Encoding other than exactly "chunked", Transfer-Encoding together with
// Content-Length (requests and responses), Transfer-Encoding in an HTTP/1.0 request, obs-fold
// and bytes outside visible ASCII in the request-target are all rejected. Errors are Beast's
// codes (beast::http::error).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/container/small_vector.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/response_parser.hpp"

namespace gw::http {

struct RequestField {
  std::string_view name;   // as received
  std::string_view value;  // without surrounding whitespace
};

class RequestHead {
 public:
  struct Limits {
    std::size_t max_head_bytes = 8192;       // request line and fields, with their line ends
    std::uint64_t max_body_bytes = 1 << 20;  // a larger Content-Length is body_limit at once
  };

  explicit RequestHead(Limits limits);

  // Forgets the previous request; its views become invalid.
  void reset() noexcept;

  // Looks for a whole head at the start of `data` (empty lines before the request line are
  // skipped, as RFC 9112 asks). Returns the number of bytes it took, the head included, once
  // a head is parsed; 0 with need_more while the head is incomplete, or with the error.
  std::size_t parse(std::string_view data, boost::system::error_code& ec);

  // Valid once parse() took a head.
  std::string_view method() const noexcept { return method_; }
  std::string_view target() const noexcept { return target_; }
  unsigned version() const noexcept { return version_; }  // 10 or 11
  std::span<const RequestField> fields() const noexcept { return fields_; }
  // The first value of the field named `name` (case-insensitive), or "".
  std::string_view value(std::string_view name) const noexcept;
  bool keep_alive() const noexcept { return keep_alive_; }
  bool chunked() const noexcept { return chunked_; }
  std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
  bool has_body() const noexcept { return chunked_ || content_length_.value_or(0) != 0; }

 private:
  bool parse_head(std::string_view head, boost::system::error_code& ec);
  bool parse_request_line(std::string_view line, boost::system::error_code& ec);

  Limits limits_;
  std::string text_;         // this request's head; every view points into it
  std::size_t scanned_ = 0;  // bytes already searched for the end of the head
  std::string_view method_;
  std::string_view target_;
  unsigned version_ = 11;
  boost::container::small_vector<RequestField, 16> fields_;
  bool keep_alive_ = true;
  bool chunked_ = false;
  std::optional<std::uint64_t> content_length_;
};

struct ResponseField {
  // Set for the fields the gateway acts on: framing (Content-Length, Transfer-Encoding), the
  // hop-by-hop fields of RFC 9110 7.6.1, Content-Type and Content-Encoding; unknown for every
  // other name.
  boost::beast::http::field id = boost::beast::http::field::unknown;
  std::string_view name;  // as received
  std::string_view value;
};

// An upstream's response head. Fields carry Beast's field id, for classifying them cheaply.
class ResponseHead {
 public:
  explicit ResponseHead(std::size_t max_head_bytes);

  void reset() noexcept;
  // As RequestHead::parse (no empty lines are skipped before a status line).
  std::size_t parse(std::string_view data, boost::system::error_code& ec);

  int status() const noexcept { return status_; }
  std::string_view reason() const noexcept { return reason_; }
  std::span<const ResponseField> fields() const noexcept { return fields_; }
  // The first value of a known field, or "".
  std::string_view value(boost::beast::http::field id) const noexcept;
  // Whether the version, Connection and framing let the connection carry another request
  // once the body is read.
  bool keep_alive() const noexcept { return keep_alive_; }
  bool chunked() const noexcept { return chunked_; }
  std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }

 private:
  bool parse_head(std::string_view head, boost::system::error_code& ec);

  std::size_t max_head_bytes_;
  std::string text_;
  std::size_t scanned_ = 0;
  int status_ = 0;
  std::string_view reason_;
  // Inline room for a typical answer's fields: no allocation per response.
  boost::container::small_vector<ResponseField, 8> fields_;
  bool keep_alive_ = true;
  bool chunked_ = false;
  std::optional<std::uint64_t> content_length_;
};

// Prepares Beast's parser to read the request body that follows `head`: the parser is given a
// head with the same framing, so chunked decoding, the body limit and the end of the body are
// Beast's. Set its body_limit first.
void prime_body_parser(const RequestHead& head, boost::beast::http::basic_parser<true>& parser,
                       boost::system::error_code& ec);

// Prepares `parser` to read the body that follows `head` (nothing for HEAD, 1xx, 204 and 304;
// chunked; sized; or up to the end of the connection). `head_request` when the request was
// HEAD.
void prime_body_parser(const ResponseHead& head, bool head_request, ResponseParser& parser,
                       boost::system::error_code& ec);

// Reads from `stream` into `buffer` until `head` (a RequestHead or ResponseHead) holds a whole
// head, then consumes it from the buffer (what follows stays there: the body, or the next
// pipelined message). end_of_stream when the stream ends before a byte of it, partial_message
// when it ends midway.
template <class Stream, class Head>
boost::asio::awaitable<boost::system::error_code> read_head(Stream& stream,
                                                            boost::beast::flat_buffer& buffer,
                                                            Head& head, bool& got_some) {
  namespace net = boost::asio;
  namespace bhttp = boost::beast::http;
  got_some = buffer.size() != 0;
  for (;;) {
    if (buffer.size() != 0) {
      const auto data = buffer.cdata();
      boost::system::error_code ec;
      const std::size_t used = head.parse({static_cast<const char*>(data.data()), data.size()}, ec);
      if (!ec) {
        buffer.consume(used);
        co_return ec;
      }
      if (ec != bhttp::error::need_more) co_return ec;
    }
    const std::size_t size = buffer.size();
    const std::size_t room = std::max<std::size_t>(512, buffer.capacity() - size);
    auto [read_ec, n] =
        co_await stream.async_read_some(buffer.prepare(room), net::as_tuple(net::use_awaitable));
    buffer.commit(n);
    if (n != 0) got_some = true;
    if (read_ec == net::error::eof) {
      co_return got_some ? bhttp::error::partial_message : bhttp::error::end_of_stream;
    }
    if (read_ec) co_return read_ec;
  }
}

}  // namespace gw::http
