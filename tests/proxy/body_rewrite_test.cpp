#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>

#include "proxy/proxy.hpp"

namespace gw::proxy {
namespace {

RequestContext openai_request(std::string body, ApiKind kind = ApiKind::OpenAI) {
  RequestContext ctx;
  ctx.route = RouteMatch{"openai", "openai", kind, "/v1/chat/completions", false, {}, {}};
  ctx.model = ModelRequest{"gpt-4o", "gpt-4o", false, std::nullopt};
  ctx.body = std::move(body);
  ctx.body_buffered = true;
  auto id = std::make_shared<Identity>();
  id->user_id = "alice_123";
  ctx.identity = id;
  return ctx;
}

// The body after injection; fails the test when the injection fails or changes nothing.
std::string injected(std::string body, ApiKind kind = ApiKind::OpenAI) {
  auto ctx = openai_request(std::move(body), kind);
  auto result = inject_user_into_body(ctx);
  EXPECT_TRUE(result) << (result ? "" : result.error().detail);
  EXPECT_TRUE(result && *result);
  return ctx.body;
}

// Members whose bytes must survive untouched: numbers a re-serialiser would rewrite (0.2 as
// 2E-1), escapes it would decode, whitespace, and nested `user` members.
constexpr std::string_view kModel = R"("model" : "gpt-4o")";
constexpr std::string_view kNumbers =
    "\"temperature\":0.2,\n  \"top_p\" :1.0E+2, \"n\": -0.0 ,\"seed\":12345678901234567890";
constexpr std::string_view kMessages =
    R"("messages":[{"role":"user","content":"caf\u00e9 \ud83d\ude00 \"q\"\/","user":"inner"}])";
constexpr std::string_view kNested = R"("metadata": { "user" : "nested-client-value" })";

TEST(InjectUserTest, OpenAIUserFieldIsTheVerifiedUserWhateverTheClientSent) {
  auto ctx = openai_request(R"({"model":"gpt-4o","user":"mallory","messages":[]})");
  auto result = inject_user_into_body(ctx);
  ASSERT_TRUE(result);
  EXPECT_TRUE(*result);
  EXPECT_EQ(ctx.body, R"({"model":"gpt-4o","user":"alice_123","messages":[]})");
}

// The members joined into an object, with varied whitespace around the commas.
std::string object_of(const std::vector<std::string>& members) {
  static constexpr std::array<std::string_view, 3> kSeparators{" , ", ",\n\t", ","};
  std::string out = "{\n  ";
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i != 0) out += kSeparators[i % kSeparators.size()];
    out += members[i];
  }
  return out + " \n}";
}

TEST(InjectUserTest, EveryByteButTheUserValueIsKeptInEveryKeyOrder) {
  // Each order of the members, with the client's `user` (of any type) at each place.
  std::array<std::string_view, 4> members{kModel, kNumbers, kMessages, kNested};
  std::sort(members.begin(), members.end());
  int orders = 0;
  do {
    for (std::string_view client_user : {R"("mallory")", R"({"id": [1, 2]})", "null", "7"}) {
      for (std::size_t at = 0; at <= members.size(); ++at) {
        std::vector<std::string> sent(members.begin(), members.end());
        std::vector<std::string> expected = sent;
        sent.insert(sent.begin() + at, R"("user" :  )" + std::string(client_user));
        expected.insert(expected.begin() + at, R"("user" :  "alice_123")");
        EXPECT_EQ(injected(object_of(sent)), object_of(expected));
      }
    }
    ++orders;
  } while (std::next_permutation(members.begin(), members.end()));
  EXPECT_EQ(orders, 24);
}

TEST(InjectUserTest, AbsentUserIsAppendedAndNothingElseMoves) {
  const std::string body = "{ " + std::string(kModel) + ",\r\n" + std::string(kNumbers) + ", " +
                           std::string(kMessages) + " ,  " + std::string(kNested) + "\n }";
  const std::string tail = "\n }";
  const std::string expected =
      body.substr(0, body.size() - tail.size()) + R"(,"user":"alice_123")" + tail;
  EXPECT_EQ(injected(body), expected);
  EXPECT_EQ(injected("{}"), R"({"user":"alice_123"})");
  EXPECT_EQ(injected(" { \n } "), R"( {"user":"alice_123" )"
                                  "\n } ");
}

TEST(InjectUserTest, AnEscapedUserKeyIsTheUserKey) {
  EXPECT_EQ(injected(R"({"model":"m","us\u0065r":"mallory"})"),
            R"({"model":"m","us\u0065r":"alice_123"})");
  EXPECT_EQ(injected(R"({"\u0075ser" : 1.5e3})"), R"({"\u0075ser" : "alice_123"})");
  // Not the user key: a nested one, a longer or shorter one.
  EXPECT_EQ(injected(R"({"users":1,"use":2,"x":{"user":3}})"),
            R"({"users":1,"use":2,"x":{"user":3},"user":"alice_123"})");
}

