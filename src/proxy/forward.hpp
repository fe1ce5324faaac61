#pragma once

// Forwarding one request to its upstream and relaying the answer to the client. A template
// over the client's stream type (plain TCP or TLS); included by the server only.

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstring>
#include <optional>
#include <span>

#include "core/response_flow.hpp"
#include "http/head.hpp"
#include "http/read.hpp"
#include "proxy/proxy.hpp"

namespace gw::proxy {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// How a message body is delimited on the wire.
struct Framing {
  enum class Kind { None, Length, Chunked };
  Kind kind = Kind::None;
  std::uint64_t length = 0;

  static Framing none() { return {}; }
  static Framing sized(std::uint64_t n) { return {Kind::Length, n}; }
  static Framing chunked() { return {Kind::Chunked, 0}; }
};

// Upstream request headers: client headers minus hop-by-hop, Host, Authorization, identity
// headers and forwarding headers (every case, every copy, '_' spellings too); then the verified
// identity, the upstream credential, the assertion, X-Request-Id and X-Forwarded-*. Other client
// names with '_' pass or are dropped as `underscores` says. Appended to `out` as
// "Name: value\r\n" lines.
void build_upstream_headers(const RequestContext& ctx, const UpstreamConfig& up,
                            const IdentityHeaderNames& names, UnderscoreHeaders underscores,
                            std::string_view assertion, std::string& out);
// Response header lines minus hop-by-hop and framing fields (the gateway frames its own
// response), and minus Content-Encoding when the gateway decoded the body; appended to `out`.
void copy_response_headers(std::span<const http::ResponseField> in, std::string& out,
                           bool drop_content_encoding = false);
// Whether a client-supplied X-Request-Id is kept.
bool accept_request_id(std::string_view id);
// The verified identity as "Name: value\r\n" lines under the configured names (roles
// comma-separated, scopes space-separated); control characters removed, empty values omitted.
void write_identity_headers(const Identity& id, const IdentityHeaderNames& names, std::string& out);

// The whole request head sent upstream: request line, build_upstream_headers, framing.
void write_upstream_head(const RequestContext& ctx, const UpstreamConfig& up,
                         const IdentityHeaderNames& names, UnderscoreHeaders underscores,
                         std::string_view assertion, const Framing& framing, std::string& out);

struct ResponseHeadSpec {
  unsigned version = 11;  // the client's
  int status = 200;
  std::string_view reason;                                // empty: the standard phrase
  std::span<const http::ResponseField> upstream_headers;  // copied through copy_response_headers
  Framing framing;
  bool keep_alive = true;
  bool drop_content_encoding = false;  // the gateway decoded the body it sends
};
// The whole response head sent to the client: status line, upstream headers, `fields` (further
// "Name: value\r\n" lines of the gateway's own), X-Request-Id, the stages' response headers,
// framing and the Connection field the version needs.
void write_response_head(const ResponseHeadSpec& spec, const RequestContext& ctx, std::string& out,
                         std::string_view fields = {});

struct ForwardResult {
  std::optional<Error> error;     // set on failure (origin Client: the client went away)
  bool response_started = false;  // bytes reached the client; a local reply is impossible
  bool client_keep_alive = false;
  int status = 0;
};

// Everything a forward needs from the session.
template <class ClientStream>
struct ForwardRequest {
  ClientStream& client;
  http::Deadline& client_deadline;
  beast::flat_buffer& client_buffer;
  // The client's body parser when the body is streamed; null when ctx.body holds it all.
  bhttp::request_parser<bhttp::buffer_body>* streamed_body = nullptr;
  RequestContext& ctx;
  const Proxy& proxy;
  UpstreamPool& pool;
  ResponseFlow& flow;  // the pipeline: told what passes, runs the stages' response hooks
  bool client_keep_alive = true;
  unsigned client_version = 11;
  std::chrono::milliseconds client_timeout{60000};
  UnderscoreHeaders underscore_headers = UnderscoreHeaders::Pass;  // server.headers.underscores
};

namespace detail {

constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

inline bool is_timeout(const boost::system::error_code& ec) { return ec == beast::error::timeout; }

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

// The buffer a forward relays body pieces through. Taken from a per-thread free list for
// the forward's duration: no allocation or clearing per request, and memory follows the
// number of forwards in flight rather than the number of connections.
class RelayBuffer {
 public:
  static constexpr std::size_t kSize = 16 * 1024;

