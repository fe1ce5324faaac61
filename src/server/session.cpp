// One client connection: read a request head, run the pipeline, forward or answer locally,
// repeat while keep-alive allows. A template over the stream type (plain TCP or TLS).

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <random>

#include "core/strings.hpp"
#include "http/head.hpp"
#include "http/read.hpp"
#include "proxy/forward.hpp"
#include "server/request_log.hpp"
#include "server/runtime.hpp"

namespace gw::server {
namespace {

namespace bhttp = beast::http;
namespace json = boost::json;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
// Bodies up to this size are read before forwarding, so a stale pooled connection can be
// retried without losing anything; larger ones stream.
constexpr std::uint64_t kBufferSmallBodies = 64 * 1024;

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t v = rng();
    for (int i = 0; i < 16; ++i) {
      id[half * 16 + i] = kHex[v & 15];
      v >>= 4;
    }
  }
  return id;
}

std::string error_body(Reason reason, std::string_view detail) {
  json::object error;
  error["code"] = code(reason);
  error["message"] = detail.empty() ? code(reason) : detail;
  json::object body;
  body["error"] = std::move(error);
  return json::serialize(body);
}

// The first client header whose name has '_' (refused under server.headers.underscores:
// reject); empty when none has.
std::string_view underscored_header(const RequestContext& ctx) {
  for (const auto& [name, value] : ctx.headers) {
    if (name.find('_') != std::string_view::npos) return name;
  }
  return {};
}

// What the session keeps of the current request's head once the context holds the rest.
struct RequestShape {
  unsigned version = 11;
  bool keep_alive = true;
  bool has_body = false;
};

template <class Stream>
class Session final : private BodyReader {
 public:
  Session(Runtime& rt, Worker& worker, Stream& stream, http::Deadline& deadline,
          ConnectionSlot& slot, std::string client, bool is_tls, bool is_admin)
      : rt_(rt),
        worker_(worker),
        stream_(stream),
        deadline_(deadline),
        slot_(slot),
        client_(std::move(client)),
        is_tls_(is_tls),
        is_admin_(is_admin),
        head_({rt.config.server.max_header_bytes, rt.config.server.max_body_bytes}) {}

  // Read a head, handle its request, repeat while the connection carries another.
  net::awaitable<void> run() {
    bool first = true;
    while (!rt_.draining.load()) {
      head_.reset();
      slot_.idle = true;
      boost::system::error_code ec;
      bool got_some = false;
      {
        http::Deadline::Scope timed(
            deadline_, first ? settings().header_read_timeout : settings().idle_timeout);
        ec = timed.check(co_await http::read_head(stream_, buffer_, head_, got_some));
      }
      slot_.idle = false;
      first = false;
      bool keep_going = false;
      if (ec) {
        keep_going = co_await reject_unreadable(ec, got_some);
      } else {
        keep_going = co_await handle_request();
      }
      if (!keep_going || rt_.draining.load()) break;
    }
  }

 private:
  const ServerSettings& settings() const { return rt_.config.server; }

  void begin(RequestContext& ctx) {
    ctx.received_at = std::chrono::system_clock::now();
    ctx.started = std::chrono::steady_clock::now();
    ctx.client_address = client_;
    ctx.is_tls = is_tls_;
  }

  // The request context from the head just read.
  void start_request(RequestContext& ctx) {
    begin(ctx);
    ctx.method = std::string(head_.method());
    ctx.target = std::string(head_.target());
    ctx.headers.reserve(head_.fields().size());
    for (const auto& field : head_.fields()) ctx.headers.emplace_back(field.name, field.value);
    const auto client_id = ctx.header("x-request-id");
    ctx.request_id =
        proxy::accept_request_id(client_id) ? std::string(client_id) : new_request_id();
  }

