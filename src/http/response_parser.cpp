#include "http/response_parser.hpp"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cstring>

namespace gw::http {

namespace bhttp = boost::beast::http;

ResponseParser::ResponseParser() { text_.reserve(512); }

std::string_view ResponseParser::value(bhttp::field id) const noexcept {
  for (const auto& f : fields_) {
    if (f.id == id) return f.value;
  }
  return {};
}

void ResponseParser::on_request_impl(bhttp::verb, string_view, string_view, int, error_code& ec) {
  ec = bhttp::error::bad_method;  // a response parser never sees a request line
}

void ResponseParser::on_response_impl(int code, string_view reason, int, error_code&) {
  status_ = code;
  text_.assign(reason.data(), reason.size());
  reason_size_ = reason.size();
}

void ResponseParser::on_field_impl(bhttp::field id, string_view name, string_view value,
                                   error_code&) {
  const std::size_t name_at = text_.size();
  text_.append(name.data(), name.size());
  const std::size_t value_at = text_.size();
  text_.append(value.data(), value.size());
  pending_.push_back({id, name_at, name.size(), value_at, value.size()});
}

void ResponseParser::on_header_impl(error_code&) {
  const std::string_view text = text_;
  for (const auto& p : pending_) {
    fields_.push_back(
        {p.id, text.substr(p.name_at, p.name_size), text.substr(p.value_at, p.value_size)});
  }
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
