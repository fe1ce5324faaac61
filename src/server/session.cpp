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
#include <charconv>
#include <random>
#include <unordered_map>

#include "core/strings.hpp"
#include "http/head.hpp"
#include "http/read.hpp"
#include "proxy/forward.hpp"
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

// Per-thread caches of metric references: registry lookups take a lock. Looked up by
// string_view so that a hit allocates nothing.
template <class Metric>
using MetricMap = std::unordered_map<std::string, Metric*, StringHash, std::equal_to<>>;

struct RequestMetrics {
  MetricMap<metrics::Counter> requests;
  MetricMap<metrics::Histogram> durations;
  MetricMap<metrics::Histogram> upstream;
  MetricMap<metrics::Counter> tokens;
  std::unordered_map<const Stage*, metrics::Histogram*> phases;
  std::string key;  // scratch for composite keys

  static RequestMetrics& local() {
    thread_local RequestMetrics m;
    return m;
  }

  template <class Map, class Make>
  static auto& get(Map& map, std::string_view key, Make make) {
    auto it = map.find(key);
    if (it == map.end()) it = map.emplace(std::string(key), &make()).first;
    return *it->second;
  }
};

void observe_phase(const Stage& stage, std::chrono::microseconds d) {
  auto& m = RequestMetrics::local();
  auto it = m.phases.find(&stage);
  if (it == m.phases.end()) {
    auto& histogram = metrics::Registry::global().histogram("gw_pipeline_phase_duration_seconds",
                                                            "Time spent in each pipeline phase",
                                                            {{"phase", std::string(stage.name())}});
    it = m.phases.emplace(&stage, &histogram).first;
  }
  it->second->observe(static_cast<double>(d.count()) / 1e6);
}

void record_metrics(const RequestContext& ctx) {
  auto& m = RequestMetrics::local();
  auto& registry = metrics::Registry::global();
  const std::string_view route = ctx.route ? std::string_view(ctx.route->name) : "";
  const std::string_view reason = ctx.reason == Reason::None ? "" : code(ctx.reason);
  char status_digits[12];
  const auto status_end =
      std::to_chars(std::begin(status_digits), std::end(status_digits), ctx.status).ptr;
  const std::string_view status(status_digits,
                                static_cast<std::size_t>(status_end - status_digits));
  m.key.assign(route).append(1, '\0').append(status).append(1, '\0').append(reason);
  RequestMetrics::get(m.requests, m.key, [&]() -> metrics::Counter& {
    return registry.counter("gw_http_requests_total", "Requests by route, status and reason code",
                            {{"route", std::string(route)},
                             {"status", std::string(status)},
                             {"reason", std::string(reason)}});
  }).inc();
  RequestMetrics::get(m.durations, route, [&]() -> metrics::Histogram& {
    return registry.histogram("gw_http_request_duration_seconds",
                              "Time from the request head to the last response byte",
                              {{"route", std::string(route)}});
  }).observe(static_cast<double>(ctx.timings.total.count()) / 1e6);
  if (ctx.upstream_reached && ctx.route) {
    const std::string& up = ctx.route->upstream;
    RequestMetrics::get(m.upstream, up, [&]() -> metrics::Histogram& {
      return registry.histogram("gw_upstream_duration_seconds",
                                "Time to the upstream's response head", {{"upstream", up}});
    }).observe(static_cast<double>(ctx.timings.upstream.count()) / 1e6);
  }
  if (ctx.model && ctx.usage.reported) {
    const std::string& model = ctx.model->model;
    m.key.assign(model).append("\0in", 3);
    RequestMetrics::get(m.tokens, m.key, [&]() -> metrics::Counter& {
      return registry.counter("gw_tokens_total", "Tokens reported by upstreams",
                              {{"model", model}, {"direction", "input"}});
    }).inc(static_cast<std::uint64_t>(ctx.usage.input_tokens));
    m.key.assign(model).append("\0out", 4);
    RequestMetrics::get(m.tokens, m.key, [&]() -> metrics::Counter& {
      return registry.counter("gw_tokens_total", "Tokens reported by upstreams",
                              {{"model", model}, {"direction", "output"}});
    }).inc(static_cast<std::uint64_t>(ctx.usage.output_tokens));
  }
}

