#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

#include "http/http.hpp"

namespace gw::http {
namespace {

using namespace std::chrono_literals;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// A connected pair of loopback sockets on `ioc`.
struct SocketPair {
  explicit SocketPair(net::io_context& ioc) : client(ioc), server(ioc) {
    net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
  }
  Socket client;
  Socket server;
};

TEST(DeadlineTest, APassedDeadlineCutsAStalledReadAsATimeout) {
  net::io_context ioc;
  SocketPair pair(ioc);
  Deadline deadline(pair.client);
  boost::system::error_code result;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        char byte;
        Deadline::Scope timed(deadline, 50ms);
        auto [ec, n] = co_await pair.client.async_read_some(net::buffer(&byte, 1), kTuple);
        (void)n;
        result = timed.check(ec);
      },
      net::detached);
  ioc.run();  // returns: the read ended and nothing is armed any more
  EXPECT_EQ(result, boost::beast::error::timeout);
  EXPECT_TRUE(deadline.expired());
  EXPECT_FALSE(pair.client.is_open());
}

TEST(DeadlineTest, ADisarmedDeadlineLeavesTheSocketAlone) {
  net::io_context ioc;
  SocketPair pair(ioc);
  Deadline deadline(pair.client);
  deadline.arm(20ms);
  deadline.disarm();
  std::string received;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        // The peer answers well after the disarmed deadline (and several sweeps) passed.
        net::steady_timer later(ioc, 3 * Deadline::kResolution);
        co_await later.async_wait(kTuple);
        co_await net::async_write(pair.server, net::buffer("ok", 2), kTuple);
      },
      net::detached);
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        char buf[2];
        Deadline::Scope timed(deadline, 10s);
        auto [ec, n] = co_await net::async_read(pair.client, net::buffer(buf), kTuple);
        if (!timed.check(ec)) received.assign(buf, n);
      },
      net::detached);
  ioc.run();
  EXPECT_EQ(received, "ok");
  EXPECT_FALSE(deadline.expired());
  EXPECT_TRUE(pair.client.is_open());
}

TEST(DeadlineTest, OnlyTheDeadlineThatPassedIsCut) {
  net::io_context ioc;
  SocketPair slow(ioc);
  SocketPair fast(ioc);
  Deadline slow_deadline(slow.client);
  Deadline fast_deadline(fast.client);
  boost::system::error_code slow_result;
  boost::system::error_code fast_result;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        char byte;
        Deadline::Scope timed(slow_deadline, 30ms);
        auto [ec, n] = co_await slow.client.async_read_some(net::buffer(&byte, 1), kTuple);
        (void)n;
        slow_result = timed.check(ec);
        // The other connection's peer speaks only after this one was cut.
        co_await net::async_write(fast.server, net::buffer("x", 1), kTuple);
      },
      net::detached);
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void> {
        char byte;
        Deadline::Scope timed(fast_deadline, 10s);
        auto [ec, n] = co_await fast.client.async_read_some(net::buffer(&byte, 1), kTuple);
        (void)n;
        fast_result = timed.check(ec);
      },
      net::detached);
  ioc.run();
  EXPECT_EQ(slow_result, boost::beast::error::timeout);
  EXPECT_FALSE(fast_result) << fast_result.message();
  EXPECT_FALSE(fast_deadline.expired());
}

TEST(DeadlineTest, AnArmedDeadlineReleasedBeforeItsContextIsSafe) {
  // The sweep is still scheduled when everything goes (ASan checks the teardown).
  auto ioc = std::make_unique<net::io_context>();
  auto pair = std::make_unique<SocketPair>(*ioc);
  auto deadline = std::make_unique<Deadline>(pair->client);
  deadline->arm(1h);
  ioc->poll();
  deadline.reset();
  pair.reset();
  ioc.reset();
  EXPECT_FALSE(ioc);
}

}  // namespace
}  // namespace gw::http