  RelayBuffer() {
    auto& free = free_list();
    if (free.empty()) {
      data_ = std::make_unique_for_overwrite<char[]>(kSize);
    } else {
      data_ = std::move(free.back());
      free.pop_back();
    }
  }
  ~RelayBuffer() {
    auto& free = free_list();
    if (free.size() < kMaxFree) free.push_back(std::move(data_));
  }
  RelayBuffer(const RelayBuffer&) = delete;
  RelayBuffer& operator=(const RelayBuffer&) = delete;

  char* data() noexcept { return data_.get(); }
  static constexpr std::size_t size() noexcept { return kSize; }

 private:
  static constexpr std::size_t kMaxFree = 256;
  static std::vector<std::unique_ptr<char[]>>& free_list() {
    thread_local std::vector<std::unique_ptr<char[]>> list;
    return list;
  }
  std::unique_ptr<char[]> data_;
};

// The buffers of one write: an optional head, then a body piece, raw or as an HTTP/1.1
// chunk (the last chunk closes the body). Head and body leave in one gather write.
class PieceBuffers {
 public:
  PieceBuffers(std::string_view head, std::string_view data, bool chunked, bool last) {
    if (!head.empty()) add(head);
    if (chunked && !data.empty()) {
      static constexpr char kHex[] = "0123456789abcdef";
      char* end = size_line_ + sizeof size_line_;
      char* p = end;
      *--p = '\n';
      *--p = '\r';
      for (std::size_t n = data.size(); n != 0; n >>= 4) *--p = kHex[n & 15];
      add({p, static_cast<std::size_t>(end - p)});
      add(data);
      add("\r\n");
    } else if (!data.empty()) {
      add(data);
    }
    if (chunked && last) add("0\r\n\r\n");
  }
  PieceBuffers(const PieceBuffers&) = delete;
  PieceBuffers& operator=(const PieceBuffers&) = delete;

  bool empty() const noexcept { return count_ == 0; }
  std::span<const net::const_buffer> buffers() const noexcept { return {buffers_.data(), count_}; }

 private:
  void add(std::string_view s) { buffers_[count_++] = net::const_buffer(s.data(), s.size()); }

  std::array<net::const_buffer, 5> buffers_;
  std::size_t count_ = 0;
  char size_line_[20];
};

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
    if (ctx.body_buffered) {
      if (auto injected = inject_user_into_body(ctx); !injected) {
        result_.error = injected.error();
        co_return result_;
      }
    }
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
    if (!plan_response()) co_return result_;
    // Straight into the relay that fits: no coroutine layer of its own between (and no
    // co_await inside ?:, which g++ 12 miscompiles).
    if (plan_.mode == BodyPlan::Mode::Whole) {
      if (conn_->secure) {
        co_await relay_whole(*conn_->secure);
      } else {
        co_await relay_whole(*conn_->plain);
      }
    } else if (conn_->secure) {
      co_await relay_pieces(*conn_->secure);
    } else {
      co_await relay_pieces(*conn_->plain);
    }
    co_return result_;
  }

 private:
  void build_request(std::string_view assertion) {
    auto& ctx = r_.ctx;
    Framing framing;
    if (r_.streamed_body) {
      if (r_.streamed_body->chunked()) {
        framing = Framing::chunked();
      } else if (auto length = r_.streamed_body->content_length()) {
        framing = Framing::sized(*length);
      }
    } else if (!ctx.body.empty() || ctx.method == "POST" || ctx.method == "PUT" ||
               ctx.method == "PATCH") {
      framing = Framing::sized(ctx.body.size());
    }
    request_chunked_ = framing.kind == Framing::Kind::Chunked;
    head_.reserve(1024);
    write_upstream_head(ctx, *up_, r_.proxy.config().headers, r_.underscore_headers, assertion,
                        framing, head_);
  }

  // Sends the request and reads the upstream's response head.
  template <class Stream>
  net::awaitable<Result<void>> exchange_head(Stream& stream) {
    auto& deadline = *conn_->deadline;
    stale_ = false;
    if (r_.streamed_body) {
      if (auto sent = co_await send_streamed(stream); !sent) co_return sent;
    } else {  // the usual request: head and body in one write
      const std::array<net::const_buffer, 2> request{net::buffer(head_), net::buffer(r_.ctx.body)};
      http::Deadline::Scope timed(deadline, up_->response_timeout);
      auto [ec, n] = co_await net::async_write(stream, request, kTuple);
      (void)n;
      ec = timed.check(ec);
      if (ec) {
        stale_ = true;
        co_return upstream_error(*up_, "sending the request", ec);
      }
    }

    // Interim 1xx answers (other than 101, which we never ask for) are skipped.
    while (true) {
      response_head_.reset();
      http::Deadline::Scope timed(deadline, up_->response_timeout);
      bool got_some = false;
      auto ec =
          timed.check(co_await http::read_head(stream, conn_->buffer, response_head_, got_some));
      if (ec) co_return head_read_error(ec);
      const int status = response_head_.status();
      if (status >= 100 && status < 200 && status != 101) continue;
      if (auto framed = prepare_body_reader(); !framed) co_return framed;
      break;
    }
    co_return Result<void>{};
  }

