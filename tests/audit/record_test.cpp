#include "audit/record.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <limits>
#include <string>
#include <vector>

#include "audit/test_util.hpp"
#include "crypto/crypto.hpp"

namespace gw::audit {
namespace {

// An entry whose every field holds something, as a reused slot does.
Entry leftovers() {
  Entry e;
  for (const Field& field : fields()) {
    if (field.text != nullptr) {
      e.*field.text = "left over from the record before, longer than any short string";
    } else {
      e.*field.number = 7;
    }
  }
  return e;
}

Entry sample() {
  Entry e;
  e.instance_id = "gw-1";
  e.seq = 7;
  e.kind = "request";
  e.time_ms = 1700000000123;
  e.user_id = "alice";
  e.decision = "allow";
  e.status = 200;
  e.pii = "email:2";
  e.prev_hash = std::string(kGenesisHash);
  return e;
}

// The encoding is the documented one, byte for byte: fixed field order, length-prefixed text.
TEST(RecordTest, CanonicalEncodingIsStableAndDocumented) {
  std::string c = canonical_encoding(sample());
  EXPECT_TRUE(c.starts_with(
      "gwaudit1\ninstance_id=4:gw-1\nseq=7\nkind=7:request\ntime_ms=1700000000123\n"));
  EXPECT_NE(c.find("\nuser_id=5:alice\n"), std::string::npos);
  EXPECT_NE(c.find("\nstatus=200\n"), std::string::npos);
  EXPECT_NE(c.find("\npii=7:email:2\n"), std::string::npos);
  EXPECT_EQ(c.find("hash=64:"), c.find("prev_hash=64:") + 5);  // only prev_hash is encoded
  EXPECT_TRUE(c.ends_with("prev_hash=64:" + std::string(kGenesisHash) + "\n"));
  EXPECT_EQ(compute_hash(sample()),
            "f12aacfb901720653e2493975acf6551340da8e7a0dc553c7fd26352446ae716");
}

// Every field set, with the extremes of the integer range, UTF-8, a newline and an "=" in text,
// and empty text: the exact bytes and hash, as produced before the encoder was rewritten.
Entry full() {
  Entry e;
  e.instance_id = "gw-\xc3\xa9\xe2\x82\xac";  // "gw-" + e-acute + euro sign: 8 bytes
  e.seq = std::numeric_limits<std::int64_t>::max();
  e.kind = "request";
  e.time_ms = -1;
  e.request_id = "4f1c2a9b7e6d5c4b3a2918f7e6d5c4b3";
  e.user_id = "dr-smith";
  e.email = "dr.smith@hospital.example";
  e.tenant = "st-mary";
  e.team = "";
  e.client_address = "[2001:db8::1]:443";
  e.user_agent = "curl/8 \"quoted\"\nseq=1\n";
  e.method = "POST";
  e.route = "openai";
  e.path = "/v1/chat/completions";
  e.model = "gpt-4-medical";
  e.mcp_method = "tools/call";
  e.mcp_tool = "calendar.list";
  e.upstream = "openai";
  e.decision = "shadow_deny";
  e.reason = "role_missing";
  e.status = 403;
  e.input_tokens = 0;
  e.output_tokens = 1000000;
  e.cost_micro_usd = std::numeric_limits<std::int64_t>::min();
  e.latency_us = 9;
  e.upstream_latency_us = 10;
  e.request_bytes = 99999999999;
  e.response_bytes = -42;
  e.pii = "email:2,phone:1";
  e.checkpoint = "periodic";
  e.key_id = "kid";
  e.signature = std::string(300, 's');
  e.prev_hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  e.hash = "ignored: the hash is not part of its own encoding";
  return e;
}

TEST(RecordTest, CanonicalEncodingOfEveryFieldIsByteForByteUnchanged) {
  const std::string expected =
      "gwaudit1\n"
      "instance_id=8:gw-\xc3\xa9\xe2\x82\xac\n"
      "seq=9223372036854775807\n"
      "kind=7:request\n"
      "time_ms=-1\n"
      "request_id=32:4f1c2a9b7e6d5c4b3a2918f7e6d5c4b3\n"
      "user_id=8:dr-smith\n"
      "email=25:dr.smith@hospital.example\n"
      "tenant=7:st-mary\n"
      "team=0:\n"
      "client_address=17:[2001:db8::1]:443\n"
      "user_agent=22:curl/8 \"quoted\"\n"
      "seq=1\n"
      "\n"
      "method=4:POST\n"
      "route=6:openai\n"
      "path=20:/v1/chat/completions\n"
      "model=13:gpt-4-medical\n"
      "mcp_method=10:tools/call\n"
      "mcp_tool=13:calendar.list\n"
      "upstream=6:openai\n"
      "decision=11:shadow_deny\n"
      "reason=12:role_missing\n"
      "status=403\n"
      "input_tokens=0\n"
      "output_tokens=1000000\n"
      "cost_micro_usd=-9223372036854775808\n"
      "latency_us=9\n"
      "upstream_latency_us=10\n"
      "request_bytes=99999999999\n"
      "response_bytes=-42\n"
      "pii=15:email:2,phone:1\n"
      "checkpoint=8:periodic\n"
      "key_id=3:kid\n"
      "signature=300:"
      "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
      "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
      "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
      "ssssssssssssssssssssssss\n"
      "prev_hash=64:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
  EXPECT_EQ(canonical_encoding(full()), expected);
  EXPECT_EQ(compute_hash(full()),
            "f2b8eaa0c0bf80a1f79f5f9c0e0726dc29161fadf97c05af0e7ddd671f49e8c8");
}

// The encoding as documented, written the plain way: the reference for the writer's encoder.
std::string reference_encoding(const Entry& entry) {
  std::string out = "gwaudit1\n";
  for (const Field& field : fields()) {
    if (field.name == "hash") continue;
    out += std::string(field.name) + "=";
    if (field.number != nullptr) {
      out += std::to_string(entry.*field.number);
    } else {
      out += std::to_string((entry.*field.text).size()) + ":" + entry.*field.text;
    }
    out += "\n";
  }
  return out;
}

// One buffer reused entry after entry (longer, shorter, empty fields, a stale hash) gives the
// same bytes and hash as a fresh encoding and as the reference.
TEST(RecordTest, ReusedBuffersEncodeEveryEntryLikeTheReference) {
  std::vector<char> buffer;
  std::string hash = "stale";
  std::vector<Entry> entries{full(), sample(), Entry{}, full(), sample()};
  entries[3].signature = std::string(5000, 'x');
  entries[4].user_agent = std::string(1, '\0');
  for (const Entry& e : entries) {
    EXPECT_EQ(canonical_encoding(e, buffer), reference_encoding(e));
    EXPECT_EQ(canonical_encoding(e), reference_encoding(e));
    compute_hash(e, buffer, hash);
    EXPECT_EQ(hash, crypto::sha256_hex(reference_encoding(e)));
    EXPECT_EQ(hash, compute_hash(e));
  }
}

// Length prefixes make field boundaries unambiguous: moving bytes between fields changes the hash.
TEST(RecordTest, MovingBytesBetweenFieldsChangesTheHash) {
  Entry a = sample();
  a.tenant = "ab";
  a.team = "c";
  Entry b = sample();
  b.tenant = "a";
  b.team = "bc";
  EXPECT_NE(compute_hash(a), compute_hash(b));
}

TEST(RecordTest, EveryFieldButTheHashIsCovered) {
  const Entry base = sample();
  for (const Field& f : fields()) {
    if (f.name == "hash") continue;
    Entry changed = base;
    if (f.number) {
      changed.*f.number += 1;
    } else {
      changed.*f.text += "x";
    }
    EXPECT_NE(compute_hash(changed), compute_hash(base)) << f.name;
  }
}

TEST(RecordTest, JsonRoundTripIsExact) {
  Entry e = sample();
  e.user_agent = "curl/8 \"quoted\" \n";
  e.hash = compute_hash(e);
  std::string error;
  auto back = from_json(to_json(e), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, e);
}

TEST(RecordTest, JsonWithUnknownOrMissingFieldsIsRejected) {
  auto object = to_json(sample());
  object["extra"] = 1;
  std::string error;
  EXPECT_FALSE(from_json(object, error));
  object.erase("extra");
  object.erase("seq");
  EXPECT_FALSE(from_json(object, error));
  EXPECT_EQ(error, "missing field seq");
}

RequestContext rich_context() {
  RequestContext ctx;
  ctx.request_id = "r-1";
  ctx.client_address = "10.0.0.9";
  ctx.method = "POST";
  ctx.path = "/v1/chat/completions";
  ctx.received_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1234567));
  auto id = std::make_shared<Identity>();
  id->user_id = "dr-smith";
  id->email = "smith@example.com";
  id->tenant = "hospital";
  id->team = "cardio";
  ctx.identity = id;
  ctx.route = RouteMatch{"chat", "openai", ApiKind::OpenAI, "/v1/chat/completions", false, {}, {}};
  ctx.model = ModelRequest{"gpt-4-medical", "gpt-4-medical", false, 100};
  ctx.decision = Decision::Deny;
  ctx.decision_reason = Reason::RoleMissing;
  ctx.status = 403;
  ctx.usage.input_tokens = 12;
  ctx.usage.output_tokens = 34;
  ctx.usage.cost_usd = 0.0015;
  ctx.pii_findings = {{"phone", 1}, {"email", 2}, {"phone", 3}};
  std::string_view ua_name = "User-Agent";
  std::string_view ua_value = "openai-python/1.0";
  ctx.headers.emplace_back(ua_name, ua_value);
  ctx.timings.total = std::chrono::microseconds(5000);
  ctx.timings.upstream = std::chrono::microseconds(3000);
  return ctx;
}

