// A client's request bytes: the head (http::RequestHead), at once and as it arrives in pieces,
// then the body that follows it, read by Beast's parser primed with the head's framing as the
// session does (http::prime_body_parser).

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/head.hpp"
#include "incremental_head.hpp"

namespace {

namespace bhttp = boost::beast::http;

constexpr gw::http::RequestHead::Limits kLimits{.max_head_bytes = 4096, .max_body_bytes = 1 << 16};

void check_head(const gw::http::RequestHead& head) {
  GW_FUZZ_CHECK(!head.method().empty());
  GW_FUZZ_CHECK(!head.target().empty());
  GW_FUZZ_CHECK(head.version() == 10 || head.version() == 11);
  GW_FUZZ_CHECK(!(head.chunked() && head.content_length()));
  for (const auto& field : head.fields()) {
    GW_FUZZ_CHECK(!field.name.empty());
    // value() finds the first field of a name: equal to this one's or an earlier one's.
    (void)head.value(field.name);
  }
  (void)head.value("host");
}

// Feeds `rest` to a body parser primed from `head`; a sized body that completes has exactly
// the declared length.
void read_body(const gw::http::RequestHead& head, std::string_view rest) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(kLimits.max_body_bytes);
  parser.eager(true);
  boost::system::error_code ec;
  gw::http::prime_body_parser(head, parser, ec);
  GW_FUZZ_CHECK(!ec || ec == bhttp::error::body_limit);
  if (ec) return;
  GW_FUZZ_CHECK(parser.is_header_done());
  while (!rest.empty() && !parser.is_done()) {
    ec = {};
    const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(used);
    if (ec || used == 0) break;
  }
  if (parser.is_done() && !head.chunked()) {
    GW_FUZZ_CHECK(parser.get().body().size() == head.content_length().value_or(0));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = gw::fuzz::as_text(data, size);
  gw::http::RequestHead whole(kLimits);
  gw::http::RequestHead pieces(kLimits);
  const auto outcome = gw::fuzz::parse_both_ways(input, input, whole, pieces);
  if (outcome.ec) return 0;
  check_head(whole);
  GW_FUZZ_CHECK(whole.method() == pieces.method());
  GW_FUZZ_CHECK(whole.target() == pieces.target());
  GW_FUZZ_CHECK(whole.fields().size() == pieces.fields().size());
  if (whole.has_body()) read_body(whole, input.substr(outcome.used));

  // The session parses the next pipelined request with the same object after reset().
  whole.reset();
  boost::system::error_code ec;
  whole.parse(input.substr(outcome.used), ec);
  return 0;
}
