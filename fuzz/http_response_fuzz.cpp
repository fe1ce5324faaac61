// An upstream's response bytes: the head (http::ResponseHead), at once and as it arrives in
// pieces, then the body framing as the proxy relays it: chunked bodies and bodies that run to
// the end of the connection through http::ResponseParser, into small caller buffers.
//
// Input: one byte of options (bit 0: the request was HEAD; bits 1-6: the relay buffer's
// size - 1), then the response.

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/head.hpp"
#include "http/response_parser.hpp"
#include "incremental_head.hpp"

namespace {

namespace bhttp = boost::beast::http;

// Relays the body that follows `head` in `rest` through buffers of `room` bytes; returns the
// number of body bytes delivered.
std::size_t relay_body(const gw::http::ResponseHead& head, bool head_request, std::size_t room,
                       std::string_view rest) {
  gw::http::ResponseParser parser;
  parser.body_limit(boost::none);
  boost::system::error_code ec;
  gw::http::prime_body_parser(head, head_request, parser, ec);
  if (ec) return 0;
  std::array<char, 64> buffer{};
  std::size_t delivered = 0;
  // As http::read_some: bytes go to the parser while there are any, and the end of the
  // connection ends the message. Each pass consumes bytes or fills the buffer: a parser that
  // makes no progress is a bug.
  const std::size_t max_passes = 2 * rest.size() + 8;
  for (std::size_t passes = 0; !parser.is_done(); ++passes) {
    GW_FUZZ_CHECK(passes <= max_passes);
    parser.set_body_buffer(buffer.data(), room);
    ec = {};
    std::size_t used = 0;
    if (rest.empty()) {
      parser.put_eof(ec);
    } else {
      used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    }
    GW_FUZZ_CHECK(used <= rest.size());
    rest.remove_prefix(used);
    delivered += room - parser.body_room();
    if (ec == bhttp::error::need_buffer) continue;
    if (ec == bhttp::error::need_more) {
      rest = {};  // no more bytes will come: the next pass ends the stream
      continue;
    }
    if (ec || (used == 0 && !parser.is_done())) break;
  }
  return delivered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool head_request = (data[0] & 1) != 0;
  const std::size_t room = 1 + ((data[0] >> 1) & 63);
  const std::string_view input = gw::fuzz::as_text(data + 1, size - 1);

  gw::http::ResponseHead whole(4096);
  gw::http::ResponseHead pieces(4096);
  const auto outcome = gw::fuzz::parse_both_ways(input, input, whole, pieces);
  if (outcome.ec) return 0;
  GW_FUZZ_CHECK(whole.status() >= 100 && whole.status() <= 999);
  GW_FUZZ_CHECK(whole.status() == pieces.status());
  GW_FUZZ_CHECK(whole.fields().size() == pieces.fields().size());
  GW_FUZZ_CHECK(!(whole.chunked() && whole.content_length()));
  for (const auto& field : whole.fields()) {
    if (field.id != bhttp::field::unknown) (void)whole.value(field.id);
  }
  (void)whole.reason();

  const std::string_view rest = input.substr(outcome.used);
  const std::size_t delivered = relay_body(whole, head_request, room, rest);
  GW_FUZZ_CHECK(delivered <= rest.size());
  return 0;
}
