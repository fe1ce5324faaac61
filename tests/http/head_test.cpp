#include "http/head.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <random>
#include <string>

namespace gw::http {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

RequestHead::Limits limits(std::size_t head = 8192, std::uint64_t body = 1 << 20) {
  return {head, body};
}

// Parses a whole input; returns the error (none when a head was taken).
error_code parse(RequestHead& head, std::string_view input, std::size_t* used = nullptr) {
  error_code ec;
  const std::size_t n = head.parse(input, ec);
  if (used != nullptr) *used = n;
  return ec;
}

error_code parse(std::string_view input) {
  RequestHead head(limits());
  return parse(head, input);
}

TEST(RequestHeadTest, ParsesTheRequestLineAndFieldsAndLeavesWhatFollows) {
  RequestHead head(limits());
  std::string input =
      "GET /calendar/events?day=1 HTTP/1.1\r\nHost: example.org\r\n"
      "Authorization: Bearer abc.def.ghi\r\nX-Empty:\r\nX-Spaced: \t a  b \t\r\n\r\n";
  const std::size_t head_size = input.size();
  input += "GET /next HTTP/1.1\r\n";  // a pipelined request stays in the buffer
  std::size_t used = 0;
  ASSERT_FALSE(parse(head, input, &used));
  EXPECT_EQ(used, head_size);
  input.assign(input.size(), 'x');  // the views must not point into the caller's buffer

  EXPECT_EQ(head.method(), "GET");
  EXPECT_EQ(head.target(), "/calendar/events?day=1");
  EXPECT_EQ(head.version(), 11u);
  ASSERT_EQ(head.fields().size(), 4u);
  EXPECT_EQ(head.fields()[0].name, "Host");
  EXPECT_EQ(head.fields()[0].value, "example.org");
  EXPECT_EQ(head.fields()[2].value, "");
  EXPECT_EQ(head.fields()[3].value, "a  b");
  EXPECT_EQ(head.value("authorization"), "Bearer abc.def.ghi");
  EXPECT_EQ(head.value("x-missing"), "");
  EXPECT_TRUE(head.keep_alive());
  EXPECT_FALSE(head.has_body());
  EXPECT_FALSE(head.content_length().has_value());
}

TEST(RequestHeadTest, WaitsForTheWholeHeadWhereverTheInputIsCut) {
  const std::string input =
      "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-A: 1\r\n\r\nabc";
  const std::size_t head_size = input.size() - 3;
  for (std::size_t cut = 0; cut < head_size; ++cut) {
    RequestHead head(limits());
    // The same parser sees the input grow, as it does while reads arrive.
    for (std::size_t n = 1; n <= cut; ++n) {
      ASSERT_EQ(parse(head, input.substr(0, n)), bhttp::error::need_more) << "at " << n;
    }
    std::size_t used = 0;
    ASSERT_FALSE(parse(head, input, &used)) << "cut at " << cut;
    EXPECT_EQ(used, head_size);
    EXPECT_EQ(head.value("x-a"), "1");
    EXPECT_EQ(head.content_length(), 3u);
  }
}

TEST(RequestHeadTest, SkipsEmptyLinesBeforeTheRequestLine) {
  RequestHead head(limits());
  std::size_t used = 0;
  const std::string input = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
  ASSERT_EQ(parse(head, "\r\n"), bhttp::error::need_more);
  ASSERT_FALSE(parse(head, input, &used));
  EXPECT_EQ(used, input.size());
  EXPECT_EQ(head.target(), "/");
}

TEST(RequestHeadTest, EnforcesTheHeadLimitWhetherOrNotTheHeadIsComplete) {
  const std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(200, 'a') + "\r\n";
  RequestHead incomplete(limits(128));
  EXPECT_EQ(parse(incomplete, big), bhttp::error::header_limit);
  RequestHead complete(limits(128));
  EXPECT_EQ(parse(complete, big + "\r\n"), bhttp::error::header_limit);
  RequestHead flood(limits(128));  // empty lines alone must not grow the buffer for ever
  std::string crlfs;
  for (int i = 0; i < 100; ++i) crlfs += "\r\n";
  EXPECT_EQ(parse(flood, crlfs), bhttp::error::header_limit);
  RequestHead fits(limits(big.size() + 2));
  EXPECT_FALSE(parse(fits, big + "\r\n"));
}

TEST(RequestHeadTest, RejectsMalformedRequestLines) {
  EXPECT_EQ(parse("GET /\r\n\r\n"), bhttp::error::bad_version);
  EXPECT_EQ(parse("GET\r\n\r\n"), bhttp::error::bad_version);
  EXPECT_EQ(parse("G@T / HTTP/1.1\r\n\r\n"), bhttp::error::bad_method);
  EXPECT_EQ(parse(" / HTTP/1.1\r\n\r\n"), bhttp::error::bad_method);
  EXPECT_EQ(parse("GET  / HTTP/1.1\r\n\r\n"), bhttp::error::bad_target);
  EXPECT_EQ(parse("GET /a b HTTP/1.1\r\n\r\n"), bhttp::error::bad_target);
  EXPECT_EQ(parse("GET /\xc3\xa9 HTTP/1.1\r\n\r\n"), bhttp::error::bad_target);
  EXPECT_EQ(parse("GET /\x7f HTTP/1.1\r\n\r\n"), bhttp::error::bad_target);
  EXPECT_EQ(parse("GET /\t HTTP/1.1\r\n\r\n"), bhttp::error::bad_target);
  EXPECT_EQ(parse("GET / HTTP/2.0\r\n\r\n"), bhttp::error::bad_version);
  EXPECT_EQ(parse("GET / HTTP/1.10\r\n\r\n"), bhttp::error::bad_version);
  EXPECT_EQ(parse("GET / http/1.1\r\n\r\n"), bhttp::error::bad_version);
  EXPECT_EQ(parse("GET / HTTP/1.1\n\n"), bhttp::error::bad_line_ending);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\n\n"), bhttp::error::bad_line_ending);
}

TEST(RequestHeadTest, ReadsTheHttpVersion) {
  RequestHead head(limits());
  ASSERT_FALSE(parse(head, "GET / HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(head.version(), 10u);
  head.reset();
  ASSERT_FALSE(parse(head, "GET / HTTP/1.2\r\n\r\n"));  // a later 1.x is answered as 1.1
  EXPECT_EQ(head.version(), 11u);
}

TEST(RequestHeadTest, RejectsMalformedFieldLines) {
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX-A : 1\r\n\r\n"), bhttp::error::bad_field);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\n: 1\r\n\r\n"), bhttp::error::bad_field);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nNo colon\r\nX: y\r\n\r\n"), bhttp::error::bad_field);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX(A): 1\r\n\r\n"), bhttp::error::bad_field);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n"), bhttp::error::bad_obs_fold);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX-A: 1\n\r\n"), bhttp::error::bad_line_ending);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"), bhttp::error::bad_line_ending);
  EXPECT_EQ(parse(std::string("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n", 28)), bhttp::error::bad_value);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n"), bhttp::error::bad_value);
}