TEST(RecordTest, RequestEntryTakesIdentityRouteUsageAndCountsOnlyPii) {
  RequestContext ctx = rich_context();
  Entry e = make_request_entry(ctx);
  EXPECT_EQ(e.time_ms, 1234567);
  EXPECT_EQ(e.user_id, "dr-smith");
  EXPECT_EQ(e.email, "smith@example.com");
  EXPECT_EQ(e.tenant, "hospital");
  EXPECT_EQ(e.team, "cardio");
  EXPECT_EQ(e.route, "chat");
  EXPECT_EQ(e.upstream, "openai");
  EXPECT_EQ(e.model, "gpt-4-medical");
  EXPECT_EQ(e.decision, "deny");
  EXPECT_EQ(e.reason, "role_missing");
  EXPECT_EQ(e.status, 403);
  EXPECT_EQ(e.cost_micro_usd, 1500);
  EXPECT_EQ(e.latency_us, 5000);
  EXPECT_EQ(e.upstream_latency_us, 3000);
  EXPECT_EQ(e.user_agent, "openai-python/1.0");
  EXPECT_EQ(e.pii, "email:2,phone:4");
}

}  // namespace
}  // namespace gw::audit

namespace gw::audit {
namespace {

TEST(RecordTest, PathNeverCarriesTheQueryString) {
  RequestContext ctx;
  ctx.target = "/v1/models?api_key=sk-secret";
  EXPECT_EQ(make_request_entry(ctx).path, "/v1/models");
  ctx.path = "/v1/models";
  ctx.query = "api_key=sk-secret";
  EXPECT_EQ(make_request_entry(ctx).path, "/v1/models");
}

// An entry reused record after record (a queue slot) must not keep anything of the one before.
TEST(RecordTest, FillOverwritesEveryFieldOfAReusedEntry) {
  RequestContext ctx;
  ctx.request_id = "r-2";
  ctx.method = "GET";
  ctx.path = "/v1/models";
  ctx.status = 200;
  Entry reused = leftovers();
  fill_request_entry(ctx, reused);
  EXPECT_EQ(reused, make_request_entry(ctx));
  EXPECT_EQ(reused.pii, "");
  EXPECT_EQ(reused.hash, "");
  EXPECT_EQ(reused.seq, 0);
}

TEST(RecordTest, RequestWithoutIdentityOrPolicyIsStillAuditable) {
  RequestContext ctx;
  ctx.request_id = "r-401";
  ctx.reason = Reason::MissingToken;
  ctx.status = 401;
  Entry e = make_request_entry(ctx);
  EXPECT_EQ(e.user_id, "");
  EXPECT_EQ(e.decision, "none");
  EXPECT_EQ(e.reason, "missing_token");
  EXPECT_EQ(e.status, 401);
}

}  // namespace
}  // namespace gw::audit

