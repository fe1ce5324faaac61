#include "server/request_log.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <ctime>
#include <unordered_map>

#include "core/metrics.hpp"
#include "core/strings.hpp"

namespace gw::server {
namespace {

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

}  // namespace

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

namespace {

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
  if (ctx.model && ctx.usage.any()) {
    const std::string& model = ctx.model->model;
    m.key.assign(model).append("\0in", 3);
    RequestMetrics::get(m.tokens, m.key, [&]() -> metrics::Counter& {
      return registry.counter("gw_tokens_total",
                              "Tokens used: reported by upstreams, or counted from what passed",
                              {{"model", model}, {"direction", "input"}});
    }).inc(static_cast<std::uint64_t>(ctx.usage.input_tokens));
    m.key.assign(model).append("\0out", 4);
    RequestMetrics::get(m.tokens, m.key, [&]() -> metrics::Counter& {
      return registry.counter("gw_tokens_total",
                              "Tokens used: reported by upstreams, or counted from what passed",
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
  if (ctx.usage.any()) {
    number("tokens_in", ctx.usage.input_tokens);
    number("tokens_out", ctx.usage.output_tokens);
    if (ctx.usage.estimated) line += ",\"tokens_estimated\":true";
  }
  number("bytes_in", static_cast<std::int64_t>(ctx.body_bytes));
  number("bytes_out", static_cast<std::int64_t>(ctx.response_bytes));
  number("duration_us", ctx.timings.total.count());
  if (ctx.upstream_reached) number("upstream_us", ctx.timings.upstream.count());
  line += '}';
  logger->info(line);
}

}  // namespace

std::string server_timing(const RequestContext& ctx) {
  std::string out;
  for (std::size_t i = 0; i < kPhaseCount; ++i) {
    const auto phase = static_cast<Phase>(i);
    const auto d = ctx.timings[phase];
    if (phase == Phase::Other || d.count() == 0) continue;
    if (!out.empty()) out += ", ";
    out += to_string(phase);
    out += ";dur=" + std::to_string(static_cast<double>(d.count()) / 1000.0);
  }
  return out;
}

void record_request(const RequestContext& ctx) {
  record_metrics(ctx);
  access_log(ctx);
}

}  // namespace gw::server
