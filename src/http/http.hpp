#pragma once

// The HTTP client pieces shared by the layers that talk to other servers (the proxy to
// upstreams, the server to identity providers): endpoints, TLS client contexts, connecting
// with a deadline, and a bounded GET for small documents (OIDC discovery, JWKS).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/intrusive/list_hook.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace gw::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;

// Where an upstream or IdP lives, parsed once from a configured URL.
struct Endpoint {
  bool tls = false;
  std::string host;  // name or IP literal, without brackets
  std::uint16_t port = 0;
  std::string base_path;    // "" or "/prefix" (no trailing slash)
  std::string host_header;  // what to send as Host
};

// Accepts http:// and https:// URLs without userinfo, query or fragment.
Result<Endpoint> parse_endpoint(std::string_view url);

// A client TLS context that verifies the peer's certificate chain against the system store
// (or `ca_file` when given) and, per connection, its host name.
std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file,
                                                      std::string& error);

using Socket = net::ip::tcp::socket;
using TlsStream = beast::ssl_stream<Socket>;

// A time limit for the operations on one socket. Armed before an operation and disarmed
// after it (see Deadline::Scope); when an armed deadline passes, its socket is closed, so the
// pending operation completes with an error and expired() tells that it was the deadline.
// Every io_context sweeps its deadlines every `kResolution` (an io_context service, created
// on first use): no timer and no extra completion per operation. Deadlines, like sockets,
// go before their io_context. Not thread-safe: used on the socket's own thread.
class Deadline : public boost::intrusive::list_base_hook<
                     boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  // CLOCK_MONOTONIC_COARSE: a few milliseconds of resolution is plenty for a 100 ms sweep,
  // and reading it is several times cheaper than steady_clock (it runs per operation).
  struct Clock {
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<Clock, duration>;
    static time_point now() noexcept;
  };
  static constexpr std::chrono::milliseconds kResolution{100};

  explicit Deadline(Socket& socket);
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void arm(Clock::duration timeout);
  void disarm() noexcept { armed_ = false; }
  bool expired() const noexcept { return expired_; }

  // Arms on construction, disarms on destruction; `check` turns the error of an operation
  // cut by the deadline into beast::error::timeout.
  class [[nodiscard]] Scope {
   public:
    Scope(Deadline& d, Clock::duration timeout) : d_(d) { d_.arm(timeout); }
    ~Scope() { d_.disarm(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    boost::system::error_code check(boost::system::error_code ec) const;

   private:
    Deadline& d_;
  };

 private:
  friend class DeadlineSweeper;
  Socket& socket_;
  class DeadlineSweeper& sweeper_;
  Clock::time_point expiry_{};
  bool armed_ = false;
  bool expired_ = false;
};

// One connection to an upstream, plain or TLS, with the read buffer that belongs to it.
struct Connection {
  std::unique_ptr<Socket> plain;
  std::unique_ptr<TlsStream> secure;
  std::optional<Deadline> deadline;  // on lowest_layer()
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};
  std::uint32_t requests = 0;

  Socket& lowest_layer() noexcept { return secure ? secure->next_layer() : *plain; }
  bool is_open() noexcept { return lowest_layer().is_open(); }
};
using ConnectionPtr = std::unique_ptr<Connection>;

// Resolves, connects and (for https) handshakes within `timeout`. Errors carry
// UpstreamUnavailable or UpstreamTimeout with a detail naming the endpoint.
net::awaitable<Result<ConnectionPtr>> connect(const Endpoint& endpoint, ssl::context* tls,
                                              std::chrono::milliseconds timeout);

struct FetchOptions {
  std::chrono::milliseconds timeout{5000};
  std::size_t max_body_bytes = 1 << 20;
  std::string ca_file;
};

// GET `url`; the body of a 200 response, or an Error (non-200, too large, timeout, TLS).
net::awaitable<Result<std::string>> fetch(std::string url, FetchOptions options);

}  // namespace gw::http