  // The request head, then the client's body as it arrives, piece by piece.
  template <class Stream>
  net::awaitable<Result<void>> send_streamed(Stream& stream) {
    auto& deadline = *conn_->deadline;
    {
      http::Deadline::Scope timed(deadline, up_->response_timeout);
      auto [ec, n] = co_await net::async_write(stream, net::buffer(head_), kTuple);
      (void)n;
      ec = timed.check(ec);
      if (ec) co_return upstream_error(*up_, "sending the request", ec);
    }
    auto& parser = *r_.streamed_body;
    while (true) {
      bool done = parser.is_done();
      std::size_t got = 0;
      if (!done) {
        parser.get().body().data = buffer_.data();
        parser.get().body().size = buffer_.size();
        http::Deadline::Scope client_timed(r_.client_deadline, r_.client_timeout);
        const auto rec =
            client_timed.check(co_await http::read_some(r_.client, r_.client_buffer, parser));
        if (rec && rec != bhttp::error::need_buffer) {
          co_return make_error(is_timeout(rec) ? Reason::RequestTimeout : Reason::BadRequest,
                               "reading the request body: " + rec.message());
        }
        got = buffer_.size() - parser.get().body().size;
        done = parser.is_done();
      }
      r_.ctx.body_bytes += got;
      PieceBuffers piece({}, {buffer_.data(), got}, request_chunked_, done);
      if (!piece.empty()) {
        http::Deadline::Scope write_timed(deadline, up_->response_timeout);
        auto [wec, wn] = co_await net::async_write(stream, piece.buffers(), kTuple);
        (void)wn;
        wec = write_timed.check(wec);
        if (wec) co_return upstream_error(*up_, "sending the request body", wec);
      }
      if (done) co_return Result<void>{};
    }
  }

  // Why the response head could not be read; notes whether a stale pooled connection is to
  // blame (the request can then be tried once more).
  Error head_read_error(const boost::system::error_code& ec) {
    const bool closed = ec == bhttp::error::end_of_stream || ec == net::error::eof;
    stale_ = (closed || ec == net::error::connection_reset) && conn_->requests > 1;
    if (closed) {
      return make_error(Reason::UpstreamUnavailable,
                        "upstream " + up_->name + " closed the connection without answering",
                        Origin::Upstream);
    }
    if (&ec.category() == &bhttp::make_error_code(bhttp::error::bad_version).category()) {
      return make_error(Reason::UpstreamProtocolError,
                        "upstream " + up_->name + " sent an invalid response: " + ec.message(),
                        Origin::Upstream);
    }
    return upstream_error(*up_, "reading the response", ec);
  }

  // A sized body (or none) is counted here; Beast decodes chunked bodies and reads those that
  // run to the end of the connection.
  Result<void> prepare_body_reader() {
    parser_.reset();
    body_left_.reset();
    boost::system::error_code ec;
    if (!response_has_body()) {
      body_left_ = 0;
    } else if (!response_head_.chunked() && response_head_.content_length()) {
      body_left_ = *response_head_.content_length();
    } else {
      parser_.emplace();
      parser_->body_limit(boost::none);
      http::prime_body_parser(response_head_, false, *parser_, ec);
    }
    if (ec) {
      return make_error(Reason::UpstreamProtocolError,
                        "upstream " + up_->name + " sent an invalid response: " + ec.message(),
                        Origin::Upstream);
    }
    return {};
  }

  ResponseHeadSpec response_spec(int status, Framing framing, bool keep_alive) const {
    return ResponseHeadSpec{
        r_.client_version, status,       response_head_.reason(), response_head_.fields(), framing,
        keep_alive,        plan_.decoded};
  }