TEST(RequestHeadTest, AcceptsTabsAndObsTextInValues) {
  RequestHead head(limits());
  ASSERT_FALSE(parse(head, "GET / HTTP/1.1\r\nX-A: a\tb \xc3\xa9\r\n\r\n"));
  EXPECT_EQ(head.value("x-a"), "a\tb \xc3\xa9");
}

// Values long enough for the 16-byte scan: a control byte is found at every position, and
// the end of the value is found exactly.
TEST(RequestHeadTest, FindsAControlByteAnywhereInALongValue) {
  const std::string token(100, 't');
  for (std::size_t at = 0; at < token.size(); ++at) {
    std::string value = token;
    value[at] = '\x01';
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nAuthorization: Bearer " + value + "\r\n\r\n"),
              bhttp::error::bad_value)
        << "at " << at;
  }
  for (std::size_t size = 1; size < 48; ++size) {
    RequestHead head(limits());
    const std::string value(size, 'v');
    ASSERT_FALSE(parse(head, "GET / HTTP/1.1\r\nX: " + value + "\r\nY: z\r\n\r\n"));
    EXPECT_EQ(head.value("x"), value);
    EXPECT_EQ(head.value("y"), "z");
  }
}

TEST(RequestHeadTest, ReadsContentLength) {
  RequestHead head(limits());
  ASSERT_FALSE(parse(head, "POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n"));
  EXPECT_EQ(head.content_length(), 42u);
  EXPECT_TRUE(head.has_body());
  head.reset();
  ASSERT_FALSE(parse(head, "POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n"));
  EXPECT_EQ(head.content_length(), 0u);
  EXPECT_FALSE(head.has_body());
  head.reset();  // the same length twice is one length (RFC 9110 8.6)
  ASSERT_FALSE(parse(head, "POST / HTTP/1.1\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n"));
  EXPECT_EQ(head.content_length(), 7u);
}

