#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <mutex>
#include <unordered_map>

#include "http/http.hpp"

namespace gw::http {
namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

Error unavailable(const Endpoint& e, std::string_view what, const boost::system::error_code& ec) {
  return make_error(
      Reason::UpstreamUnavailable,
      std::string(what) + " " + e.host + ":" + std::to_string(e.port) + ": " + ec.message(),
      Origin::Upstream);
}

Error timed_out(const Endpoint& e, std::string_view what) {
  return make_error(Reason::UpstreamTimeout,
                    std::string(what) + " " + e.host + ":" + std::to_string(e.port) + " timed out",
                    Origin::Upstream);
}

bool is_timeout(const boost::system::error_code& ec) {
  return ec == beast::error::timeout || ec == net::error::timed_out;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return make_error(Reason::Internal, "not an absolute URL: " + std::string(url));
  const auto& u = *parsed;
  Endpoint e;
  if (u.scheme() == "https") {
    e.tls = true;
  } else if (u.scheme() != "http") {
    return make_error(Reason::Internal, "scheme must be http or https: " + std::string(url));
  }
  if (u.has_userinfo() || u.has_query() || u.has_fragment()) {
    return make_error(Reason::Internal,
                      "URL must not carry credentials, a query or a fragment: " + std::string(url));
  }
  if (u.host_type() == boost::urls::host_type::ipv6) {
    e.host = std::string(u.host_address());
  } else {
    e.host = std::string(u.encoded_host());
  }
  if (e.host.empty()) return make_error(Reason::Internal, "URL has no host: " + std::string(url));
  if (u.has_port()) {
    if (u.port_number() == 0)
      return make_error(Reason::Internal, "bad port in " + std::string(url));
    e.port = u.port_number();
  } else {
    e.port = e.tls ? 443 : 80;
  }
  e.base_path = std::string(u.encoded_path());
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  const bool default_port = (e.tls && e.port == 443) || (!e.tls && e.port == 80);
  const std::string host_part =
      u.host_type() == boost::urls::host_type::ipv6 ? "[" + e.host + "]" : e.host;
  e.host_header = default_port ? host_part : host_part + ":" + std::to_string(e.port);
  return e;
}

std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file,
                                                      std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file, ec);
  }
  if (ec) {
    error = "cannot load CA certificates" + (ca_file.empty() ? std::string() : " from " + ca_file) +
            ": " + ec.message();
    return nullptr;
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  return ctx;
}

net::awaitable<Result<ConnectionPtr>> connect(const Endpoint& endpoint, ssl::context* tls,
                                              std::chrono::milliseconds timeout) {
  auto executor = co_await net::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining = [&] {
    auto left = deadline - std::chrono::steady_clock::now();
    return left > std::chrono::steady_clock::duration::zero()
               ? left
               : std::chrono::steady_clock::duration(1);
  };

  net::ip::tcp::resolver::results_type endpoints;
  boost::system::error_code ec;
  auto address = net::ip::make_address(endpoint.host, ec);
  if (!ec) {
    endpoints =
        net::ip::tcp::resolver::results_type::create(net::ip::tcp::endpoint(address, endpoint.port),
                                                     endpoint.host, std::to_string(endpoint.port));
  } else {
    // The resolver runs getaddrinfo on its own thread: the I/O thread is never blocked.
    net::ip::tcp::resolver resolver(executor);
    auto [rec, results] =
        co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), kTuple);
    if (rec) co_return unavailable(endpoint, "cannot resolve", rec);
    endpoints = std::move(results);
  }

  auto conn = std::make_unique<Connection>();
  if (endpoint.tls) {
    if (tls == nullptr) {
      co_return make_error(Reason::Internal, "no TLS context for " + endpoint.host,
                           Origin::Internal);
    }
    conn->secure = std::make_unique<TlsStream>(executor, *tls);
  } else {
    conn->plain = std::make_unique<Socket>(executor);
  }
  auto& lowest = conn->lowest_layer();
  auto& limit = conn->deadline.emplace(lowest);
  {
    Deadline::Scope timed(limit, remaining());
    auto [cec, connected] = co_await net::async_connect(lowest, endpoints, kTuple);
    (void)connected;
    cec = timed.check(cec);
    if (cec) {
      if (is_timeout(cec)) co_return timed_out(endpoint, "connecting to");
      co_return unavailable(endpoint, "cannot connect to", cec);
    }
  }
  lowest.set_option(net::ip::tcp::no_delay(true), ec);

  if (conn->secure) {
    // SNI and host name verification use the configured name.
    if (!SSL_set_tlsext_host_name(conn->secure->native_handle(), endpoint.host.c_str())) {
      co_return make_error(Reason::UpstreamUnavailable, "cannot set SNI for " + endpoint.host,
                           Origin::Upstream);
    }
    conn->secure->set_verify_callback(ssl::host_name_verification(endpoint.host));
    Deadline::Scope timed(limit, remaining());
    auto [hec] = co_await conn->secure->async_handshake(ssl::stream_base::client, kTuple);
    hec = timed.check(hec);
    if (hec) {
      if (is_timeout(hec)) co_return timed_out(endpoint, "TLS handshake with");
      co_return unavailable(endpoint, "TLS handshake failed with", hec);
    }
  }
  co_return conn;
}

