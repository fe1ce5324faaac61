#pragma once

// The parser for upstream responses. Beast's response_parser stores the header in
// basic_fields: an allocation and an ordered-set insertion per field, then a list walk to copy
// them out again. This one keeps the header as a flat list of (field, name, value) over one
// string and hands the body over the way buffer_body does, into the caller's buffer, so a
// relayed response is never held whole. Framing, limits, keep-alive and HEAD handling are
// Beast's (basic_parser).

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/container/small_vector.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace gw::http {

struct HeaderField {
  boost::beast::http::field id = boost::beast::http::field::unknown;  // unknown for other names
  std::string_view name;                                              // as received
  std::string_view value;
};

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  ResponseParser();

  // Valid once is_header_done().
  int status() const noexcept { return status_; }
  std::string_view reason() const noexcept { return {text_.data(), reason_size_}; }
  std::span<const HeaderField> fields() const noexcept { return fields_; }
  // The first value of a known field, or "".
  std::string_view value(boost::beast::http::field id) const noexcept;

  // Where the next body bytes go; what is left of it after a read tells how much arrived.
  void set_body_buffer(char* data, std::size_t size) noexcept {
    body_data_ = data;
    body_room_ = size;
  }
  std::size_t body_room() const noexcept { return body_room_; }

 private:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code& ec) override;
  void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
  void on_field_impl(boost::beast::http::field id, string_view name, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override;
  void on_finish_impl(error_code&) override {}

  // Offsets into text_ while the header is parsed (text_ may still grow), views after.
  struct Pending {
    boost::beast::http::field id;
    std::size_t name_at, name_size, value_at, value_size;
  };

  std::string text_;  // the reason phrase, then every name and value
  std::size_t reason_size_ = 0;
  boost::container::small_vector<Pending, 12> pending_;
  boost::container::small_vector<HeaderField, 12> fields_;
  int status_ = 0;
  char* body_data_ = nullptr;
  std::size_t body_room_ = 0;
};

}  // namespace gw::http