TEST(RequestHeadTest, RejectsBadOrConflictingContentLengths) {
  for (const char* bad : {"abc", "-1", "+1", "", "1 2", "1,", "0x10", "18446744073709551616"}) {
    EXPECT_EQ(parse(std::string("POST / HTTP/1.1\r\nContent-Length: ") + bad + "\r\n\r\n"),
              bhttp::error::bad_content_length)
        << bad;
  }
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            bhttp::error::multiple_content_length);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n"),
            bhttp::error::multiple_content_length);
  RequestHead small(limits(8192, 100));
  EXPECT_EQ(parse(small, "POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n"),
            bhttp::error::body_limit);
}

TEST(RequestHeadTest, AcceptsOnlyChunkedAsTransferEncoding) {
  RequestHead head(limits());
  ASSERT_FALSE(parse(head, "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"));
  EXPECT_TRUE(head.chunked());
  EXPECT_TRUE(head.has_body());
  EXPECT_FALSE(head.content_length().has_value());

  for (const char* bad :
       {"gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "", "chunkedx"}) {
    EXPECT_EQ(parse(std::string("POST / HTTP/1.1\r\nTransfer-Encoding: ") + bad + "\r\n\r\n"),
              bhttp::error::bad_transfer_encoding)
        << bad;
  }
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n"),
            bhttp::error::bad_transfer_encoding);
  // Both framings at once, in either order: the request-smuggling shape.
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            bhttp::error::bad_transfer_encoding);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
            bhttp::error::bad_transfer_encoding);
  EXPECT_EQ(parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            bhttp::error::bad_transfer_encoding);
}

TEST(RequestHeadTest, DecidesKeepAliveByVersionAndConnection) {
  const auto keep_alive = [](std::string_view input) {
    RequestHead head(limits());
    EXPECT_FALSE(parse(head, input)) << input;
    return head.keep_alive();
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
}

TEST(RequestHeadTest, ResetForgetsThePreviousRequest) {
  RequestHead head(limits());
  ASSERT_FALSE(parse(head, "POST /a HTTP/1.0\r\nContent-Length: 5\r\nX: 1\r\nY: 2\r\n\r\n"));
  EXPECT_FALSE(head.keep_alive());
  head.reset();
  ASSERT_FALSE(parse(head, "GET /b HTTP/1.1\r\nX: 1\r\n\r\n"));
  EXPECT_EQ(head.target(), "/b");
  EXPECT_EQ(head.fields().size(), 1u);
  EXPECT_FALSE(head.content_length().has_value());
  EXPECT_TRUE(head.keep_alive());
}

// The body parser is primed with the head's framing and reads the body that follows.
TEST(RequestHeadTest, PrimesBeastsParserForTheBody) {
  RequestHead head(limits());
  const std::string input =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  std::size_t used = 0;
  ASSERT_FALSE(parse(head, input, &used));
  bhttp::request_parser<bhttp::string_body> chunked;
  error_code ec;
  prime_body_parser(head, chunked, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(chunked.is_header_done());
  EXPECT_TRUE(chunked.chunked());
  chunked.eager(true);
  chunked.put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(chunked.is_done());
  EXPECT_EQ(chunked.get().body(), "hello world");

  head.reset();
  ASSERT_FALSE(parse(head, "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n"));
  bhttp::request_parser<bhttp::string_body> sized;
  sized.body_limit(3);
  prime_body_parser(head, sized, ec);
  EXPECT_EQ(ec, bhttp::error::body_limit);
}

}  // namespace
}  // namespace gw::http