  // One request: the usual one runs the request stages and goes to the upstream; the others
  // (built-ins, the decision endpoint, the admin listener, refusals before any stage) are
  // answered by answer_locally. Whether the connection carries another request.
  net::awaitable<bool> handle_request() {
    RequestContext ctx;
    start_request(ctx);
    const RequestShape shape{head_.version(), head_.keep_alive() && !rt_.draining.load(),
                             head_.has_body()};
    Exchange exchange(*rt_.pipeline, ctx);
    if (is_local_request(ctx)) co_return co_await answer_locally(exchange, ctx, shape);

    if (!shape.has_body) ctx.body_buffered = true;
    auto verdict = exchange.try_run_request();
    if (!verdict) verdict = co_await exchange.run_request(this);
    if (!verdict->proceeds()) {
      // An unread (or half-read) body would be taken for the next request: close instead.
      co_return co_await reply(exchange, *verdict, shape, shape.keep_alive && ctx.body_buffered);
    }
    std::optional<bhttp::request_parser<bhttp::buffer_body>> streamed;
    if (!ctx.body_buffered) {
      if (auto refused = co_await prepare_body(ctx, streamed)) {
        co_return co_await reply(exchange, *refused, shape, false);
      }
    }
    if (settings().server_timing) {
      if (auto timing = server_timing(ctx); !timing.empty()) {
        ctx.response_headers.emplace_back("Server-Timing", std::move(timing));
      }
    }
    proxy::ForwardRequest<Stream> request{stream_,
                                          deadline_,
                                          buffer_,
                                          streamed ? &*streamed : nullptr,
                                          ctx,
                                          *rt_.proxy,
                                          worker_.pool,
                                          exchange,
                                          shape.keep_alive,
                                          shape.version,
                                          settings().idle_timeout,
                                          settings().underscore_headers};
    auto result = co_await proxy::forward(request);
    if (result.error) {
      co_return co_await after_failed_forward(exchange, ctx, shape, result, streamed.has_value());
    }
    exchange.complete();
    co_return result.client_keep_alive;
  }

  // A body the stages did not read: small ones are read now (a stale pooled connection can
  // then be retried), larger ones stream to the upstream. A refusal when it cannot be read.
  net::awaitable<std::optional<Verdict>> prepare_body(
      RequestContext& ctx, std::optional<bhttp::request_parser<bhttp::buffer_body>>& streamed) {
    const auto length = head_.content_length();
    if (length && *length <= kBufferSmallBodies) {
      if (auto read = co_await read_body(ctx); !read) {
        co_return Verdict::reject(read.error().reason, read.error().detail);
      }
      co_return std::nullopt;
    }
    co_await send_continue(ctx);
    if (auto ec = start_body(streamed)) co_return Verdict::reject(Reason::BadRequest, ec.message());
    co_return std::nullopt;
  }

  // Whether the request is answered by the gateway itself, without the pipeline's stages.
  bool is_local_request(const RequestContext& ctx) const {
    return ctx.target.size() > settings().max_target_bytes || is_admin_ ||
           (settings().underscore_headers == proxy::UnderscoreHeaders::Reject &&
            !underscored_header(ctx).empty()) ||
           is_builtin_request(ctx) || is_decision_request(ctx);
  }

  net::awaitable<bool> answer_locally(Exchange& exchange, RequestContext& ctx,
                                      const RequestShape& shape) {
    // A request whose body is not read cannot leave its connection usable.
    const bool keep_unread = shape.keep_alive && !shape.has_body;
    if (ctx.target.size() > settings().max_target_bytes) {
      co_return co_await reply(
          exchange, Verdict::reject(Reason::UriTooLong, "the request-target is too long"), shape,
          false);
    }
    if (settings().underscore_headers == proxy::UnderscoreHeaders::Reject) {
      if (auto name = underscored_header(ctx); !name.empty()) {
        co_return co_await reply(
            exchange,
            Verdict::reject(Reason::InvalidHeader,
                            "header names with '_' are not accepted: " + std::string(name)),
            shape, keep_unread);
      }
    }
    if (is_builtin_request(ctx)) {
      co_return co_await write_builtin(exchange, builtin_response(ctx), shape, keep_unread);
    }
    if (!is_admin_) co_return co_await decide(exchange, ctx, shape);
    co_return co_await reply(exchange, Verdict::reject(Reason::NoRoute, "not an admin endpoint"),
                             shape, keep_unread);
  }

  // The forward failed: broken off mid-answer, or before any byte reached the client.
  net::awaitable<bool> after_failed_forward(Exchange& exchange, RequestContext& ctx,
                                            const RequestShape& shape,
                                            const proxy::ForwardResult& result,
                                            bool body_streamed) {
    const Error& error = *result.error;
    ctx.reason = error.reason;
    exchange.end_response(error.origin == Origin::Client ? EndKind::ClientClosed
                                                         : EndKind::UpstreamError);
    if (result.response_started) {  // the answer broke off: nothing more can be said
      if (exchange.finishing_pending()) co_await exchange.finish();
      exchange.complete();
      co_return false;
    }
    // Nothing reached the client yet: answer with the error. A half-read streamed body means
    // the connection cannot be reused.
    co_return co_await reply(exchange, Verdict::reject(error.reason, error.detail), shape,
                             shape.keep_alive && !body_streamed);
  }