namespace {

template <class Stream>
net::awaitable<Result<std::string>> get(Stream& stream, beast::flat_buffer& buffer,
                                        const Endpoint& endpoint, const std::string& target,
                                        const FetchOptions& options, Deadline& deadline) {
  namespace bhttp = beast::http;
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, endpoint.host_header);
  req.set(bhttp::field::accept, "application/json");
  req.set(bhttp::field::user_agent, "gatewaystack/" GW_VERSION);
  req.set(bhttp::field::connection, "close");
  Deadline::Scope timed(deadline, options.timeout);  // for the whole exchange
  auto [wec, written] = co_await bhttp::async_write(stream, req, kTuple);
  (void)written;
  wec = timed.check(wec);
  if (wec) {
    if (is_timeout(wec)) co_return timed_out(endpoint, "request to");
    co_return unavailable(endpoint, "cannot send to", wec);
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  parser.header_limit(64 * 1024);
  auto [rec, read] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
  (void)read;
  rec = timed.check(rec);
  if (rec) {
    if (is_timeout(rec)) co_return timed_out(endpoint, "response from");
    if (rec == bhttp::error::body_limit) {
      co_return make_error(Reason::UpstreamProtocolError,
                           "response from " + endpoint.host + " exceeds " +
                               std::to_string(options.max_body_bytes) + " bytes",
                           Origin::Upstream);
    }
    co_return unavailable(endpoint, "cannot read from", rec);
  }
  auto res = parser.release();
  if (res.result_int() != 200) {
    co_return make_error(
        Reason::UpstreamProtocolError,
        "GET " + target + " on " + endpoint.host + " answered " + std::to_string(res.result_int()),
        Origin::Upstream);
  }
  co_return std::move(res.body());
}

}  // namespace

net::awaitable<Result<std::string>> fetch(std::string url, FetchOptions options) {
  // The URL's query is kept for the request target; parse_endpoint refuses queries.
  std::string target_query;
  if (auto q = url.find('?'); q != std::string::npos) {
    target_query = url.substr(q);
    url.resize(q);
  }
  auto endpoint = parse_endpoint(url);
  if (!endpoint) co_return endpoint.error();
  std::shared_ptr<ssl::context> tls;
  if (endpoint->tls) {
    // One context per CA file, shared: loading the system store is not free.
    static std::mutex mutex;
    static std::unordered_map<std::string, std::shared_ptr<ssl::context>> contexts;
    std::lock_guard lock(mutex);
    auto& slot = contexts[options.ca_file];
    if (!slot) {
      std::string error;
      slot = make_client_tls_context(options.ca_file, error);
      if (!slot) co_return make_error(Reason::Internal, error, Origin::Internal);
    }
    tls = slot;
  }
  auto conn = co_await connect(*endpoint, tls.get(), options.timeout);
  if (!conn) co_return conn.error();
  auto& c = **conn;
  std::string target = endpoint->base_path.empty() ? "/" : endpoint->base_path;
  target += target_query;
  // No co_await inside ?: here: g++ 12 destroys such temporaries twice.
  Result<std::string> body = make_error(Reason::Internal, "unreachable", Origin::Internal);
  if (c.secure) {
    body = co_await get(*c.secure, c.buffer, *endpoint, target, options, *c.deadline);
  } else {
    body = co_await get(*c.plain, c.buffer, *endpoint, target, options, *c.deadline);
  }
  boost::system::error_code ignored;
  c.lowest_layer().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  co_return body;
}

}  // namespace gw::http