namespace gw::http {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

error_code parse_response(std::string_view input) {
  ResponseHead head(8192);
  error_code ec;
  head.parse(input, ec);
  return ec;
}

TEST(ResponseHeadTest, ClassifiesTheFieldsTheGatewayActsOnInAnyCase) {
  const std::pair<std::string_view, bhttp::field> cases[] = {
      {"TE", bhttp::field::te},
      {"trailer", bhttp::field::trailer},
      {"UPGRADE", bhttp::field::upgrade},
      {"Connection", bhttp::field::connection},
      {"keep-ALIVE", bhttp::field::keep_alive},
      {"content-type", bhttp::field::content_type},
      {"Proxy-Connection", bhttp::field::proxy_connection},
      {"Transfer-Encoding", bhttp::field::transfer_encoding},
      {"proxy-authenticate", bhttp::field::proxy_authenticate},
      {"Proxy-Authorization", bhttp::field::proxy_authorization},
      // Same lengths as the names above, and names the gateway passes through untouched.
      {"tf", bhttp::field::unknown},
      {"trailers", bhttp::field::unknown},
      {"upgradE2", bhttp::field::unknown},
      {"connectio_", bhttp::field::unknown},
      {"x-request-id", bhttp::field::unknown},
      {"Set-Cookie", bhttp::field::unknown},
      {"Server", bhttp::field::unknown},
      {"Date", bhttp::field::unknown},
  };
  for (const auto& [name, id] : cases) {
    ResponseHead head(8192);
    const std::string value = name == "Transfer-Encoding" ? "chunked" : "x";
    const std::string input = "HTTP/1.1 200 OK\r\n" + std::string(name) + ": " + value + "\r\n\r\n";
    error_code ec;
    ASSERT_EQ(head.parse(input, ec), input.size()) << name;
    ASSERT_FALSE(ec) << name << ": " << ec.message();
    ASSERT_EQ(head.fields().size(), 1u) << name;
    EXPECT_EQ(head.fields()[0].id, id) << name;
  }
  // Content-Length is classified too: it frames the body.
  ResponseHead head(8192);
  error_code ec;
  const std::string input = "HTTP/1.1 200 OK\r\ncontent-LENGTH: 7\r\n\r\n";
  ASSERT_EQ(head.parse(input, ec), input.size());
  EXPECT_EQ(head.fields()[0].id, bhttp::field::content_length);
  EXPECT_EQ(head.content_length(), 7u);
}

TEST(ResponseHeadTest, KeepsTheHeadAsReceivedAfterTheInputIsGone) {
  ResponseHead head(8192);
  std::string input =
      "HTTP/1.1 201 Made It\r\nContent-Type: application/json\r\nX-Custom: a b\r\n"
      "keep-alive: timeout=5\r\nKeep-Alive: max=9\r\nContent-Length: 0\r\n\r\n";
  const std::size_t head_size = input.size();
  input += "HTTP/1.1 200 OK\r\n";  // what follows stays with the caller
  error_code ec;
  EXPECT_EQ(head.parse(input, ec), head_size);
  ASSERT_FALSE(ec) << ec.message();
  input.assign(input.size(), 'x');

  EXPECT_EQ(head.status(), 201);
  EXPECT_EQ(head.reason(), "Made It");
  const auto fields = head.fields();
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields[0].id, bhttp::field::content_type);
  EXPECT_EQ(fields[0].name, "Content-Type");
  EXPECT_EQ(fields[0].value, "application/json");
  EXPECT_EQ(fields[1].id, bhttp::field::unknown);
  EXPECT_EQ(fields[1].name, "X-Custom");
  EXPECT_EQ(fields[1].value, "a b");
  EXPECT_EQ(fields[2].name, "keep-alive");
  EXPECT_EQ(fields[3].value, "max=9");
  EXPECT_EQ(head.value(bhttp::field::keep_alive), "timeout=5");  // the first of several
  EXPECT_EQ(head.value(bhttp::field::location), "");
  EXPECT_EQ(head.content_length(), 0u);
  EXPECT_TRUE(head.keep_alive());
}

