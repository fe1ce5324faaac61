#pragma once

// The HTTP client pieces shared by the layers that talk to other servers (the proxy to
// upstreams, the server to identity providers): endpoints, TLS client contexts, connecting
// with a deadline, and a bounded GET for small documents (OIDC discovery, JWKS).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
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

// One connection to an upstream, plain or TLS, with the read buffer that belongs to it.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};
  std::uint32_t requests = 0;

  beast::tcp_stream& lowest_layer() noexcept { return secure ? secure->next_layer() : *plain; }
  bool is_open() noexcept { return lowest_layer().socket().is_open(); }
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
