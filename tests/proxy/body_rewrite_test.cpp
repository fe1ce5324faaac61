#include <gtest/gtest.h>

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

TEST(InjectUserTest, OpenAIUserFieldIsTheVerifiedUserWhateverTheClientSent) {
  auto ctx = openai_request(R"({"model":"gpt-4o","user":"mallory","messages":[]})");
  EXPECT_TRUE(inject_user_into_body(ctx));
  EXPECT_TRUE(ctx.body_modified);
  EXPECT_NE(ctx.body.find(R"("user":"alice_123")"), std::string::npos) << ctx.body;
  EXPECT_EQ(ctx.body.find("mallory"), std::string::npos);
}

TEST(InjectUserTest, AnthropicGetsMetadataUserId) {
  auto ctx = openai_request(R"({"model":"claude","metadata":{"x":1}})", ApiKind::Anthropic);
  EXPECT_TRUE(inject_user_into_body(ctx));
  EXPECT_NE(ctx.body.find(R"("user_id":"alice_123")"), std::string::npos) << ctx.body;
  EXPECT_NE(ctx.body.find(R"("x":1)"), std::string::npos);
}

TEST(InjectUserTest, GenericRoutesAndAnonymousRequestsAreLeftAlone) {
  auto generic = openai_request(R"({"a":1})", ApiKind::Generic);
  EXPECT_FALSE(inject_user_into_body(generic));
  auto anonymous = openai_request(R"({"model":"m"})");
  anonymous.identity.reset();
  EXPECT_FALSE(inject_user_into_body(anonymous));
  EXPECT_EQ(anonymous.body, R"({"model":"m"})");
}

}  // namespace
}  // namespace gw::proxy