namespace gw::audit {
namespace {

// An entry whose fields all differ (text of several lengths, an empty one, a negative integer).
Entry every_field_set() {
  Entry e;
  std::int64_t n = -3;
  std::string text = "a";
  for (const Field& field : fields()) {
    if (field.number != nullptr) {
      e.*field.number = n;
      n = n * -7 + 1;
    } else {
      e.*field.text = text;
      text = text.size() > 40 ? std::string() : text + text + "z";
    }
  }
  return e;
}

TEST(PackedRecordTest, PackThenUnpackGivesBackEveryField) {
  const Entry original = every_field_set();
  PackedRecord packed;
  packed.pack(original);
  EXPECT_EQ(packed.size(), fields().size());
  Entry unpacked = leftovers();
  packed.unpack(unpacked);
  EXPECT_EQ(unpacked, original);
  EXPECT_EQ(compute_hash(unpacked), compute_hash(original));
}

// What an I/O thread packs is exactly the entry built from the same request, also when the
// slot held a longer record before.
TEST(PackedRecordTest, PackedRequestIsTheRequestEntry) {
  PackedRecord packed;
  const RequestContext rich = rich_context();
  pack_request(rich, packed);
  Entry unpacked = leftovers();
  packed.unpack(unpacked);
  EXPECT_EQ(unpacked, make_request_entry(rich));
  EXPECT_EQ(unpacked.pii, "email:2,phone:4");

  RequestContext small;
  small.request_id = "r-3";
  small.method = "GET";
  small.target = "/health?token=secret";
  pack_request(small, packed);
  packed.unpack(unpacked);
  EXPECT_EQ(unpacked, make_request_entry(small));
  EXPECT_EQ(unpacked.path, "/health");
  EXPECT_EQ(unpacked.user_id, "");
  EXPECT_EQ(unpacked.pii, "");
}

// How the response ended stands in for a status and reason the request context lacks, never
// for ones it has.
TEST(PackedRecordTest, CompletionFillsOnlyAMissingStatusAndReason) {
  RequestContext ctx;
  ctx.request_id = "r-502";
  PackedRecord packed;
  Entry e;
  pack_request(ctx, packed, 502, Reason::UpstreamUnavailable);
  packed.unpack(e);
  EXPECT_EQ(e.status, 502);
  EXPECT_EQ(e.reason, "upstream_unavailable");

  ctx.status = 403;
  ctx.decision_reason = Reason::RoleMissing;
  pack_request(ctx, packed, 502, Reason::UpstreamUnavailable);
  packed.unpack(e);
  EXPECT_EQ(e.status, 403);
  EXPECT_EQ(e.reason, "role_missing");
}

// A record cut short (fewer fields set than an entry has) leaves the rest empty, never stale.
TEST(PackedRecordTest, FieldsNeverAddedUnpackEmpty) {
  PackedRecord packed;
  packed.set_text(FieldId::InstanceId, "gw-1");
  packed.set_number(FieldId::Seq, 9);
  EXPECT_FALSE(packed.is_complete());
  Entry e = leftovers();
  packed.unpack(e);
  EXPECT_EQ(e.instance_id, "gw-1");
  EXPECT_EQ(e.seq, 9);
  EXPECT_EQ(e.kind, "");
  EXPECT_EQ(e.status, 0);
  EXPECT_EQ(e.hash, "");
}

// The table and the ids agree: each id names the field of its own name, in canonical order.
TEST(FieldIdTest, EachIdNamesItsOwnFieldInTheTable) {
  ASSERT_EQ(fields().size(), kFieldCount);
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto id = static_cast<FieldId>(i);
    EXPECT_EQ(field(id).id, id);
    EXPECT_EQ(&field(id), &fields()[i]);
  }
  EXPECT_EQ(field(FieldId::InstanceId).name, "instance_id");
  EXPECT_EQ(field(FieldId::TimeMs).name, "time_ms");
  EXPECT_EQ(field(FieldId::UserAgent).name, "user_agent");
  EXPECT_EQ(field(FieldId::Status).name, "status");
  EXPECT_EQ(field(FieldId::UpstreamLatencyUs).name, "upstream_latency_us");
  EXPECT_EQ(field(FieldId::Pii).name, "pii");
  EXPECT_EQ(field(FieldId::PrevHash).name, "prev_hash");
  EXPECT_EQ(field(FieldId::Hash).name, "hash");
}

// Values land at their id whatever the order of the calls: set last field first, each field
// reads back its own value by name, and the hash is that of the same entry packed in order.
TEST(PackedRecordTest, EachValueLandsAtItsIdInAnyCallOrder) {
  const Entry distinct = test::entry_with_distinct_fields();
  PackedRecord packed;
  for (std::size_t i = kFieldCount; i-- > 0;) {
    const Field& f = fields()[i];
    if (f.number != nullptr) {
      packed.set_number(f.id, distinct.*f.number);
    } else {
      packed.set_text(f.id, distinct.*f.text);
    }
  }
  EXPECT_TRUE(packed.is_complete());
  Entry unpacked = leftovers();
  packed.unpack(unpacked);
  for (const Field& f : fields()) {
    if (f.number != nullptr) {
      EXPECT_EQ(unpacked.*f.number, test::distinct_number(f.id)) << f.name;
    } else {
      EXPECT_EQ(unpacked.*f.text, test::distinct_text(f.id)) << f.name;
    }
  }
  EXPECT_EQ(unpacked, distinct);

  PackedRecord in_order;
  in_order.pack(distinct);
  Entry from_in_order;
  in_order.unpack(from_in_order);
  EXPECT_EQ(compute_hash(unpacked), compute_hash(from_in_order));
}

// A request whose every audited input differs: each one shows up in the field named for it.
TEST(RecordTest, EachRequestInputLandsInTheFieldNamedForIt) {
  RequestContext ctx;
  ctx.request_id = "in-request-id";
  ctx.client_address = "in-client-address";
  ctx.method = "in-method";
  ctx.path = "in-path";
  ctx.received_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(101));
  auto identity = std::make_shared<Identity>();
  identity->user_id = "in-user-id";
  identity->email = "in-email";
  identity->tenant = "in-tenant";
  identity->team = "in-team";
  ctx.identity = identity;
  ctx.route = RouteMatch{"in-route", "in-upstream", ApiKind::OpenAI, "/x", false, {}, {}};
  ctx.model = ModelRequest{"in-model", "in-upstream-model", false, {}};
  ctx.mcp = McpRequest{"in-mcp-method", "in-mcp-tool", "1"};
  ctx.decision = Decision::ShadowDeny;
  ctx.decision_reason = Reason::RoleMissing;
  ctx.status = 202;
  ctx.usage.input_tokens = 303;
  ctx.usage.output_tokens = 404;
  ctx.usage.cost_usd = 0.000505;
  ctx.timings.total = std::chrono::microseconds(606);
  ctx.timings.upstream = std::chrono::microseconds(707);
  ctx.body_bytes = 808;
  ctx.response_bytes = 909;
  ctx.pii_findings = {{"in-pii", 1}};
  std::string_view ua_name = "user-agent";
  std::string_view ua_value = "in-user-agent";
  ctx.headers.emplace_back(ua_name, ua_value);