  // The head could not be read: say why when there is someone to tell.
  net::awaitable<bool> reject_unreadable(const boost::system::error_code& ec, bool got_some) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof ||
        ec == beast::error::timeout || !got_some) {
      co_return false;  // closed, cancelled, or timed out (the stream is already closed)
    }
    Reason reason = Reason::BadRequest;
    std::string detail = "malformed HTTP request: " + ec.message();
    if (ec == bhttp::error::header_limit) {
      reason = Reason::HeaderTooLarge;
      detail = "request headers exceed " + std::to_string(settings().max_header_bytes) + " bytes";
    } else if (ec == bhttp::error::body_limit) {
      reason = Reason::BodyTooLarge;
      detail = "request body exceeds " + std::to_string(settings().max_body_bytes) + " bytes";
    }
    RequestContext ctx;
    begin(ctx);
    ctx.request_id = new_request_id();
    Exchange exchange(*rt_.pipeline, ctx);
    co_await reply(exchange, Verdict::reject(reason, detail), RequestShape{11, false, false},
                   false);
    co_return false;
  }

  net::awaitable<void> send_continue(const RequestContext& ctx) {
    if (!iequals(ctx.header("expect"), "100-continue")) co_return;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    http::Deadline::Scope timed(deadline_, settings().body_read_timeout);
    co_await net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()), kTuple);
  }

  // A Beast parser for the body that follows head_, within the body limit.
  template <class Body>
  boost::system::error_code start_body(std::optional<bhttp::request_parser<Body>>& parser) {
    parser.emplace();
    parser->body_limit(settings().max_body_bytes);
    boost::system::error_code ec;
    http::prime_body_parser(head_, *parser, ec);
    return ec;
  }

  // BodyReader: the whole body into ctx.body, bounded and timed.
  net::awaitable<Result<void>> read_body(RequestContext& ctx) override {
    if (!head_.has_body()) {
      ctx.body_buffered = true;
      co_return Result<void>{};
    }
    co_await send_continue(ctx);
    auto ec = start_body(buffered_);
    if (!ec) {
      http::Deadline::Scope timed(deadline_, settings().body_read_timeout);
      ec = timed.check(co_await http::read_message(stream_, buffer_, *buffered_));
    }
    if (ec) {
      if (ec == bhttp::error::body_limit) {
        co_return make_error(
            Reason::BodyTooLarge,
            "request body exceeds " + std::to_string(settings().max_body_bytes) + " bytes");
      }
      if (ec == beast::error::timeout) {
        co_return make_error(Reason::RequestTimeout, "the request body did not arrive in time");
      }
      co_return make_error(Reason::BadRequest, "cannot read the request body: " + ec.message());
    }
    ctx.body = std::move(buffered_->get().body());
    ctx.body_buffered = true;
    ctx.body_bytes = ctx.body.size();
    co_return Result<void>{};
  }

  bool is_decision_request(const RequestContext& ctx) const {
    const std::string& endpoint = settings().decision_endpoint;
    if (endpoint.empty()) return false;
    const std::string_view path = std::string_view(ctx.target).substr(0, ctx.target.find('?'));
    if (path.size() < endpoint.size() || path.compare(0, endpoint.size(), endpoint) != 0) {
      return false;
    }
    return path.size() == endpoint.size() || path[endpoint.size()] == '/';
  }

  // The original method and URI a decision request asks about (nginx, Traefik, Envoy);
  // false when there is none usable.
  bool take_original_request(RequestContext& ctx) const {
    std::string method;
    std::string target;
    if (auto uri = ctx.header("x-original-uri"); !uri.empty()) {  // nginx
      target = std::string(uri);
      method = std::string(ctx.header("x-original-method"));
    } else if (auto fwd = ctx.header("x-forwarded-uri"); !fwd.empty()) {  // Traefik
      target = std::string(fwd);
      method = std::string(ctx.header("x-forwarded-method"));
    } else {  // Envoy ext_authz: the original path follows the endpoint prefix
      target = ctx.target.substr(settings().decision_endpoint.size());
      if (target.empty() || target.front() == '?') target.insert(0, "/");
      method = ctx.method;
    }
    if (method.empty()) method = "GET";
    if (!is_token(method) || target.empty() || target.front() != '/' ||
        target.size() > settings().max_target_bytes) {
      return false;
    }
    ctx.method = std::move(method);
    ctx.target = std::move(target);
    return true;
  }

  // The decision endpoint (nginx auth_request, Envoy ext_authz, Traefik ForwardAuth): runs the
  // request stages against the original method and URI and answers 200 with the identity
  // headers, or the rejection. Nothing is forwarded; stages that need the body are skipped.
  net::awaitable<bool> decide(Exchange& exchange, RequestContext& ctx, const RequestShape& shape) {
    // No body is read: a request that has one cannot keep its connection.
    const bool keep = shape.keep_alive && !shape.has_body;
    if (!take_original_request(ctx)) {
      co_return co_await reply(
          exchange, Verdict::reject(Reason::BadRequest, "no usable original method and URI"), shape,
          keep);
    }
    ctx.body_buffered = true;  // there is no body to read
    exchange.skip_body_stages();
    auto verdict = exchange.try_run_request();
    if (!verdict) verdict = co_await exchange.run_request(nullptr);
    if (!verdict->proceeds()) co_return co_await reply(exchange, *verdict, shape, keep);

    exchange.respond_locally(200, Reason::None);
    if (exchange.finishing_pending()) co_await exchange.finish();
    std::string fields = "Cache-Control: no-store\r\n";
    if (ctx.identity) {
      proxy::write_identity_headers(*ctx.identity, rt_.proxy->config().headers, fields);
    }
    std::string head;
    proxy::write_response_head(
        {shape.version, 200, "", {}, proxy::Framing::sized(0), keep && !rt_.draining.load()}, ctx,
        head, fields);
    http::Deadline::Scope timed(deadline_, settings().idle_timeout);
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(head), kTuple);
    (void)n;
    exchange.complete();
    co_return keep && !ec;
  }

  // Built-in endpoints; true when the request was one of them.
  struct Builtin {
    int status = 200;
    std::string body;
    std::string_view content_type = "application/json";
  };

  // The gateway's own endpoints (health, readiness, its JWKS, resource metadata, metrics on the
  // admin listener).
  bool is_builtin_request(const RequestContext& ctx) const {
    if (ctx.method != "GET" && ctx.method != "HEAD") return false;
    const std::string_view path = std::string_view(ctx.target).substr(0, ctx.target.find('?'));
    return path == "/healthz" || path == "/readyz" || path == "/.well-known/jwks.json" ||
           (path == "/metrics" && is_admin_) || rt_.resource_metadata_docs.contains(path);
  }

  // The answer of a built-in endpoint (is_builtin_request).
  Builtin builtin_response(const RequestContext& ctx) const {
    const std::string_view path = std::string_view(ctx.target).substr(0, ctx.target.find('?'));
    Builtin out;
    if (path == "/healthz") {
      out.body = R"({"status":"ok"})";
    } else if (path == "/readyz") {
      auto readiness = rt_.readiness();
      out.status = readiness.is_ready ? 200 : 503;
      out.body = std::move(readiness.body);
    } else if (path == "/.well-known/jwks.json") {
      out.body = rt_.proxy->jwks();
      out.content_type = "application/jwk-set+json";
    } else if (auto doc = rt_.resource_metadata_docs.find(path);
               doc != rt_.resource_metadata_docs.end()) {
      out.body = doc->second;
    } else if (path == "/metrics") {
      out.body = metrics::Registry::global().render();
      out.content_type = "text/plain; version=0.0.4; charset=utf-8";
    }
    return out;
  }

  net::awaitable<bool> write_builtin(Exchange& exchange, Builtin builtin, const RequestShape& shape,
                                     bool keep_alive) {
    exchange.ctx().builtin = true;
    exchange.respond_locally(builtin.status, Reason::None);
    if (exchange.finishing_pending()) co_await exchange.finish();
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(builtin.status),
                                            shape.version};
    res.set(bhttp::field::content_type, builtin.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Request-Id", exchange.ctx().request_id);
    res.body() = std::move(builtin.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    if (exchange.ctx().method == "HEAD") res.body().clear();
    exchange.ctx().response_bytes = res.body().size();
    http::Deadline::Scope timed(deadline_, settings().idle_timeout);
    co_await bhttp::async_write(stream_, res, kTuple);
    exchange.complete();
    co_return keep_alive;
  }

  // Answers locally with the verdict's status and JSON body, after the finishing hooks; the
  // request is then complete. Whether the connection carries another request.
  net::awaitable<bool> reply(Exchange& exchange, const Verdict& verdict, const RequestShape& shape,
                             bool keep_alive) {
    exchange.respond_locally(status(verdict.reason), verdict.reason);
    if (exchange.finishing_pending()) co_await exchange.finish();
    const bool written = co_await write_local(exchange.ctx(), verdict, shape.version, keep_alive);
    exchange.complete();
    co_return keep_alive&& written;
  }

  net::awaitable<bool> write_local(RequestContext& ctx, const Verdict& verdict, unsigned version,
                                   bool keep_alive) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(ctx.status), version};
    res.set(bhttp::field::content_type,
            verdict.content_type.empty() ? "application/json" : verdict.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Request-Id", ctx.request_id);
    for (const auto& [name, value] : ctx.response_headers) res.insert(name, value);
    res.body() = verdict.body.empty() ? error_body(verdict.reason, verdict.detail) : verdict.body;
    res.keep_alive(keep_alive && !rt_.draining.load());
    res.prepare_payload();
    ctx.response_bytes = res.body().size();
    http::Deadline::Scope timed(deadline_, settings().idle_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, res, kTuple);
    (void)n;
    co_return !ec;
  }

  Runtime& rt_;
  Worker& worker_;
  Stream& stream_;
  http::Deadline& deadline_;
  ConnectionSlot& slot_;
  std::string client_;
  bool is_tls_;
  bool is_admin_;
  beast::flat_buffer buffer_;
  http::RequestHead head_;  // the current request's head; ctx.headers are views into it
  std::optional<bhttp::request_parser<bhttp::string_body>> buffered_;  // a body read whole
};