  // Writes a piece (head, data, chunk framing) to the client; false (with the error recorded)
  // when the client is gone. The piece's buffers live in this short frame only while the write
  // is in flight.
  net::awaitable<bool> write_to_client(std::string_view head, std::string_view data, bool chunked,
                                       bool last) {
    const PieceBuffers piece(head, data, chunked, last);
    if (piece.empty()) co_return true;
    http::Deadline::Scope timed(r_.client_deadline, r_.client_timeout);
    result_.response_started = true;
    auto [ec, n] = co_await net::async_write(r_.client, piece.buffers(), kTuple);
    (void)n;
    if (ec) {
      result_.error = make_error(Reason::ClientClosed, "client went away", Origin::Client);
      r_.flow.end_response(EndKind::ClientClosed);
      conn_.reset();
      co_return false;
    }
    co_return true;
  }

  // The upstream's head reported to the pipeline, which plans the body; false (with the error
  // recorded) when it refuses the answer.
  bool plan_response() {
    const int status = response_head_.status();
    result_.status = status;
    auto plan = r_.flow.on_upstream_head(status, response_head_.value(bhttp::field::content_type),
                                         response_head_.value(bhttp::field::content_encoding),
                                         response_has_body());
    if (!plan) {  // refused before anything reached the client: a local 502
      fail(plan.error());
      return false;
    }
    plan_ = *plan;
    return true;
  }

  // The whole body, read (bounded), handed to the pipeline, sent with a Content-Length.
  template <class Stream>
  net::awaitable<void> relay_whole(Stream& upstream) {
    std::string body;
    while (!body_done()) {
      std::optional<std::size_t> n = take_buffered();
      if (!n) n = co_await read_piece(upstream);
      if (!n) co_return;
      body.append(buffer_.data(), *n);
      if (body.size() > r_.proxy.config().max_response_buffer_bytes) {
        fail(make_error(Reason::UpstreamProtocolError, "upstream response too large to inspect",
                        Origin::Upstream));
        co_return;
      }
    }
    release_upstream();
    if (auto read = r_.flow.on_upstream_body(body); !read) {
      fail(read.error());
      co_return;
    }
    head_.clear();
    write_response_head(
        response_spec(result_.status, Framing::sized(body.size()), r_.client_keep_alive), r_.ctx,
        head_);
    r_.ctx.response_bytes = body.size();
    r_.flow.end_response(EndKind::Complete);
    if (r_.flow.finishing_pending()) co_await r_.flow.finish();
    const bool written = co_await write_to_client(head_, body, false, true);
    result_.client_keep_alive = written && r_.client_keep_alive;
  }

  // How the client's response is delimited: the upstream's length when the bytes pass as they
  // came; otherwise chunked, or the end of the connection for an HTTP/1.0 client.
  Framing client_framing(bool has_body, bool& keep_alive) const {
    if (!has_body) {
      if (r_.ctx.method == "HEAD" && plan_.mode == BodyPlan::Mode::Pass) {
        if (auto length = response_head_.content_length()) return Framing::sized(*length);
      }
      return Framing::none();
    }
    if (plan_.mode == BodyPlan::Mode::Pass) {
      if (auto length = response_head_.content_length()) return Framing::sized(*length);
    }
    if (r_.client_version >= 11) return Framing::chunked();
    keep_alive = false;  // HTTP/1.0 client: the end of the body is the end of the connection
    return Framing::none();
  }

  // Piece by piece: each read is reported to the pipeline and what it gives back is written.
  template <class Stream>
  net::awaitable<void> relay_pieces(Stream& upstream) {
    const bool has_body = response_has_body();
    bool keep_alive = r_.client_keep_alive;
    const Framing framing = client_framing(has_body, keep_alive);
    const bool chunked = framing.kind == Framing::Kind::Chunked;
    head_.clear();
    write_response_head(response_spec(result_.status, framing, keep_alive), r_.ctx, head_);
    bool head_sent = false;
    while (true) {
      std::size_t got = 0;
      if (has_body && !body_done()) {
        // Streams start flowing as soon as the head is known; a body already buffered with
        // the head leaves with it in one write.
        if (!head_sent && conn_->buffer.size() == 0) {
          if (!co_await write_to_client(head_, {}, false, false)) co_return;
          head_sent = true;
        }
        std::optional<std::size_t> n = take_buffered();
        if (!n) n = co_await read_piece(upstream);
        if (!n) co_return;
        got = *n;
      }
      bool done = !has_body || body_done();
      auto out = r_.flow.on_upstream_piece(std::string_view(buffer_.data(), got), done);
      if (!out) {
        fail(out.error());
        co_return;
      }
      if (out->end_stream && !done) {
        done = true;
        conn_.reset();  // the rest of the upstream's body is not read: never pooled
      }
      r_.ctx.response_bytes += out->data.size();
      if (done) {
        release_upstream();
        // The answer is complete; its last bytes wait until every stage is ready for that.
        r_.flow.end_response(EndKind::Complete);
        if (r_.flow.finishing_pending()) co_await r_.flow.finish();
      }
      if (!co_await write_to_client(head_sent ? std::string_view() : head_, out->data, chunked,
                                    done)) {
        co_return;
      }
      head_sent = true;
      if (done) break;
    }
    result_.client_keep_alive = keep_alive;
  }

