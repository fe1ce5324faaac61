#pragma once

// Forwarding one request to its upstream and relaying the answer to the client. A template
// over the client's stream type (plain TCP or TLS); included by the server only.

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <span>

#include "core/stage.hpp"
#include "proxy/proxy.hpp"

namespace gw::proxy {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// Upstream request headers: client headers minus hop-by-hop, Host, Authorization, identity
// headers (every case, every copy) and forwarding headers; then the verified identity, the
// upstream credential, the assertion, X-Request-Id and X-Forwarded-*.
void build_upstream_headers(const RequestContext& ctx, const UpstreamConfig& up,
                            const IdentityHeaderNames& names, std::string_view assertion,
                            bhttp::fields& out);
// Response headers minus hop-by-hop and framing fields (the gateway frames its own response).
void copy_response_headers(const bhttp::fields& in, bhttp::fields& out);
// Whether a client-supplied X-Request-Id is kept.
bool accept_request_id(std::string_view id);

struct ForwardResult {
  std::optional<Error> error;     // set on failure
  bool response_started = false;  // bytes reached the client; a local reply is impossible
  bool finishing_done = false;    // on_finishing already ran
  bool client_keep_alive = false;
  int status = 0;
};

// Everything a forward needs from the session.
template <class ClientStream>
struct ForwardRequest {
  ClientStream& client;
  beast::flat_buffer& client_buffer;
  // The client's body parser when the body is streamed; null when ctx.body holds it all.
  bhttp::request_parser<bhttp::buffer_body>* streamed_body = nullptr;
  RequestContext& ctx;
  const Proxy& proxy;
  UpstreamPool& pool;
  std::span<Stage* const> stages;
  bool client_keep_alive = true;
  unsigned client_version = 11;
  std::chrono::milliseconds client_timeout{60000};
};

namespace detail {

constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

inline bool is_timeout(const boost::system::error_code& ec) { return ec == beast::error::timeout; }

template <class Stream>
beast::tcp_stream& lowest(Stream& s) {
  return beast::get_lowest_layer(s);
}

inline Error upstream_error(const UpstreamConfig& up, std::string_view what,
                            const boost::system::error_code& ec) {
  if (is_timeout(ec)) {
    return make_error(Reason::UpstreamTimeout,
                      "upstream " + up.name + " did not answer in time (" + std::string(what) + ")",
                      Origin::Upstream);
  }
  return make_error(Reason::UpstreamUnavailable,
                    "upstream " + up.name + ": " + std::string(what) + ": " + ec.message(),
                    Origin::Upstream);
}

template <class ClientStream>
class Forwarder {
 public:
  explicit Forwarder(ForwardRequest<ClientStream>& r) : r_(r) {}

  net::awaitable<ForwardResult> run() {
    auto& ctx = r_.ctx;
    up_ = r_.proxy.upstream(ctx.route->upstream);
    if (up_ == nullptr) {
      result_.error =
          make_error(Reason::Internal, "route names an unknown upstream", Origin::Internal);
      co_return result_;
    }
    if (ctx.body_buffered) inject_user_into_body(ctx);
    std::string assertion;
    if (!up_->assertion.header.empty()) {
      auto signed_assertion = r_.proxy.sign_assertion(ctx, *up_);
      if (!signed_assertion) {
        result_.error = signed_assertion.error();
        co_return result_;
      }
      assertion = std::move(*signed_assertion);
    }
    build_request(assertion);

    const auto started = std::chrono::steady_clock::now();
    // A pooled connection may have been closed by the upstream while idle: when nothing of the
    // request is lost (buffered body), try once more on a fresh connection.
    for (int attempt = 0; attempt < 2; ++attempt) {
      conn_ = attempt == 0 ? r_.pool.acquire(*up_) : nullptr;
      const bool reused = conn_ != nullptr;
      if (!conn_) {
        auto connected =
            co_await http::connect(up_->endpoint, up_->tls.get(), up_->connect_timeout);
        if (!connected) {
          result_.error = connected.error();
          co_return result_;
        }
        conn_ = std::move(*connected);
      }
      ++conn_->requests;
      // No co_await inside ?: here: g++ 12 destroys such temporaries twice.
      Result<void> sent;
      if (conn_->secure) {
        sent = co_await exchange_head(*conn_->secure);
      } else {
        sent = co_await exchange_head(*conn_->plain);
      }
      if (sent) break;
      conn_.reset();
      if (!(reused && r_.ctx.body_buffered && stale_)) {
        result_.error = sent.error();
        co_return result_;
      }
    }
    ctx.timings.upstream = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    ctx.upstream_reached = true;
    if (conn_->secure) {
      co_await relay_response(*conn_->secure);
    } else {
      co_await relay_response(*conn_->plain);
    }
    co_return result_;
  }