  const std::vector<std::pair<FieldId, std::string>> expected_text = {
      {FieldId::InstanceId, ""},  // the writer's
      {FieldId::Kind, "request"},
      {FieldId::RequestId, "in-request-id"},
      {FieldId::UserId, "in-user-id"},
      {FieldId::Email, "in-email"},
      {FieldId::Tenant, "in-tenant"},
      {FieldId::Team, "in-team"},
      {FieldId::ClientAddress, "in-client-address"},
      {FieldId::UserAgent, "in-user-agent"},
      {FieldId::Method, "in-method"},
      {FieldId::Route, "in-route"},
      {FieldId::Path, "in-path"},
      {FieldId::Model, "in-model"},
      {FieldId::McpMethod, "in-mcp-method"},
      {FieldId::McpTool, "in-mcp-tool"},
      {FieldId::Upstream, "in-upstream"},
      {FieldId::Decision, "shadow_deny"},
      {FieldId::Reason, "role_missing"},
      {FieldId::Pii, "in-pii:1"},
      {FieldId::Checkpoint, ""},
      {FieldId::KeyId, ""},
      {FieldId::Signature, ""},
      {FieldId::PrevHash, ""},
      {FieldId::Hash, ""},
  };
  const std::vector<std::pair<FieldId, std::int64_t>> expected_numbers = {
      {FieldId::Seq, 0},  // the writer's
      {FieldId::TimeMs, 101},
      {FieldId::Status, 202},
      {FieldId::InputTokens, 303},
      {FieldId::OutputTokens, 404},
      {FieldId::CostMicroUsd, 505},
      {FieldId::LatencyUs, 606},
      {FieldId::UpstreamLatencyUs, 707},
      {FieldId::RequestBytes, 808},
      {FieldId::ResponseBytes, 909},
  };
  ASSERT_EQ(expected_text.size() + expected_numbers.size(), kFieldCount);

