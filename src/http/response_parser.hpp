#pragma once

// The body parser for upstream responses. The head is parsed by http::ResponseHead; this parser
// is primed with a head of the same framing (prime_body_parser in head.hpp) and hands the body
// over the way buffer_body does, into the caller's buffer, so a relayed response is never held
// whole. Framing, chunk decoding and keep-alive are Beast's (basic_parser).

#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>

namespace gw::http {

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
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
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field, string_view, string_view, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override;
  void on_finish_impl(error_code&) override {}

  char* body_data_ = nullptr;
  std::size_t body_room_ = 0;
};

}  // namespace gw::http