// Appends `value` as a JSON string (quotes and escapes included).
void append_json_string(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// One JSON line per request, built by hand: it runs on every request.
void access_log(const RequestContext& ctx) {
  static auto logger = spdlog::get("access");
  if (!logger || !logger->should_log(spdlog::level::info)) return;
  std::string line;
  line.reserve(512);
  auto field = [&line](std::string_view key, std::string_view value) {
    line += line.empty() ? "{\"" : ",\"";
    line += key;
    line += "\":";
    append_json_string(line, value);
  };
  auto number = [&line](std::string_view key, std::int64_t value) {
    line += ",\"";
    line += key;
    line += "\":";
    line += std::to_string(value);
  };
  char time[32];
  const auto t = std::chrono::system_clock::to_time_t(ctx.received_at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%SZ", &tm);
  field("time", time);
  field("request_id", ctx.request_id);
  field("client", ctx.client_address);
  field("method", ctx.method);
  field("path", ctx.path.empty() ? std::string_view(ctx.target).substr(0, 256)
                                 : std::string_view(ctx.path));
  number("status", ctx.status);
  if (ctx.reason != Reason::None) field("reason", code(ctx.reason));
  if (ctx.route) {
    field("route", ctx.route->name);
    field("upstream", ctx.route->upstream);
  }
  if (ctx.identity) field("user", ctx.identity->user_id);
  if (ctx.model) field("model", ctx.model->model);
  if (ctx.mcp && !ctx.mcp->tool.empty()) field("tool", ctx.mcp->tool);
  if (ctx.decision != Decision::None) field("decision", to_string(ctx.decision));
  if (ctx.usage.reported) {
    number("tokens_in", ctx.usage.input_tokens);
    number("tokens_out", ctx.usage.output_tokens);
  }
  number("bytes_in", static_cast<std::int64_t>(ctx.body_bytes));
  number("bytes_out", static_cast<std::int64_t>(ctx.response_bytes));
  number("duration_us", ctx.timings.total.count());
  if (ctx.upstream_reached) number("upstream_us", ctx.timings.upstream.count());
  line += '}';
  logger->info(line);
}

std::chrono::microseconds* phase_slot(RequestContext& ctx, std::string_view stage) {
  if (stage == "identity") return &ctx.timings.identity;
  if (stage == "route" || stage == "route_body") return &ctx.timings.route;
  if (stage == "policy") return &ctx.timings.policy;
  if (stage == "content") return &ctx.timings.content;
  if (stage == "limits") return &ctx.timings.limits;
  return nullptr;
}

// The first client header whose name has '_' (refused under server.headers.underscores:
// reject); empty when none has.
std::string_view underscored_header(const RequestContext& ctx) {
  for (const auto& [name, value] : ctx.headers) {
    if (name.find('_') != std::string_view::npos) return name;
  }
  return {};
}

std::string server_timing(const RequestContext& ctx) {
  std::string out;
  auto add = [&](std::string_view name, std::chrono::microseconds d) {
    if (d.count() == 0) return;
    if (!out.empty()) out += ", ";
    out += std::string(name) + ";dur=" + std::to_string(static_cast<double>(d.count()) / 1000.0);
  };
  add("identity", ctx.timings.identity);
  add("route", ctx.timings.route);
  add("policy", ctx.timings.policy);
  add("content", ctx.timings.content);
  add("limits", ctx.timings.limits);
  return out;
}

template <class Stream>
class Session {
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

  net::awaitable<void> run() {
    bool first = true;
    while (!rt_.draining.load()) {
      const bool keep_going = co_await handle_one(first);
      first = false;
      if (!keep_going) break;
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

  net::awaitable<bool> handle_one(bool first) {
    head_.reset();
    slot_.idle = true;
    boost::system::error_code ec;
    bool got_some = false;
    {
      http::Deadline::Scope timed(deadline_,
                                  first ? settings().header_read_timeout : settings().idle_timeout);
      ec = timed.check(co_await http::read_head(stream_, buffer_, head_, got_some));
    }
    slot_.idle = false;
    if (ec) co_return co_await reject_unreadable(ec, got_some);

    RequestContext ctx;
    begin(ctx);
    ctx.method = std::string(head_.method());
    ctx.target = std::string(head_.target());
    ctx.headers.reserve(head_.fields().size());
    for (const auto& field : head_.fields()) ctx.headers.emplace_back(field.name, field.value);
    const auto client_id = ctx.header("x-request-id");
    ctx.request_id =
        proxy::accept_request_id(client_id) ? std::string(client_id) : new_request_id();
    const unsigned version = head_.version();
    bool keep_alive = head_.keep_alive() && !rt_.draining.load();
    const bool has_body = head_.has_body();

    if (ctx.target.size() > settings().max_target_bytes) {
      co_await reply_local(ctx,
                           Verdict::reject(Reason::UriTooLong, "the request-target is too long"),
                           version, false);
      complete(ctx);
      co_return false;
    }
    if (settings().underscore_headers == proxy::UnderscoreHeaders::Reject) {
      if (auto name = underscored_header(ctx); !name.empty()) {
        const bool keep = keep_alive && !has_body;
        const bool written = co_await reply_local(
            ctx,
            Verdict::reject(Reason::InvalidHeader,
                            "header names with '_' are not accepted: " + std::string(name)),
            version, keep);
        complete(ctx);
        co_return keep&& written;
      }
    }
    if (auto builtin = builtin_response(ctx)) {
      co_await write_builtin(ctx, std::move(*builtin), version, keep_alive && !has_body);
      co_return keep_alive && !has_body;
    }
    if (!is_admin_ && is_decision_request(ctx)) {
      // No body is read: a request that has one cannot keep its connection.
      const bool keep = keep_alive && !has_body;
      const bool written = co_await decide(ctx, version, keep);
      co_return keep&& written;
    }
    if (is_admin_) {
      co_await reply_local(ctx, Verdict::reject(Reason::NoRoute, "not an admin endpoint"), version,
                           keep_alive && !has_body);
      co_return keep_alive && !has_body;
    }

    // The pipeline. Stages before the first one that needs the body run before it is read.
    std::optional<bhttp::request_parser<bhttp::string_body>> buffered;
    bool body_read = !has_body;
    if (!has_body) ctx.body_buffered = true;
    Verdict verdict;
    // One clock read per stage boundary: each stage ends where the next one starts.
    auto t0 = std::chrono::steady_clock::now();
    for (Stage* stage : rt_.stage_list) {
      if (!body_read && stage->needs_body(ctx)) {
        body_read = true;
        auto read = co_await read_body(buffered, ctx);
        if (!read) {
          verdict = Verdict::reject(read.error().reason, read.error().detail);
          keep_alive = false;
          break;
        }
        t0 = std::chrono::steady_clock::now();  // reading the body is no stage's time
      }
      if (auto now = stage->decide_now(ctx)) {
        verdict = std::move(*now);
      } else {
        verdict = co_await stage->on_request(ctx);
      }
      t0 = note_phase(*stage, ctx, t0);
      if (!verdict.proceeds()) break;
    }
    if (!verdict.proceeds()) {
      // An unread body would be taken for the next request: close instead.
      const bool keep = keep_alive && body_read;
      const bool written = co_await reply_local(ctx, verdict, version, keep);
      complete(ctx);
      co_return keep&& written;
    }

    std::optional<bhttp::request_parser<bhttp::buffer_body>> streamed;
    if (!body_read) {
      const auto length = head_.content_length();
      if (length && *length <= kBufferSmallBodies) {
        auto read = co_await read_body(buffered, ctx);
        if (!read) {
          co_await reply_local(ctx, Verdict::reject(read.error().reason, read.error().detail),
                               version, false);
          complete(ctx);
          co_return false;
        }
      } else {
        co_await send_continue(ctx);
        ec = start_body(streamed);
        if (ec) {
          co_await reply_local(ctx, Verdict::reject(Reason::BadRequest, ec.message()), version,
                               false);
          complete(ctx);
          co_return false;
        }
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
                                          rt_.stage_list,
                                          keep_alive,
                                          version,
                                          settings().idle_timeout,
                                          settings().underscore_headers};
    auto result = co_await proxy::forward(request);
    bool keep = result.client_keep_alive && !result.error;
    if (result.error) {
      ctx.reason = result.error->reason;
      if (!result.response_started) {
        // Nothing reached the client yet: answer with the error. A half-read streamed body
        // means the connection cannot be reused.
        keep = keep_alive && !streamed;
        if (result.finishing_done) {
          co_await write_local(ctx, Verdict::reject(result.error->reason, result.error->detail),
                               version, keep);
        } else {
          keep =
              co_await reply_local(ctx, Verdict::reject(result.error->reason, result.error->detail),
                                   version, keep) &&
              keep;
        }
      }
    }
    complete(ctx);
    co_return keep && !rt_.draining.load();
  }

  // Charges the time since `t0` to the stage's phase (context, Server-Timing, histogram);
  // returns now.
  static std::chrono::steady_clock::time_point note_phase(
      const Stage& stage, RequestContext& ctx, std::chrono::steady_clock::time_point t0) {
    const auto now = std::chrono::steady_clock::now();
    const auto spent = std::chrono::duration_cast<std::chrono::microseconds>(now - t0);
    if (auto* slot = phase_slot(ctx, stage.name())) *slot += spent;
    observe_phase(stage, spent);
    return now;
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
    co_await reply_local(ctx, Verdict::reject(reason, detail), 11, false);
    complete(ctx);
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

  net::awaitable<Result<void>> read_body(
      std::optional<bhttp::request_parser<bhttp::string_body>>& buffered, RequestContext& ctx) {
    if (!head_.has_body()) {
      ctx.body_buffered = true;
      co_return Result<void>{};
    }
    co_await send_continue(ctx);
    auto ec = start_body(buffered);
    if (!ec) {
      http::Deadline::Scope timed(deadline_, settings().body_read_timeout);
      ec = timed.check(co_await http::read_message(stream_, buffer_, *buffered));
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
    ctx.body = std::move(buffered->get().body());
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

  // The decision endpoint (nginx auth_request, Envoy ext_authz, Traefik ForwardAuth): runs the
  // request stages against the original method and URI and answers 200 with the identity
  // headers, or the rejection. Nothing is forwarded; stages that need the body are skipped.
  net::awaitable<bool> decide(RequestContext& ctx, unsigned version, bool keep_alive) {
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
      co_return co_await reply_local(
          ctx, Verdict::reject(Reason::BadRequest, "no usable original method and URI"), version,
          keep_alive);
    }
    ctx.method = std::move(method);
    ctx.target = std::move(target);
    ctx.body_buffered = true;  // there is no body to read

    Verdict verdict;
    auto t0 = std::chrono::steady_clock::now();
    for (Stage* stage : rt_.stage_list) {
      if (stage->needs_body(ctx)) continue;
      if (auto now = stage->decide_now(ctx)) {
        verdict = std::move(*now);
      } else {
        verdict = co_await stage->on_request(ctx);
      }
      t0 = note_phase(*stage, ctx, t0);
      if (!verdict.proceeds()) break;
    }
    if (!verdict.proceeds()) {
      const bool written = co_await reply_local(ctx, verdict, version, keep_alive);
      complete(ctx);
      co_return written;
    }

    ctx.status = 200;
    ctx.reason = Reason::None;
    const Completion completion{ctx.status, ctx.reason, false};
    for (Stage* stage : rt_.stage_list) {
      if (stage->has_finishing()) co_await stage->on_finishing(ctx, completion);
    }
    std::string fields = "Cache-Control: no-store\r\n";
    if (ctx.identity) {
      proxy::write_identity_headers(*ctx.identity, rt_.proxy->config().headers, fields);
    }
    std::string head;
    proxy::write_response_head(
        {version, 200, "", {}, proxy::Framing::sized(0), keep_alive && !rt_.draining.load()}, ctx,
        head, fields);
    http::Deadline::Scope timed(deadline_, settings().idle_timeout);
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(head), kTuple);
    (void)n;
    complete(ctx);
    co_return !ec;
  }

  // Built-in endpoints; true when the request was one of them.
  struct Builtin {
    int status = 200;
    std::string body;
    std::string_view content_type = "application/json";
  };

  // The gateway's own endpoints (health, readiness, its JWKS, resource metadata, metrics on the
  // admin listener): decided without a coroutine, since nearly every request is none of them.
  std::optional<Builtin> builtin_response(const RequestContext& ctx) const {
    if (ctx.method != "GET" && ctx.method != "HEAD") return std::nullopt;
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
    } else if (path == "/metrics" && is_admin_) {
      out.body = metrics::Registry::global().render();
      out.content_type = "text/plain; version=0.0.4; charset=utf-8";
    } else {
      return std::nullopt;
    }
    return out;
  }

  net::awaitable<void> write_builtin(const RequestContext& ctx, Builtin builtin, unsigned version,
                                     bool keep_alive) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(builtin.status), version};
    res.set(bhttp::field::content_type, builtin.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Request-Id", ctx.request_id);
    res.body() = std::move(builtin.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    if (ctx.method == "HEAD") res.body().clear();
    http::Deadline::Scope timed(deadline_, settings().idle_timeout);
    co_await bhttp::async_write(stream_, res, kTuple);
  }

  // Answers with the verdict's status and JSON body after the finishing hooks.
  net::awaitable<bool> reply_local(RequestContext& ctx, const Verdict& verdict, unsigned version,
                                   bool keep_alive) {
    ctx.status = status(verdict.reason);
    ctx.reason = verdict.reason;
    const Completion completion{ctx.status, verdict.reason, ctx.upstream_reached};
    for (Stage* stage : rt_.stage_list) {
      if (stage->has_finishing()) co_await stage->on_finishing(ctx, completion);
    }
    co_return co_await write_local(ctx, verdict, version, keep_alive);
  }

  net::awaitable<bool> write_local(RequestContext& ctx, const Verdict& verdict, unsigned version,
                                   bool keep_alive) {
    ctx.status = status(verdict.reason);
    ctx.reason = verdict.reason;
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

  void complete(RequestContext& ctx) {
    ctx.timings.total = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - ctx.started);
    const Completion completion{ctx.status, ctx.reason, ctx.upstream_reached};
    for (Stage* stage : rt_.stage_list) stage->on_complete(ctx, completion);
    record_metrics(ctx);
    access_log(ctx);
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
