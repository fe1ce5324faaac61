#include "audit/record.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
#include <map>

#include "core/reason.hpp"
#include "crypto/crypto.hpp"

namespace gw::audit {

namespace {

constexpr Field text(FieldId id, std::string_view name, std::string Entry::*member) {
  return Field{id, name, member, nullptr};
}
constexpr Field number(FieldId id, std::string_view name, std::int64_t Entry::*member) {
  return Field{id, name, nullptr, member};
}

constexpr std::array kFields = {
    text(FieldId::InstanceId, "instance_id", &Entry::instance_id),
    number(FieldId::Seq, "seq", &Entry::seq),
    text(FieldId::Kind, "kind", &Entry::kind),
    number(FieldId::TimeMs, "time_ms", &Entry::time_ms),
    text(FieldId::RequestId, "request_id", &Entry::request_id),
    text(FieldId::UserId, "user_id", &Entry::user_id),
    text(FieldId::Email, "email", &Entry::email),
    text(FieldId::Tenant, "tenant", &Entry::tenant),
    text(FieldId::Team, "team", &Entry::team),
    text(FieldId::ClientAddress, "client_address", &Entry::client_address),
    text(FieldId::UserAgent, "user_agent", &Entry::user_agent),
    text(FieldId::Method, "method", &Entry::method),
    text(FieldId::Route, "route", &Entry::route),
    text(FieldId::Path, "path", &Entry::path),
    text(FieldId::Model, "model", &Entry::model),
    text(FieldId::McpMethod, "mcp_method", &Entry::mcp_method),
    text(FieldId::McpTool, "mcp_tool", &Entry::mcp_tool),
    text(FieldId::Upstream, "upstream", &Entry::upstream),
    text(FieldId::Decision, "decision", &Entry::decision),
    text(FieldId::Reason, "reason", &Entry::reason),
    number(FieldId::Status, "status", &Entry::status),
    number(FieldId::InputTokens, "input_tokens", &Entry::input_tokens),
    number(FieldId::OutputTokens, "output_tokens", &Entry::output_tokens),
    number(FieldId::CostMicroUsd, "cost_micro_usd", &Entry::cost_micro_usd),
    number(FieldId::LatencyUs, "latency_us", &Entry::latency_us),
    number(FieldId::UpstreamLatencyUs, "upstream_latency_us", &Entry::upstream_latency_us),
    number(FieldId::RequestBytes, "request_bytes", &Entry::request_bytes),
    number(FieldId::ResponseBytes, "response_bytes", &Entry::response_bytes),
    text(FieldId::Pii, "pii", &Entry::pii),
    text(FieldId::Checkpoint, "checkpoint", &Entry::checkpoint),
    text(FieldId::KeyId, "key_id", &Entry::key_id),
    text(FieldId::Signature, "signature", &Entry::signature),
    text(FieldId::PrevHash, "prev_hash", &Entry::prev_hash),
    text(FieldId::Hash, "hash", &Entry::hash),
};

static_assert(kFields.size() == kFieldCount);
// The table is in FieldId order: field_index(id) finds a field's entry.
static_assert([] {
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (field_index(kFields[i].id) != i) return false;
  }
  return true;
}());
static_assert(kFieldCount <= 63, "PackedRecord keeps one bit per field in a 64-bit mask");
// The header's list of integer fields is the table's.
static_assert([] {
  for (const Field& f : kFields) {
    if (((kNumberFields & field_bit(f.id)) != 0) != (f.number != nullptr)) return false;
  }
  return true;
}());

std::int64_t micros(std::chrono::microseconds d) { return d.count(); }

// What the encoder writes before each field's value, "<name>=", in a fixed-size slot so that
// it is copied with one constant-size move.
struct Prefix {
  std::array<char, 24> bytes{};
  std::size_t size = 0;
};
constexpr auto kPrefixes = [] {
  std::array<Prefix, kFields.size()> prefixes{};
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    const std::string_view name = kFields[i].name;
    for (std::size_t j = 0; j < name.size(); ++j) prefixes[i].bytes[j] = name[j];
    prefixes[i].bytes[name.size()] = '=';
    prefixes[i].size = name.size() + 1;
  }
  return prefixes;
}();
static_assert(std::all_of(kPrefixes.begin(), kPrefixes.end(),
                          [](const Prefix& p) { return p.size < p.bytes.size(); }));

