#include "audit/record.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "core/reason.hpp"
#include "crypto/crypto.hpp"

namespace gw::audit {

namespace {

constexpr Field text(std::string_view name, std::string Entry::*member) {
  return Field{name, member, nullptr};
}
constexpr Field number(std::string_view name, std::int64_t Entry::*member) {
  return Field{name, nullptr, member};
}

const std::array kFields = {
    text("instance_id", &Entry::instance_id),
    number("seq", &Entry::seq),
    text("kind", &Entry::kind),
    number("time_ms", &Entry::time_ms),
    text("request_id", &Entry::request_id),
    text("user_id", &Entry::user_id),
    text("email", &Entry::email),
    text("tenant", &Entry::tenant),
    text("team", &Entry::team),
    text("client_address", &Entry::client_address),
    text("user_agent", &Entry::user_agent),
    text("method", &Entry::method),
    text("route", &Entry::route),
    text("path", &Entry::path),
    text("model", &Entry::model),
    text("mcp_method", &Entry::mcp_method),
    text("mcp_tool", &Entry::mcp_tool),
    text("upstream", &Entry::upstream),
    text("decision", &Entry::decision),
    text("reason", &Entry::reason),
    number("status", &Entry::status),
    number("input_tokens", &Entry::input_tokens),
    number("output_tokens", &Entry::output_tokens),
    number("cost_micro_usd", &Entry::cost_micro_usd),
    number("latency_us", &Entry::latency_us),
    number("upstream_latency_us", &Entry::upstream_latency_us),
    number("request_bytes", &Entry::request_bytes),
    number("response_bytes", &Entry::response_bytes),
    text("pii", &Entry::pii),
    text("checkpoint", &Entry::checkpoint),
    text("key_id", &Entry::key_id),
    text("signature", &Entry::signature),
    text("prev_hash", &Entry::prev_hash),
    text("hash", &Entry::hash),
};

std::int64_t micros(std::chrono::microseconds d) { return d.count(); }

}  // namespace

std::span<const Field> fields() noexcept { return kFields; }

std::string canonical_encoding(const Entry& entry) {
  std::string out = "gwaudit1\n";
  for (const Field& field : kFields) {
    if (field.name == "hash") continue;
    out.append(field.name);
    out.push_back('=');
    if (field.number != nullptr) {
      out.append(std::to_string(entry.*field.number));
    } else {
      const std::string& value = entry.*field.text;
      out.append(std::to_string(value.size()));
      out.push_back(':');
      out.append(value);
    }
    out.push_back('\n');
  }
  return out;
}

std::string compute_hash(const Entry& entry) {
  return crypto::sha256_hex(canonical_encoding(entry));
}

boost::json::object to_json(const Entry& entry) {
  boost::json::object object;
  for (const Field& field : kFields) {
    if (field.number != nullptr) {
      object[field.name] = entry.*field.number;
    } else {
      object[field.name] = entry.*field.text;
    }
  }
  return object;
}

std::optional<Entry> from_json(const boost::json::object& object, std::string& error) {
  Entry entry;
  for (const Field& field : kFields) {
    const auto* value = object.if_contains(field.name);
    if (value == nullptr) {
      error = "missing field " + std::string(field.name);
      return std::nullopt;
    }
    if (field.number != nullptr) {
      if (!value->is_int64()) {
        error = "field " + std::string(field.name) + " is not an integer";
        return std::nullopt;
      }
      entry.*field.number = value->as_int64();
    } else {
      if (!value->is_string()) {
        error = "field " + std::string(field.name) + " is not a string";
        return std::nullopt;
      }
      entry.*field.text = std::string(value->as_string());
    }
  }
  if (object.size() != kFields.size()) {
    error = "unknown field";
    return std::nullopt;
  }
  return entry;
}

std::string encode_pii(const std::vector<std::pair<std::string, int>>& findings) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& [type, count] : findings) counts[type] += count;
  std::string out;
  for (const auto& [type, count] : counts) {
    if (!out.empty()) out.push_back(',');
    out.append(type).append(":").append(std::to_string(count));
  }
  return out;
}

Entry make_request_entry(const RequestContext& ctx) {
  Entry e;
  e.kind = "request";
  e.time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(ctx.received_at.time_since_epoch())
          .count();
  e.request_id = ctx.request_id;
  if (ctx.identity) {
    e.user_id = ctx.identity->user_id;
    e.email = ctx.identity->email;
    e.tenant = ctx.identity->tenant;
    e.team = ctx.identity->team;
  }
  e.client_address = ctx.client_address;
  e.user_agent = std::string(ctx.header("user-agent"));
  e.method = ctx.method;
  // Never the query string: it may carry secrets (api keys, signed URLs).
  e.path = ctx.path.empty() ? ctx.target.substr(0, ctx.target.find('?')) : ctx.path;
  if (ctx.route) {
    e.route = ctx.route->name;
    e.upstream = ctx.route->upstream;
  }
  if (ctx.model) e.model = ctx.model->model;
  if (ctx.mcp) {
    e.mcp_method = ctx.mcp->method;
    e.mcp_tool = ctx.mcp->tool;
  }
  e.decision = std::string(to_string(ctx.decision));
  Reason reason = ctx.reason != Reason::None ? ctx.reason : ctx.decision_reason;
  if (reason != Reason::None) e.reason = std::string(code(reason));
  e.status = ctx.status;
  e.input_tokens = ctx.usage.input_tokens;
  e.output_tokens = ctx.usage.output_tokens;
  e.cost_micro_usd = static_cast<std::int64_t>(ctx.usage.cost_usd * 1e6 + 0.5);
  std::int64_t total = micros(ctx.timings.total);
  if (total == 0 && ctx.started != std::chrono::steady_clock::time_point{}) {
    total = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  ctx.started)
                .count();
  }
  e.latency_us = total;
  e.upstream_latency_us = micros(ctx.timings.upstream);
  e.request_bytes = static_cast<std::int64_t>(ctx.body_bytes);
  e.response_bytes = static_cast<std::int64_t>(ctx.response_bytes);
  e.pii = encode_pii(ctx.pii_findings);
  return e;
}

}  // namespace gw::audit