 private:
  void build_request(std::string_view assertion) {
    auto& ctx = r_.ctx;
    req_.version(11);
    req_.method_string(ctx.method);
    std::string target = up_->endpoint.base_path + ctx.route->upstream_target;
    if (target.empty() || target.front() != '/') target.insert(target.begin(), '/');
    req_.target(target);
    build_upstream_headers(ctx, *up_, r_.proxy.config().headers, assertion, req_.base());
    if (r_.streamed_body) {
      if (r_.streamed_body->chunked()) {
        req_.chunked(true);
      } else if (auto length = r_.streamed_body->content_length()) {
        req_.content_length(*length);
      }
    } else if (!ctx.body.empty() || ctx.method == "POST" || ctx.method == "PUT" ||
               ctx.method == "PATCH") {
      req_.content_length(ctx.body.size());
    }
    req_.keep_alive(true);
  }

  // Sends the request and reads the upstream's response head.
  template <class Stream>
  net::awaitable<Result<void>> exchange_head(Stream& stream) {
    auto& low = lowest(stream);
    stale_ = false;
    bhttp::request_serializer<bhttp::buffer_body> sr{req_};
    if (r_.streamed_body) {
      low.expires_after(up_->response_timeout);
      auto [ec, n] = co_await bhttp::async_write_header(stream, sr, kTuple);
      (void)n;
      if (ec) co_return upstream_error(*up_, "sending the request", ec);
      auto& parser = *r_.streamed_body;
      while (true) {
        bool done = parser.is_done();
        std::size_t got = 0;
        if (!done) {
          parser.get().body().data = buffer_.data();
          parser.get().body().size = buffer_.size();
          lowest(r_.client).expires_after(r_.client_timeout);
          auto [rec, rn] =
              co_await bhttp::async_read_some(r_.client, r_.client_buffer, parser, kTuple);
          (void)rn;
          if (rec && rec != bhttp::error::need_buffer) {
            co_return make_error(is_timeout(rec) ? Reason::RequestTimeout : Reason::BadRequest,
                                 "reading the request body: " + rec.message());
          }
          got = buffer_.size() - parser.get().body().size;
          done = parser.is_done();
        }
        r_.ctx.body_bytes += got;
        req_.body().data = got ? buffer_.data() : nullptr;
        req_.body().size = got;
        req_.body().more = !done;
        low.expires_after(up_->response_timeout);
        auto [wec, wn] = co_await bhttp::async_write(stream, sr, kTuple);
        (void)wn;
        if (wec && wec != bhttp::error::need_buffer) {
          co_return upstream_error(*up_, "sending the request body", wec);
        }
        if (done) break;
      }
    } else {
      req_.body().data = r_.ctx.body.empty() ? nullptr : r_.ctx.body.data();
      req_.body().size = r_.ctx.body.size();
      req_.body().more = false;
      low.expires_after(up_->response_timeout);
      auto [ec, n] = co_await bhttp::async_write(stream, sr, kTuple);
      (void)n;
      if (ec) {
        stale_ = true;
        co_return upstream_error(*up_, "sending the request", ec);
      }
    }

    // Interim 1xx answers (other than 101, which we never ask for) are skipped.
    while (true) {
      parser_.emplace();
      parser_->header_limit(64 * 1024);
      parser_->body_limit(boost::none);
      if (r_.ctx.method == "HEAD") parser_->skip(true);
      low.expires_after(up_->response_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(stream, conn_->buffer, *parser_, kTuple);
      (void)n;
      if (ec) {
        stale_ = (ec == bhttp::error::end_of_stream || ec == net::error::connection_reset ||
                  ec == net::error::eof) &&
                 conn_->requests > 1;
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof) {
          co_return make_error(Reason::UpstreamUnavailable,
                               "upstream " + up_->name + " closed the connection without answering",
                               Origin::Upstream);
        }
        if (&ec.category() == &bhttp::make_error_code(bhttp::error::bad_version).category()) {
          co_return make_error(
              Reason::UpstreamProtocolError,
              "upstream " + up_->name + " sent an invalid response: " + ec.message(),
              Origin::Upstream);
        }
        co_return upstream_error(*up_, "reading the response", ec);
      }
      const int status = parser_->get().result_int();
      if (status >= 100 && status < 200 && status != 101) continue;
      break;
    }
    co_return Result<void>{};
  }

