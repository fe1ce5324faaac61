#pragma once

// Reading HTTP bodies with Beast's parser straight from a stream (plain socket or TLS); heads
// are read by http::read_head (head.hpp). Beast's own async_read_some runs every read through
// two nested composed operations, each tracking work on the executor, and posts its completion
// even when the buffer already held what was asked for. On the proxy path that machinery cost
// more than the parsing itself; here a read is one co_await on the stream, and none when the
// buffer suffices. Error codes are Beast's: end_of_stream, buffer_overflow, the parser's.

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace gw::http {

namespace net = boost::asio;
namespace beast = boost::beast;

// Feeds `parser` from `buffer`, reading from `stream` while the parser needs more, until a
// put() ends with anything but need_more: what beast::http::async_read_some does.
template <class Stream, bool isRequest>
net::awaitable<boost::system::error_code> read_some(Stream& stream, beast::flat_buffer& buffer,
                                                    beast::http::basic_parser<isRequest>& parser) {
  boost::system::error_code ec;
  if (buffer.size() != 0) {
    buffer.consume(parser.put(buffer.data(), ec));
    if (ec != beast::http::error::need_more) co_return ec;
  }
  for (;;) {
    // As Beast sizes its reads: at least 512 bytes, at most 64 KiB, never past max_size.
    const std::size_t size = buffer.size();
    const std::size_t room =
        std::min<std::size_t>(std::max<std::size_t>(512, buffer.capacity() - size),
                              std::min<std::size_t>(65536, buffer.max_size() - size));
    if (room == 0) co_return beast::http::error::buffer_overflow;
    auto [read_ec, n] =
        co_await stream.async_read_some(buffer.prepare(room), net::as_tuple(net::use_awaitable));
    buffer.commit(n);
    if (read_ec == net::error::eof) {
      if (!parser.got_some()) co_return beast::http::error::end_of_stream;
      // The end of the stream ends a message that has no other framing (or is truncated).
      ec = {};
      parser.put_eof(ec);
      co_return ec;
    }
    if (read_ec) co_return read_ec;
    buffer.consume(parser.put(buffer.data(), ec));
    if (ec != beast::http::error::need_more) co_return ec;
  }
}

// Reads until the parser holds the whole message: beast::http::async_read.
template <class Stream, bool isRequest>
net::awaitable<boost::system::error_code> read_message(
    Stream& stream, beast::flat_buffer& buffer, beast::http::basic_parser<isRequest>& parser) {
  parser.eager(true);
  while (!parser.is_done()) {
    if (auto ec = co_await read_some(stream, buffer, parser)) co_return ec;
  }
  co_return boost::system::error_code{};
}

}  // namespace gw::http
