#pragma once

#include <array>
#include <bit>
#include <boost/json/object.hpp>
#include <cassert>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/request_context.hpp"

namespace gw::audit {

// One entry of an instance's hash chain: a request record (kind "request") or a signed
// checkpoint (kind "checkpoint"). Every field is a string or a 64-bit integer so that the
// canonical encoding, the SQL columns and the JSON lines are exact round trips.
struct Entry {
  std::string instance_id;
  std::int64_t seq = 0;      // 1-based, per instance, never reused across restarts
  std::string kind;          // "request" | "checkpoint"
  std::int64_t time_ms = 0;  // UTC milliseconds since the epoch

  // request
  std::string request_id;
  std::string user_id;
  std::string email;
  std::string tenant;
  std::string team;
  std::string client_address;
  std::string user_agent;
  std::string method;
  std::string route;
  std::string path;
  std::string model;
  std::string mcp_method;
  std::string mcp_tool;
  std::string upstream;
  std::string decision;  // allow | deny | shadow_deny | none
  std::string reason;    // reason code, empty when served
  std::int64_t status = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cost_micro_usd = 0;
  std::int64_t latency_us = 0;
  std::int64_t upstream_latency_us = 0;
  std::int64_t request_bytes = 0;
  std::int64_t response_bytes = 0;
  std::string pii;  // "type:count,..." sorted by type; counts only, never values

  // checkpoint
  std::string checkpoint;  // "segment_start" | "periodic" | "shutdown"
  std::string key_id;      // RFC 7638 thumbprint of the signing key
  std::string signature;   // base64url Ed25519 over the canonical encoding with signature ""

  // chain
  std::string prev_hash;  // lowercase hex; 64 zeros for an instance's first entry
  std::string hash;       // lowercase hex SHA-256 of the canonical encoding

  bool is_checkpoint() const noexcept { return kind == "checkpoint"; }
  bool operator==(const Entry&) const = default;
};

// Names a field of an entry; the enumerators are in canonical order, so a FieldId is also the
// field's index in fields().
enum class FieldId : std::uint8_t {
  InstanceId,
  Seq,
  Kind,
  TimeMs,
  RequestId,
  UserId,
  Email,
  Tenant,
  Team,
  ClientAddress,
  UserAgent,
  Method,
  Route,
  Path,
  Model,
  McpMethod,
  McpTool,
  Upstream,
  Decision,
  Reason,
  Status,
  InputTokens,
  OutputTokens,
  CostMicroUsd,
  LatencyUs,
  UpstreamLatencyUs,
  RequestBytes,
  ResponseBytes,
  Pii,
  Checkpoint,
  KeyId,
  Signature,
  PrevHash,
  Hash,
};

// The number of fields of an entry (fields().size()).
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(FieldId::Hash) + 1;

constexpr std::size_t field_index(FieldId id) noexcept { return static_cast<std::size_t>(id); }
constexpr std::uint64_t field_bit(FieldId id) noexcept {
  return std::uint64_t{1} << field_index(id);
}

// The integer fields (the rest are text); record.cpp checks this against the field table.
inline constexpr std::uint64_t kNumberFields =
    field_bit(FieldId::Seq) | field_bit(FieldId::TimeMs) | field_bit(FieldId::Status) |
    field_bit(FieldId::InputTokens) | field_bit(FieldId::OutputTokens) |
    field_bit(FieldId::CostMicroUsd) | field_bit(FieldId::LatencyUs) |
    field_bit(FieldId::UpstreamLatencyUs) | field_bit(FieldId::RequestBytes) |
    field_bit(FieldId::ResponseBytes);
inline constexpr std::uint64_t kAllFields = (std::uint64_t{1} << kFieldCount) - 1;
inline constexpr std::uint64_t kTextFields = kAllFields & ~kNumberFields;

// A record as the queue carries it from an I/O thread to the writer: the text fields' bytes back
// to back in one buffer, the integers beside them. Handing it to the writer's core moves a few
// cache lines, where an Entry's 25 strings move about twenty; reused, it keeps its buffer, so in
// steady state packing allocates nothing.
//
// Each value is written at its field's id, in any order: the order of the calls never decides
// which field a value lands in.
class PackedRecord {
 public:
  // Starts over, keeping the buffer. Then one set_* per field.
  void clear() noexcept {
    text_.clear();
    is_set_ = 0;
    set_calls_ = 0;
  }
  // `id` must name a text field, not yet set since clear(); a call that names an integer field
  // is ignored (debug builds stop at it).
  void set_text(FieldId id, std::string_view value) {
    assert((field_bit(id) & kTextFields) != 0 && "set_text names a text field");
    assert(!is_set(id) && "each field is set once");
    if ((field_bit(id) & kTextFields) == 0) return;
    // Offset and length each fit in 32 bits; no request comes near 4 GiB of audited text.
    if (value.size() > kMaxTextBytes - text_.size()) value = {};
    mark_set(id);
    values_[field_index(id)] = static_cast<std::int64_t>(text_.size() << 32 | value.size());
    text_.append(value);
  }
  // `id` must name an integer field, not yet set since clear(); a call that names a text field
  // is ignored (debug builds stop at it).
  void set_number(FieldId id, std::int64_t value) noexcept {
    assert((field_bit(id) & kNumberFields) != 0 && "set_number names an integer field");
    assert(!is_set(id) && "each field is set once");
    if ((field_bit(id) & kNumberFields) == 0) return;
    mark_set(id);
    values_[field_index(id)] = value;
  }