  net::awaitable<void> finishing(int status) {
    result_.finishing_done = true;
    Completion c{status, Reason::None, true};
    for (auto* stage : r_.stages) co_await stage->on_finishing(r_.ctx, c);
  }

  void add_gateway_headers(bhttp::fields& out) {
    out.set("X-Request-Id", r_.ctx.request_id);
    for (const auto& [name, value] : r_.ctx.response_headers) out.insert(name, value);
  }

  template <class Stream>
  net::awaitable<void> relay_response(Stream& upstream) {
    auto& ctx = r_.ctx;
    auto& head = parser_->get();
    const int status = head.result_int();
    result_.status = status;
    ctx.status = status;
    const auto content_type = head[bhttp::field::content_type];
    ResponseHead rh{status, content_type, content_type.substr(0, 17) == "text/event-stream"};
    for (auto* stage : r_.stages) stage->on_response_head(ctx, rh);
    // Token usage is read only from AI APIs' answers.
    const bool reads_usage = ctx.model.has_value() && status >= 200 && status < 300;
    UsageExtractor usage(rh.is_event_stream);

    bool wants_body = false;
    for (auto* stage : r_.stages) wants_body = wants_body || stage->wants_response_body(ctx);
    const bool has_body = !(ctx.method == "HEAD" || status == 204 || status == 304 ||
                            (status >= 100 && status < 200));

    if (wants_body && has_body) {
      std::string body;
      while (!parser_->is_done()) {
        auto n = co_await read_piece(upstream);
        if (!n) co_return;
        body.append(buffer_.data(), *n);
        if (body.size() > r_.proxy.config().max_response_buffer_bytes) {
          result_.error = make_error(Reason::UpstreamProtocolError,
                                     "upstream response too large to inspect", Origin::Upstream);
          conn_.reset();
          co_return;
        }
      }
      for (auto* stage : r_.stages) stage->on_response_body(ctx, body);
      if (reads_usage) {
        usage.feed(body);
        usage.finish(ctx.usage);
      }
      bhttp::response<bhttp::string_body> res;
      res.result(status);
      res.version(r_.client_version);
      copy_response_headers(head.base(), res.base());
      add_gateway_headers(res.base());
      res.body() = std::move(body);
      res.prepare_payload();
      res.keep_alive(r_.client_keep_alive);
      ctx.response_bytes = res.body().size();
      release_upstream();
      co_await finishing(status);
      lowest(r_.client).expires_after(r_.client_timeout);
      result_.response_started = true;
      auto [ec, n] = co_await bhttp::async_write(r_.client, res, kTuple);
      (void)n;
      result_.client_keep_alive = !ec && res.keep_alive();
      co_return;
    }

    bhttp::response<bhttp::buffer_body> res;
    res.result(status);
    res.version(r_.client_version);
    copy_response_headers(head.base(), res.base());
    add_gateway_headers(res.base());
    bool keep_alive = r_.client_keep_alive;
    if (has_body) {
      if (auto length = parser_->content_length()) {
        res.content_length(*length);
      } else if (r_.client_version >= 11) {
        res.chunked(true);
      } else {
        keep_alive = false;  // HTTP/1.0 client: the end of the body is the end of the connection
      }
    } else if (ctx.method == "HEAD") {
      if (auto length = parser_->content_length()) res.content_length(*length);
    }
    res.keep_alive(keep_alive);
    bhttp::response_serializer<bhttp::buffer_body> sr{res};
    lowest(r_.client).expires_after(r_.client_timeout);
    // The head goes out as soon as it is known: streams start flowing immediately.
    if (!parser_->is_done() || !has_body) {
      result_.response_started = true;
      auto [ec, n] = co_await bhttp::async_write_header(r_.client, sr, kTuple);
      (void)n;
      if (ec) {
        result_.error = make_error(Reason::BadRequest, "client went away", Origin::Client);
        conn_.reset();
        co_return;
      }
    }
    while (true) {
      std::size_t got = 0;
      if (has_body && !parser_->is_done()) {
        auto n = co_await read_piece(upstream);
        if (!n) co_return;
        got = *n;
      }
      const bool done = !has_body || parser_->is_done();
      if (got) {
        const std::string_view piece(buffer_.data(), got);
        if (reads_usage) usage.feed(piece);
        BodyChunk chunk{piece, done};
        for (auto* stage : r_.stages) stage->on_response_chunk(ctx, chunk);
        ctx.response_bytes += got;
      }
      if (done) {
        if (reads_usage) usage.finish(ctx.usage);
        release_upstream();
        // The last bytes wait until every stage is ready for the response to complete.
        co_await finishing(status);
      }
      res.body().data = got ? buffer_.data() : nullptr;
      res.body().size = got;
      res.body().more = !done;
      lowest(r_.client).expires_after(r_.client_timeout);
      result_.response_started = true;
      auto [ec, n] = co_await bhttp::async_write(r_.client, sr, kTuple);
      (void)n;
      if (ec && ec != bhttp::error::need_buffer) {
        result_.error = make_error(Reason::BadRequest, "client went away", Origin::Client);
        conn_.reset();
        co_return;
      }
      if (done) break;
    }
    result_.client_keep_alive = keep_alive;
  }