// Registers the connection with its worker for the whole session.
class SlotGuard {
 public:
  SlotGuard(Runtime& rt, Worker& worker, http::Socket& socket) : rt_(rt), worker_(worker) {
    it_ = worker_.connections.insert(worker_.connections.end(), ConnectionSlot{&socket, false});
    rt_.active_connections.fetch_add(1);
    rt_.metrics.connections_active.add(1);
    rt_.metrics.connections_total.inc();
  }
  ~SlotGuard() {
    worker_.connections.erase(it_);
    rt_.active_connections.fetch_sub(1);
    rt_.metrics.connections_active.add(-1);
  }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  ConnectionSlot& slot() { return *it_; }

 private:
  Runtime& rt_;
  Worker& worker_;
  std::list<ConnectionSlot>::iterator it_;
};

net::awaitable<void> run_plain(Runtime& rt, Worker& worker, http::Socket socket, std::string client,
                               bool admin) {
  http::Deadline deadline(socket);
  SlotGuard guard(rt, worker, socket);
  Session<http::Socket> session(rt, worker, socket, deadline, guard.slot(), std::move(client),
                                false, admin);
  co_await session.run();
  boost::system::error_code ignored;
  socket.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> run_tls(Runtime& rt, Worker& worker, http::Socket socket, std::string client) {
  http::TlsStream stream(std::move(socket), *rt.server_tls);
  http::Deadline deadline(stream.next_layer());
  SlotGuard guard(rt, worker, stream.next_layer());
  {
    http::Deadline::Scope timed(deadline, rt.config.server.header_read_timeout);
    auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, kTuple);
    if (ec) co_return;
  }
  Session<http::TlsStream> session(rt, worker, stream, deadline, guard.slot(), std::move(client),
                                   true, false);
  co_await session.run();
  http::Deadline::Scope timed(deadline, std::chrono::seconds(1));
  co_await stream.async_shutdown(kTuple);
}

}  // namespace

void start_session(Runtime& rt, Worker& worker, net::ip::tcp::socket socket, bool admin) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  std::string client = ec ? "unknown" : remote.address().to_string();
  socket.set_option(net::ip::tcp::no_delay(true), ec);
  auto on_done = [&rt](std::exception_ptr error) {
    if (!error) return;
    rt.metrics.bugs_total.inc();
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("connection ended by an unexpected exception: {}", e.what());
    } catch (...) {
      spdlog::error("connection ended by an unexpected exception");
    }
  };
  if (rt.server_tls && !admin) {
    net::co_spawn(worker.ioc, run_tls(rt, worker, std::move(socket), std::move(client)), on_done);
  } else {
    net::co_spawn(worker.ioc, run_plain(rt, worker, std::move(socket), std::move(client), admin),
                  on_done);
  }
}

void close_idle_connections(Worker& worker) {
  for (auto& slot : worker.connections) {
    if (slot.idle && slot.socket != nullptr) {
      boost::system::error_code ignored;
      slot.socket->cancel(ignored);
    }
  }
}

}  // namespace gw::server