TEST(ResponseHeadTest, WaitsForTheWholeHeadWhereverTheInputIsCut) {
  const std::string input = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\n";
  for (std::size_t cut = 0; cut < input.size(); ++cut) {
    ResponseHead head(8192);
    for (std::size_t n = 1; n <= cut; ++n) {
      error_code ec;
      EXPECT_EQ(head.parse(std::string_view(input).substr(0, n), ec), 0u);
      ASSERT_EQ(ec, bhttp::error::need_more) << "at " << n;
    }
    error_code ec;
    EXPECT_EQ(head.parse(input, ec), input.size());
    ASSERT_FALSE(ec) << "cut at " << cut;
    EXPECT_EQ(head.value(bhttp::field::unknown), "1");
  }
}

TEST(ResponseHeadTest, ReadsStatusLinesWithAndWithoutReason) {
  ResponseHead head(8192);
  error_code ec;
  head.parse("HTTP/1.1 404\r\n\r\n", ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(head.status(), 404);
  EXPECT_EQ(head.reason(), "");
  head.reset();
  head.parse("HTTP/1.0 503 Service Unavailable\r\n\r\n", ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(head.status(), 503);
  EXPECT_EQ(head.reason(), "Service Unavailable");
  EXPECT_FALSE(head.keep_alive());
}

TEST(ResponseHeadTest, ReadsFraming) {
  ResponseHead head(8192);
  error_code ec;
  head.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(head.chunked());
  EXPECT_TRUE(head.keep_alive());
  head.reset();
  // A coding other than chunked last: the body runs to the end of the connection.
  head.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", ec);
  ASSERT_FALSE(ec);
  EXPECT_FALSE(head.chunked());
  EXPECT_FALSE(head.keep_alive());
}

TEST(ResponseHeadTest, MalformedHeadsAreErrorsNotCrashes) {
  EXPECT_EQ(parse_response("GET / HTTP/1.1\r\n\r\n"), bhttp::error::bad_version);
  EXPECT_EQ(parse_response("HTTP/2 200 OK\r\n\r\n"), bhttp::error::bad_version);
  EXPECT_EQ(parse_response("HTTP/1.1 2000 OK\r\n\r\n"), bhttp::error::bad_status);
  EXPECT_EQ(parse_response("HTTP/1.1 20x OK\r\n\r\n"), bhttp::error::bad_status);
  EXPECT_EQ(parse_response("HTTP/1.1 099 Low\r\n\r\n"), bhttp::error::bad_status);
  EXPECT_EQ(parse_response("HTTP/1.1 200 O\x01K\r\n\r\n"), bhttp::error::bad_reason);
  EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"), bhttp::error::bad_field);
  EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nX: 1\r\n 2\r\n\r\n"), bhttp::error::bad_obs_fold);
  EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            bhttp::error::multiple_content_length);
  EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
            bhttp::error::bad_content_length);
  EXPECT_EQ(
      parse_response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
      bhttp::error::bad_transfer_encoding);
  ResponseHead small(64);
  error_code ec;
  small.parse("HTTP/1.1 200 OK\r\nX-Big: " + std::string(100, 'a') + "\r\n\r\n", ec);
  EXPECT_EQ(ec, bhttp::error::header_limit);
}

}  // namespace
}  // namespace gw::http