  PackedRecord packed;
  pack_request(ctx, packed);
  EXPECT_TRUE(packed.is_complete());
  Entry e = leftovers();
  packed.unpack(e);
  for (const auto& [id, value] : expected_text) {
    ASSERT_NE(field(id).text, nullptr) << field(id).name;
    EXPECT_EQ(e.*field(id).text, value) << field(id).name;
  }
  for (const auto& [id, value] : expected_numbers) {
    ASSERT_NE(field(id).number, nullptr) << field(id).name;
    EXPECT_EQ(e.*field(id).number, value) << field(id).name;
  }
}

// Setting a field twice, or through the setter of the other kind, is a bug: debug builds stop
// at it, release builds leave the record visibly incomplete rather than shifting a field.
TEST(PackedRecordTest, SettingAFieldTwiceOrAsTheWrongKindIsCaught) {
  PackedRecord packed;
  packed.pack(test::entry_with_distinct_fields());
  ASSERT_TRUE(packed.is_complete());
  EXPECT_DEBUG_DEATH(packed.set_text(FieldId::Kind, "again"), "each field is set once");
#ifdef NDEBUG
  EXPECT_FALSE(packed.is_complete());  // the second call ran here; in debug, only in the child
#endif

  packed.clear();
  EXPECT_DEBUG_DEATH(packed.set_number(FieldId::Kind, 5), "names an integer field");
  EXPECT_DEBUG_DEATH(packed.set_text(FieldId::Status, "x"), "names a text field");
  EXPECT_FALSE(packed.is_set(FieldId::Kind));
  EXPECT_FALSE(packed.is_set(FieldId::Status));
  EXPECT_EQ(packed.size(), 0u);
}

}  // namespace
}  // namespace gw::audit