  // Fields set so far.
  std::size_t size() const noexcept { return static_cast<std::size_t>(std::popcount(is_set_)); }
  bool is_set(FieldId id) const noexcept { return (is_set_ & field_bit(id)) != 0; }
  // Every field set, each exactly once.
  bool is_complete() const noexcept { return set_calls_ == kFieldCount && is_set_ == kAllFields; }

  void pack(const Entry& entry);
  // Assigns every field of `entry` (its strings keep their buffers); fields never set are empty
  // or 0.
  void unpack(Entry& entry) const;

 private:
  static constexpr std::size_t kMaxTextBytes = 0xffffffff;  // all fields together

  void mark_set(FieldId id) noexcept {
    ++set_calls_;
    is_set_ |= field_bit(id);
  }

  std::string text_;
  // The integer, or where a text field's bytes are in text_ (offset << 32 | length).
  std::array<std::int64_t, kFieldCount> values_{};
  std::uint64_t is_set_ = 0;  // bit i: field i was set
  std::size_t set_calls_ = 0;
};

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Describes one field: its id, its stable name (SQL column, JSON key, canonical name) and where
// it lives in Entry. The order of fields() is the canonical order, fields()[field_index(id)] the
// field named by id.
struct Field {
  FieldId id{};
  std::string_view name;
  std::string Entry::*text = nullptr;     // set for string fields
  std::int64_t Entry::*number = nullptr;  // set for integer fields
};
std::span<const Field> fields() noexcept;
const Field& field(FieldId id) noexcept;

// The bytes that are hashed: "gwaudit1\n", then per field except `hash`, in fields() order,
// `name=<decimal>\n` for integers and `name=<byte length>:<bytes>\n` for strings.
std::string canonical_encoding(const Entry& entry);
// The same bytes, written at the start of `buffer` (grown when too small, never shrunk) and
// returned as a view of it, valid until the buffer is next used.
std::string_view canonical_encoding(const Entry& entry, std::vector<char>& buffer);
// hex(SHA-256(canonical_encoding(entry))).
std::string compute_hash(const Entry& entry);
// The same into `hash`, with the encoding written into `buffer`: for a caller that hashes entry
// after entry (the writer thread) and keeps both.
void compute_hash(const Entry& entry, std::vector<char>& buffer, std::string& hash);

boost::json::object to_json(const Entry& entry);
// Strict: every field must be present with the right type, and nothing else.
std::optional<Entry> from_json(const boost::json::object& object, std::string& error);

// Packs the request part of a record from what the pipeline knows about the request: what an
// I/O thread writes into its queue slot. Every field is set by its id (the chain fields empty).
// `status_if_unset` and `reason_if_unset` stand in for a status and reason the context does not
// carry (how the response ended).
void pack_request(const RequestContext& ctx, PackedRecord& record, std::int64_t status_if_unset = 0,
                  Reason reason_if_unset = Reason::None);
// The same record as an entry (pack_request, then PackedRecord::unpack).
Entry make_request_entry(const RequestContext& ctx);
// The same written over `entry`, whose strings keep their buffers.
void fill_request_entry(const RequestContext& ctx, Entry& entry);

// "type:count,..." sorted by type (counts of the same type are summed).
std::string encode_pii(const std::vector<std::pair<std::string, int>>& findings);

}  // namespace gw::audit