namespace gw::http {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

bool has_control(std::string_view s, bool tab_allowed) {
  for (unsigned char c : s) {
    if ((c < 0x20 && !(tab_allowed && c == '\t')) || c == 0x7f) return true;
  }
  return false;
}

// `seed` with one to four bytes changed, inserted or removed, or cut short; the bytes put in
// are the ones that matter to a head's syntax.
std::string mutate(std::string input, std::mt19937& rng) {
  static constexpr char kAlphabet[] = "\r\n\t :,\x7f\x01\x80 aZ09-/";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !input.empty(); ++e) {
    const std::size_t at = rng() % input.size();
    const char c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
    switch (rng() % 4) {
      case 0:
        input[at] = c;
        break;
      case 1:
        input.insert(at, 1, c);
        break;
      case 2:
        input.erase(at, 1);
        break;
      default:
        input.resize(at + 1);
        break;
    }
  }
  return input;
}

// Mutated heads (bytes changed, inserted, removed, cut) never crash the parser, and whatever it
// accepts holds only what a valid head may: token names, values without line breaks, and the
// same result whether the input arrives whole or in two parts.
TEST(RequestHeadTest, MutatedHeadsAreRefusedOrParsedConsistently) {
  const std::string seed =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer a.b.c\r\n"
      "Content-Length: 12\r\nConnection: keep-alive\r\nX-Tab: a\tb\r\n\r\n{\"model\":1}";
  std::mt19937 rng(20261128);
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::string input = mutate(seed, rng);
    RequestHead whole(limits());
    error_code ec;
    const std::size_t used = whole.parse(input, ec);
    if (ec) continue;
    ++accepted;
    ASSERT_LE(used, input.size());
    ASSERT_FALSE(whole.method().empty());
    ASSERT_FALSE(has_control(whole.target(), false));
    for (const auto& f : whole.fields()) {
      ASSERT_FALSE(f.name.empty());
      ASSERT_EQ(f.name.find_first_of(" \t\r\n:"), std::string_view::npos) << f.name;
      ASSERT_FALSE(has_control(f.value, true)) << f.value;
    }
    const std::size_t cut = 1 + rng() % used;
    RequestHead split(limits());
    error_code first;
    split.parse(std::string_view(input).substr(0, cut), first);
    if (cut < used) {
      ASSERT_EQ(first, bhttp::error::need_more);
      error_code second;
      ASSERT_EQ(split.parse(input, second), used);
      ASSERT_FALSE(second);
    } else {
      ASSERT_FALSE(first);  // the whole head was there already
    }
    ASSERT_EQ(split.target(), whole.target());
    ASSERT_EQ(split.fields().size(), whole.fields().size());
    ASSERT_EQ(split.content_length(), whole.content_length());
  }
  EXPECT_GT(accepted, 100);  // the mutations leave enough valid heads to check
}

TEST(ResponseHeadTest, MutatedHeadsAreRefusedOrParsedConsistently) {
  const std::string seed =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
      "Connection: close, X-Hop\r\nX-Hop: 1\r\n\r\n{}";
  std::mt19937 rng(11282026);
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::string input = mutate(seed, rng);
    ResponseHead head(8192);
    error_code ec;
    const std::size_t used = head.parse(input, ec);
    if (ec) continue;
    ++accepted;
    ASSERT_LE(used, input.size());
    ASSERT_GE(head.status(), 100);
    ASSERT_LE(head.status(), 999);
    for (const auto& f : head.fields()) {
      ASSERT_EQ(f.name.find_first_of(" \t\r\n:"), std::string_view::npos) << f.name;
      ASSERT_FALSE(has_control(f.value, true)) << f.value;
    }
    ResponseParser body;
    prime_body_parser(head, false, body, ec);
    ASSERT_FALSE(ec) << ec.message() << "\n" << input;
  }
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace gw::http