  // The answer failed on the upstream's side: recorded, and the connection is not reused.
  void fail(Error error) {
    result_.error = std::move(error);
    conn_.reset();
  }

  // RFC 9110 6.4.1: answers to HEAD, 1xx, 204 and 304 have no body whatever their head says.
  bool response_has_body() const {
    const int status = response_head_.status();
    return !(r_.ctx.method == "HEAD" || status < 200 || status == 204 || status == 304);
  }

  bool body_done() const { return body_left_ ? *body_left_ == 0 : parser_->is_done(); }

  // Reads the next piece of the upstream body into buffer_; nullopt after a failure (recorded).
  template <class Stream>
  net::awaitable<std::optional<std::size_t>> read_piece(Stream& upstream) {
    if (body_left_) co_return co_await read_sized_piece(upstream);  // take_buffered() came first
    parser_->set_body_buffer(buffer_.data(), buffer_.size());
    boost::system::error_code ec;
    {  // the deadline belongs to the connection: disarmed before a failure drops it
      http::Deadline::Scope timed(*conn_->deadline, up_->response_timeout);
      ec = timed.check(co_await http::read_some(upstream, conn_->buffer, *parser_));
    }
    if (ec && ec != bhttp::error::need_buffer) {
      result_.error = upstream_error(*up_, "reading the response body", ec);
      conn_.reset();
      co_return std::nullopt;
    }
    co_return buffer_.size() - parser_->body_room();
  }

  // The next piece of a sized body when the connection's buffer already holds some of it (a
  // body that arrived with its head): no read, no suspension.
  std::optional<std::size_t> take_buffered() {
    auto& in = conn_->buffer;
    if (!body_left_ || in.size() == 0) return std::nullopt;
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>({buffer_.size(), *body_left_, in.size()}));
    std::memcpy(buffer_.data(), in.data().data(), n);
    in.consume(n);
    *body_left_ -= n;
    return n;
  }

  // The same for a body of known size once the buffer is drained: reads straight into
  // buffer_, never past the body's end.
  template <class Stream>
  net::awaitable<std::optional<std::size_t>> read_sized_piece(Stream& upstream) {
    const std::size_t room =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), *body_left_));
    boost::system::error_code ec;
    std::size_t n = 0;
    {  // the deadline belongs to the connection: disarmed before a failure drops it
      http::Deadline::Scope timed(*conn_->deadline, up_->response_timeout);
      auto [read_ec, read] =
          co_await upstream.async_read_some(net::buffer(buffer_.data(), room), kTuple);
      ec = timed.check(read_ec);
      n = read;
    }
    if (ec == net::error::eof) ec = bhttp::error::partial_message;
    if (ec) {
      result_.error = upstream_error(*up_, "reading the response body", ec);
      conn_.reset();
      co_return std::nullopt;
    }
    *body_left_ -= n;
    co_return n;
  }

  void release_upstream() {
    if (!conn_) return;
    // A 101 hands the connection over to another protocol: never back into the pool.
    const bool reusable = body_done() && response_head_.status() != 101 &&
                          (body_left_ ? response_head_.keep_alive() : parser_->keep_alive());
    if (conn_ && reusable) {
      r_.pool.release(*up_, std::move(conn_));
    }
    conn_.reset();
  }

  ForwardRequest<ClientStream>& r_;
  const UpstreamConfig* up_ = nullptr;
  http::ConnectionPtr conn_;
  std::string head_;  // the request head, then the response head
  bool request_chunked_ = false;
  http::ResponseHead response_head_{64 * 1024};
  BodyPlan plan_;
  std::optional<std::uint64_t> body_left_;      // set when the body is sized (or absent)
  std::optional<http::ResponseParser> parser_;  // otherwise: chunked, or to the connection's end
  RelayBuffer buffer_;
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