TEST(InjectUserTest, DuplicateUserMembersRefuseTheBody) {
  // A backend reading the first copy and one reading the last would disagree: neither may see
  // the client's value, so the body is refused rather than guessed at.
  for (std::string body : {R"({"user":"mallory","model":"m","user":"x"})",
                           R"({"user":"a","us\u0065r":"b"})", R"({"user":1,"user":1})"}) {
    auto ctx = openai_request(body);
    auto result = inject_user_into_body(ctx);
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(result.error().reason, Reason::InvalidJson);
    EXPECT_NE(result.error().detail.find("more than one \"user\""), std::string::npos);
    EXPECT_EQ(ctx.body, body);
  }
}

TEST(InjectUserTest, UserIdsAreSerialisedAsJsonStrings) {
  auto ctx = openai_request(R"({"model":"m"})");
  auto id = std::make_shared<Identity>(*ctx.identity);
  id->user_id = "al\"ice\\\n\x01\xc3\xa9";
  ctx.identity = id;
  ASSERT_TRUE(inject_user_into_body(ctx));
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(ctx.body, ec);
  ASSERT_FALSE(ec) << ctx.body;
  EXPECT_EQ(parsed.at("user").as_string(), id->user_id);
}

TEST(InjectUserTest, InvalidBodiesAreRefusedUnchanged) {
  for (std::string body : {"[1]", R"({"user":})", R"({"a":1,})", R"({"a" 1})", "{\"a\":1", "",
                           R"({"a":1} x)", R"({"a":tru})"}) {
    auto ctx = openai_request(body);
    auto result = inject_user_into_body(ctx);
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(result.error().reason, Reason::InvalidJson) << body;
    EXPECT_EQ(ctx.body, body);
  }
}

TEST(InjectUserTest, AnthropicGetsMetadataUserId) {
  const std::string rest = R"("model":"claude", "temperature": 0.2, "max_tokens":1.0E+2)";
  // Absent: a metadata object is appended.
  EXPECT_EQ(injected("{" + rest + " }", ApiKind::Anthropic),
            "{" + rest + R"(,"metadata":{"user_id":"alice_123"} })");
  // An object: user_id is set inside it, its other members and the rest untouched.
  EXPECT_EQ(
      injected(R"({"metadata": { "x" : 0.2 , "user" : "n" }, )" + rest + "}", ApiKind::Anthropic),
      R"({"metadata": { "x" : 0.2 , "user" : "n","user_id":"alice_123" }, )" + rest + "}");
  EXPECT_EQ(
      injected(R"({"metadata":{"user_id":"mallory","x":-0.0},)" + rest + "}", ApiKind::Anthropic),
      R"({"metadata":{"user_id":"alice_123","x":-0.0},)" + rest + "}");
  EXPECT_EQ(injected(R"({"metadata":{ },)" + rest + "}", ApiKind::Anthropic),
            R"({"metadata":{"user_id":"alice_123" },)" + rest + "}");
  EXPECT_EQ(injected(R"({"m\u0065tadata":{"user_\u0069d":"mallory"}})", ApiKind::Anthropic),
            R"({"m\u0065tadata":{"user_\u0069d":"alice_123"}})");
  // Not an object: replaced by one.
  for (std::string_view value : {"null", R"("mallory")", R"([{"user_id":"mallory"}])", "3"}) {
    EXPECT_EQ(
        injected("{" + rest + R"(,"metadata": )" + std::string(value) + "}", ApiKind::Anthropic),
        "{" + rest + R"(,"metadata": {"user_id":"alice_123"}})");
  }
}

TEST(InjectUserTest, AnthropicDuplicateMetadataOrUserIdRefusesTheBody) {
  for (std::string body : {R"({"metadata":{},"metadata":{"user_id":"m"}})",
                           R"({"metadata":{"user_id":"a","user_id":"b"}})",
                           R"({"metadata":null,"m\u0065tadata":{}})"}) {
    auto ctx = openai_request(body, ApiKind::Anthropic);
    auto result = inject_user_into_body(ctx);
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(result.error().reason, Reason::InvalidJson);
    EXPECT_EQ(ctx.body, body);
  }
}

TEST(InjectUserTest, GenericRoutesAndAnonymousRequestsAreLeftAlone) {
  auto generic = openai_request(R"({"a":1})", ApiKind::Generic);
  EXPECT_FALSE(*inject_user_into_body(generic));
  auto anonymous = openai_request(R"({"model":"m"})");
  anonymous.identity.reset();
  EXPECT_FALSE(*inject_user_into_body(anonymous));
  EXPECT_EQ(anonymous.body, R"({"model":"m"})");
}

}  // namespace
}  // namespace gw::proxy
