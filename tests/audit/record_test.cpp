#include "audit/record.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace gw::audit {
namespace {

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

TEST(RecordTest, RequestEntryTakesIdentityRouteUsageAndCountsOnlyPii) {
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
