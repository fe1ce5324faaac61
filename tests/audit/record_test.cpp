#include "audit/record.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <limits>
#include <string>
#include <vector>

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

// A record cut short (fewer fields added than an entry has) leaves the rest empty, never stale.
TEST(PackedRecordTest, FieldsNeverAddedUnpackEmpty) {
  PackedRecord packed;
  packed.add_text("gw-1");
  packed.add_number(9);
  Entry e = leftovers();
  packed.unpack(e);
  EXPECT_EQ(e.instance_id, "gw-1");
  EXPECT_EQ(e.seq, 9);
  EXPECT_EQ(e.kind, "");
  EXPECT_EQ(e.status, 0);
  EXPECT_EQ(e.hash, "");
}

}  // namespace
}  // namespace gw::audit
