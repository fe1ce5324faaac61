#include "http/response_parser.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string>

#include "http/head.hpp"

namespace gw::http {
namespace {

namespace bhttp = boost::beast::http;

std::size_t feed(ResponseParser& parser, std::string_view input, boost::system::error_code& ec) {
  return parser.put(boost::asio::buffer(input.data(), input.size()), ec);
}

// Parses the head at the start of `input` and primes `parser` for its body; returns the size of
// the head.
std::size_t start(ResponseParser& parser, std::string_view input, bool head_request = false) {
  ResponseHead head(64 * 1024);
  boost::system::error_code ec;
  const std::size_t used = head.parse(input, ec);
  EXPECT_FALSE(ec) << ec.message();
  prime_body_parser(head, head_request, parser, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_header_done());
  return used;
}

TEST(ResponseParserTest, DeliversASizedBodyIntoTheCallersBuffers) {
  ResponseParser parser;
  const std::string input = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
  std::size_t used = start(parser, input);
  EXPECT_EQ(parser.content_length().value_or(0), 10u);

  boost::system::error_code ec;
  char first[4];
  parser.set_body_buffer(first, sizeof first);
  used += feed(parser, std::string_view(input).substr(used), ec);
  EXPECT_EQ(ec, bhttp::error::need_buffer);  // full: the relay sends it and comes back
  EXPECT_EQ(parser.body_room(), 0u);
  EXPECT_EQ(std::string_view(first, 4), "0123");
  EXPECT_FALSE(parser.is_done());

  char rest[16];
  parser.set_body_buffer(rest, sizeof rest);
  ec = {};
  used += feed(parser, std::string_view(input).substr(used), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(used, input.size());
  EXPECT_EQ(std::string_view(rest, sizeof rest - parser.body_room()), "456789");
  EXPECT_TRUE(parser.is_done());
  EXPECT_TRUE(parser.keep_alive());
}

TEST(ResponseParserTest, DeliversChunkedBodiesWithoutTheFraming) {
  ResponseParser parser;
  const std::string input =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  std::size_t used = start(parser, input);
  parser.eager(true);
  char body[64];
  parser.set_body_buffer(body, sizeof body);
  boost::system::error_code ec;
  while (!parser.is_done() && !ec) used += feed(parser, std::string_view(input).substr(used), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.chunked());
  EXPECT_EQ(used, input.size());
  EXPECT_EQ(std::string_view(body, sizeof body - parser.body_room()), "hello world");
}

TEST(ResponseParserTest, ABodyWithoutFramingRunsToTheEndOfTheConnection) {
  ResponseParser parser;
  const std::string input = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it";
  std::size_t used = start(parser, input);
  parser.eager(true);
  char body[64];
  parser.set_body_buffer(body, sizeof body);
  boost::system::error_code ec;
  used += feed(parser, std::string_view(input).substr(used), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(used, input.size());
  EXPECT_FALSE(parser.is_done());  // only the end of the connection ends it
  ec = {};
  parser.put_eof(ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_done());
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_EQ(std::string_view(body, sizeof body - parser.body_room()), "all of it");
}

TEST(ResponseParserTest, ResponsesWithoutABodyAreDoneAtTheirHead) {
  for (const std::string input :
       {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}) {
    ResponseParser parser;
    start(parser, input);
    EXPECT_TRUE(parser.is_done()) << input;
    EXPECT_TRUE(parser.keep_alive()) << input;
  }
  ResponseParser answer_to_head;  // HEAD: no body whatever the length says
  start(answer_to_head, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", true);
  EXPECT_TRUE(answer_to_head.is_done());
}

TEST(ResponseParserTest, TheConnectionIsReusedOnlyWhenTheHeadAllowsIt) {
  const auto reusable = [](std::string_view input) {
    ResponseParser parser;
    start(parser, input);
    EXPECT_TRUE(parser.is_done()) << input;
    return parser.keep_alive();
  };
  EXPECT_TRUE(reusable("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(reusable("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(reusable("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(reusable("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"));
}

}  // namespace
}  // namespace gw::http
