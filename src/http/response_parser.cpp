#include "http/response_parser.hpp"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cstring>

namespace gw::http {

namespace bhttp = boost::beast::http;

void ResponseParser::on_request_impl(bhttp::verb, string_view, string_view, int, error_code& ec) {
  ec = bhttp::error::bad_method;  // a response parser never sees a request line
}

std::size_t ResponseParser::on_body_impl(string_view body, error_code& ec) {
  // As buffer_body: copy what fits, ask for a new buffer when it is full.
  const std::size_t n = std::min(body.size(), body_room_);
  if (n != 0) {
    std::memcpy(body_data_, body.data(), n);
    body_data_ += n;
    body_room_ -= n;
  }
  if (n < body.size()) ec = bhttp::error::need_buffer;
  return n;
}

std::size_t ResponseParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) {
  return on_body_impl(body, ec);
}

}  // namespace gw::http
