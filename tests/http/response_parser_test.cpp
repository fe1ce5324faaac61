#include "http/response_parser.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string>

namespace gw::http {
namespace {

namespace bhttp = boost::beast::http;

// Feeds `input` from `offset` on; returns the bytes the parser used.
std::size_t feed(ResponseParser& parser, std::string_view input, boost::system::error_code& ec) {
  return parser.put(boost::asio::buffer(input.data(), input.size()), ec);
}

TEST(ResponseParserTest, KeepsTheHeaderAsReceivedAfterTheInputIsGone) {
  ResponseParser parser;
  parser.eager(false);
  std::string input =
      "HTTP/1.1 201 Made It\r\nContent-Type: application/json\r\nX-Custom: a b\r\n"
      "set-cookie: 1\r\nSet-Cookie: 2\r\nContent-Length: 0\r\n\r\n";
  boost::system::error_code ec;
  EXPECT_EQ(feed(parser, input, ec), input.size());
  ASSERT_FALSE(ec) << ec.message();
  input.assign(input.size(), 'x');  // the views must not point into the caller's buffer

  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.status(), 201);
  EXPECT_EQ(parser.reason(), "Made It");
  const auto fields = parser.fields();
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields[0].id, bhttp::field::content_type);
  EXPECT_EQ(fields[0].name, "Content-Type");
  EXPECT_EQ(fields[0].value, "application/json");
  EXPECT_EQ(fields[1].id, bhttp::field::unknown);
  EXPECT_EQ(fields[1].name, "X-Custom");
  EXPECT_EQ(fields[1].value, "a b");
  EXPECT_EQ(fields[2].name, "set-cookie");
  EXPECT_EQ(fields[3].value, "2");
  EXPECT_EQ(parser.value(bhttp::field::set_cookie), "1");  // the first of several
  EXPECT_EQ(parser.value(bhttp::field::location), "");
  EXPECT_TRUE(parser.keep_alive());
}

TEST(ResponseParserTest, DeliversASizedBodyIntoTheCallersBuffers) {
  ResponseParser parser;
  const std::string input = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
  boost::system::error_code ec;
  std::size_t used = feed(parser, input, ec);  // the header only: eager is off by default
  ASSERT_FALSE(ec);
  ASSERT_TRUE(parser.is_header_done());
  EXPECT_EQ(parser.content_length().value_or(0), 10u);

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
}

TEST(ResponseParserTest, DeliversChunkedBodiesWithoutTheFraming) {
  ResponseParser parser;
  parser.eager(true);
  const std::string input =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  char body[64];
  parser.set_body_buffer(body, sizeof body);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done() && !ec) used += feed(parser, std::string_view(input).substr(used), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.chunked());
  EXPECT_EQ(std::string_view(body, sizeof body - parser.body_room()), "hello world");
}

TEST(ResponseParserTest, AnswerToHeadHasNoBodyWhateverItsLength) {
  ResponseParser parser;
  parser.skip(true);
  const std::string input = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
  boost::system::error_code ec;
  EXPECT_EQ(feed(parser, input, ec), input.size());
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.is_done());
}

TEST(ResponseParserTest, MalformedHeadsAreErrorsNotCrashes) {
  for (const std::string input :
       {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    ResponseParser parser;
    boost::system::error_code ec;
    feed(parser, input, ec);
    EXPECT_TRUE(ec) << input;
    EXPECT_NE(ec, bhttp::error::need_more) << input;
  }
}

}  // namespace
}  // namespace gw::http