  // Reads the next piece of the upstream body into buffer_; nullopt after a failure (recorded).
  template <class Stream>
  net::awaitable<std::optional<std::size_t>> read_piece(Stream& upstream) {
    auto& body = parser_->get().body();
    body.data = buffer_.data();
    body.size = buffer_.size();
    lowest(upstream).expires_after(up_->response_timeout);
    auto [ec, n] = co_await bhttp::async_read_some(upstream, conn_->buffer, *parser_, kTuple);
    (void)n;
    if (ec && ec != bhttp::error::need_buffer) {
      result_.error = upstream_error(*up_, "reading the response body", ec);
      conn_.reset();
      co_return std::nullopt;
    }
    co_return buffer_.size() - parser_->get().body().size;
  }

  void release_upstream() {
    if (conn_ && parser_->is_done() && parser_->get().keep_alive()) {
      r_.pool.release(*up_, std::move(conn_));
    }
    conn_.reset();
  }

  ForwardRequest<ClientStream>& r_;
  const UpstreamConfig* up_ = nullptr;
  http::ConnectionPtr conn_;
  bhttp::request<bhttp::buffer_body> req_;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
  std::array<char, 16 * 1024> buffer_{};
  ForwardResult result_;
  bool stale_ = false;
};

}  // namespace detail

template <class ClientStream>
net::awaitable<ForwardResult> forward(ForwardRequest<ClientStream>& request) {
  detail::Forwarder<ClientStream> forwarder(request);
  co_return co_await forwarder.run();
}

}  // namespace gw::proxy