constexpr auto kDigitPairs = [] {
  std::array<char, 200> pairs{};
  for (std::size_t i = 0; i < 100; ++i) {
    pairs[2 * i] = static_cast<char>('0' + i / 10);
    pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}();

constexpr std::size_t kMaxDigits = 20;  // "-9223372036854775808"

// Decimal, as std::to_chars writes it, with the short values of most fields done inline.
char* put_decimal(char* p, std::int64_t value) {
  if (value >= 0 && value < 10) {
    *p = static_cast<char>('0' + value);
    return p + 1;
  }
  if (value >= 10 && value < 100) {
    std::memcpy(p, &kDigitPairs[2 * static_cast<std::size_t>(value)], 2);
    return p + 2;
  }
  return std::to_chars(p, p + kMaxDigits, value).ptr;
}

}  // namespace

std::span<const Field> fields() noexcept { return kFields; }

const Field& field(FieldId id) noexcept { return kFields[field_index(id)]; }

std::string_view canonical_encoding(const Entry& entry, std::vector<char>& buffer) {
  // Written through a pointer into a buffer sized for the longest possible encoding (an integer
  // or a length is at most 20 characters, a prefix slot 24): the buffer only ever grows, so once
  // it has its usual size nothing is allocated or cleared.
  constexpr std::string_view kMagic = "gwaudit1\n";
  std::size_t bound = kMagic.size();
  for (const Field& field : kFields) {
    bound += sizeof(Prefix::bytes) + kMaxDigits + 2;  // ":", "\n"
    if (field.text != nullptr) bound += (entry.*field.text).size();
  }
  if (buffer.size() < bound) buffer.resize(bound);
  char* const begin = buffer.data();
  char* p = begin;
  std::memcpy(p, kMagic.data(), kMagic.size());
  p += kMagic.size();
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    const Field& field = kFields[i];
    if (field.text == &Entry::hash) continue;
    std::memcpy(p, kPrefixes[i].bytes.data(), sizeof(Prefix::bytes));
    p += kPrefixes[i].size;
    if (field.number != nullptr) {
      p = put_decimal(p, entry.*field.number);
    } else {
      const std::string& value = entry.*field.text;
      p = put_decimal(p, static_cast<std::int64_t>(value.size()));
      *p++ = ':';
      std::memcpy(p, value.data(), value.size());
      p += value.size();
    }
    *p++ = '\n';
  }
  return std::string_view(begin, static_cast<std::size_t>(p - begin));
}

std::string canonical_encoding(const Entry& entry) {
  std::vector<char> buffer;
  return std::string(canonical_encoding(entry, buffer));
}

void compute_hash(const Entry& entry, std::vector<char>& buffer, std::string& hash) {
  const std::string digest = crypto::sha256(canonical_encoding(entry, buffer));
  // Hex through a table of the 256 digit pairs.
  static constexpr auto kHexPairs = [] {
    constexpr std::string_view digits = "0123456789abcdef";
    std::array<char, 512> table{};
    for (std::size_t i = 0; i < 256; ++i) {
      table[2 * i] = digits[i >> 4];
      table[2 * i + 1] = digits[i & 0x0f];
    }
    return table;
  }();
  hash.resize(digest.size() * 2);
  for (std::size_t i = 0; i < digest.size(); ++i) {
    std::memcpy(&hash[2 * i], &kHexPairs[2 * static_cast<unsigned char>(digest[i])], 2);
  }
}

std::string compute_hash(const Entry& entry) {
  std::vector<char> buffer;
  std::string hash;
  compute_hash(entry, buffer, hash);
  return hash;
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
  fill_request_entry(ctx, e);
  return e;
}

void fill_request_entry(const RequestContext& ctx, Entry& e) {
  PackedRecord record;
  pack_request(ctx, record);
  record.unpack(e);
}

// Every field, each by its id.
void pack_request(const RequestContext& ctx, PackedRecord& out, std::int64_t status_if_unset,
                  Reason reason_if_unset) {
  static constexpr std::string_view kNone;
  out.clear();
  out.set_text(FieldId::InstanceId, kNone);  // the writer's
  out.set_number(FieldId::Seq, 0);           // the writer's
  out.set_text(FieldId::Kind, "request");
  out.set_number(FieldId::TimeMs, std::chrono::duration_cast<std::chrono::milliseconds>(
                                      ctx.received_at.time_since_epoch())
                                      .count());
  out.set_text(FieldId::RequestId, ctx.request_id);
  const Identity* id = ctx.identity.get();
  out.set_text(FieldId::UserId, id ? std::string_view(id->user_id) : kNone);
  out.set_text(FieldId::Email, id ? std::string_view(id->email) : kNone);
  out.set_text(FieldId::Tenant, id ? std::string_view(id->tenant) : kNone);
  out.set_text(FieldId::Team, id ? std::string_view(id->team) : kNone);
  out.set_text(FieldId::ClientAddress, ctx.client_address);
  out.set_text(FieldId::UserAgent, ctx.header("user-agent"));
  out.set_text(FieldId::Method, ctx.method);
  out.set_text(FieldId::Route, ctx.route ? std::string_view(ctx.route->name) : kNone);
  // Never the query string: it may carry secrets (api keys, signed URLs).
  out.set_text(FieldId::Path, ctx.path.empty()
                                  ? std::string_view(ctx.target).substr(0, ctx.target.find('?'))
                                  : std::string_view(ctx.path));
  out.set_text(FieldId::Model, ctx.model ? std::string_view(ctx.model->model) : kNone);
  out.set_text(FieldId::McpMethod, ctx.mcp ? std::string_view(ctx.mcp->method) : kNone);
  out.set_text(FieldId::McpTool, ctx.mcp ? std::string_view(ctx.mcp->tool) : kNone);
  out.set_text(FieldId::Upstream, ctx.route ? std::string_view(ctx.route->upstream) : kNone);
  out.set_text(FieldId::Decision, to_string(ctx.decision));
  Reason reason = ctx.reason != Reason::None ? ctx.reason : ctx.decision_reason;
  if (reason == Reason::None) reason = reason_if_unset;
  out.set_text(FieldId::Reason, reason != Reason::None ? code(reason) : kNone);
  out.set_number(FieldId::Status, ctx.status != 0 ? ctx.status : status_if_unset);
  out.set_number(FieldId::InputTokens, ctx.usage.input_tokens);
  out.set_number(FieldId::OutputTokens, ctx.usage.output_tokens);
  out.set_number(FieldId::CostMicroUsd, static_cast<std::int64_t>(ctx.usage.cost_usd * 1e6 + 0.5));
  std::int64_t total = micros(ctx.timings.total);
  if (total == 0 && ctx.started != std::chrono::steady_clock::time_point{}) {
    total = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  ctx.started)
                .count();
  }
  out.set_number(FieldId::LatencyUs, total);
  out.set_number(FieldId::UpstreamLatencyUs, micros(ctx.timings.upstream));
  out.set_number(FieldId::RequestBytes, static_cast<std::int64_t>(ctx.body_bytes));
  out.set_number(FieldId::ResponseBytes, static_cast<std::int64_t>(ctx.response_bytes));
  if (ctx.pii_findings.empty()) {
    out.set_text(FieldId::Pii, kNone);
  } else {
    out.set_text(FieldId::Pii, encode_pii(ctx.pii_findings));
  }
  // Checkpoint fields and the chain: the writer's.
  for (FieldId chain : {FieldId::Checkpoint, FieldId::KeyId, FieldId::Signature, FieldId::PrevHash,
                        FieldId::Hash}) {
    out.set_text(chain, kNone);
  }
  assert(out.is_complete() && "pack_request sets every field exactly once");
}

void PackedRecord::pack(const Entry& entry) {
  clear();
  for (const Field& field : kFields) {
    if (field.number != nullptr) {
      set_number(field.id, entry.*field.number);
    } else {
      set_text(field.id, entry.*field.text);
    }
  }
}

void PackedRecord::unpack(Entry& entry) const {
  for (const Field& field : kFields) {
    const bool has_value = is_set(field.id);
    const std::int64_t value = values_[field_index(field.id)];
    if (field.number != nullptr) {
      entry.*field.number = has_value ? value : 0;
    } else if (has_value) {
      const auto span = static_cast<std::uint64_t>(value);
      (entry.*field.text).assign(text_.data() + (span >> 32), span & 0xffffffffU);
    } else {
      (entry.*field.text).clear();
    }
  }
}

}  // namespace gw::audit
