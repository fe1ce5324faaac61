#include <gtest/gtest.h>

#include "route/route.hpp"

namespace gw::route {
namespace {

Route openai_route() {
  Route r;
  r.name = "openai";
  r.prefix = "/v1";
  r.upstream = "openai";
  r.kind = ApiKind::OpenAI;
  r.models.emplace("gpt-4-medical", ModelAlias{"gpt-4o", "azure"});
  return r;
}

RequestContext post(std::string path, std::string body, ApiKind kind) {
  RequestContext ctx;
  ctx.method = "POST";
  ctx.path = std::move(path);
  ctx.body = std::move(body);
  ctx.body_buffered = true;
  ctx.route = RouteMatch{"r", "openai", kind, "/", false, {}, {}};
  return ctx;
}

TEST(SniffBodyTest, ReadsModelStreamAndMaxTokens) {
  auto ctx = post("/v1/chat/completions",
                  R"({"model":"gpt-4o-mini","stream":true,"max_tokens":128,"messages":[]})",
                  ApiKind::OpenAI);
  ASSERT_TRUE(sniff_body(openai_route(), ctx));
  ASSERT_TRUE(ctx.model);
  EXPECT_EQ(ctx.model->model, "gpt-4o-mini");
  EXPECT_EQ(ctx.model->upstream_model, "gpt-4o-mini");
  EXPECT_TRUE(ctx.model->stream);
  EXPECT_EQ(ctx.model->max_tokens, 128);
  EXPECT_EQ(ctx.body, R"({"model":"gpt-4o-mini","stream":true,"max_tokens":128,"messages":[]})");
}

TEST(SniffBodyTest, AliasRewritesTheModelAndTheUpstream) {
  auto ctx =
      post("/v1/chat/completions", R"({"model":"gpt-4-medical","messages":[]})", ApiKind::OpenAI);
  ASSERT_TRUE(sniff_body(openai_route(), ctx));
  EXPECT_EQ(ctx.model->model, "gpt-4-medical");
  EXPECT_EQ(ctx.model->upstream_model, "gpt-4o");
  EXPECT_EQ(ctx.route->upstream, "azure");
  EXPECT_NE(ctx.body.find(R"("model":"gpt-4o")"), std::string::npos);
}

TEST(SniffBodyTest, AliasChangesOnlyTheModelValue) {
  auto ctx = post("/v1/chat/completions",
                  "{ \"temperature\":0.2, \"model\" : \"gpt-4-medical\" ,\"n\":1.0E+2,"
                  "\"messages\":[{\"content\":\"caf\\u00e9\"}] }",
                  ApiKind::OpenAI);
  ASSERT_TRUE(sniff_body(openai_route(), ctx));
  EXPECT_EQ(ctx.body,
            "{ \"temperature\":0.2, \"model\" : \"gpt-4o\" ,\"n\":1.0E+2,"
            "\"messages\":[{\"content\":\"caf\\u00e9\"}] }");
}

TEST(SniffBodyTest, AliasedModelNamedTwiceIsRefused) {
  // The gateway reads the last copy; a backend reading the first must not get another model.
  auto ctx = post("/v1/chat/completions",
                  R"({"model":"gpt-4o-mini","m\u006fdel":"gpt-4-medical","messages":[]})",
                  ApiKind::OpenAI);
  auto sniffed = sniff_body(openai_route(), ctx);
  ASSERT_FALSE(sniffed);
  EXPECT_EQ(sniffed.error().reason, Reason::InvalidJson);
}

TEST(SniffBodyTest, MalformedJsonAndMissingModelAreDistinct) {
  auto bad = post("/v1/chat/completions", R"({"model":)", ApiKind::OpenAI);
  auto r1 = sniff_body(openai_route(), bad);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().reason, Reason::InvalidJson);
  auto missing = post("/v1/chat/completions", R"({"messages":[]})", ApiKind::OpenAI);
  auto r2 = sniff_body(openai_route(), missing);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().reason, Reason::MissingModel);
  auto not_object = post("/v1/embeddings", R"(["x"])", ApiKind::OpenAI);
  EXPECT_EQ(sniff_body(openai_route(), not_object).error().reason, Reason::InvalidJson);
}

TEST(SniffBodyTest, AnthropicMessagesNameAModel) {
  Route r;
  r.kind = ApiKind::Anthropic;
  auto ctx = post("/v1/messages", R"({"model":"claude-3-5","max_tokens":512})", ApiKind::Anthropic);
  ASSERT_TRUE(sniff_body(r, ctx));
  EXPECT_EQ(ctx.model->model, "claude-3-5");
  EXPECT_EQ(ctx.model->max_tokens, 512);
}

// Policy judges one copy of a duplicated key and a backend may act on the other (Boost.JSON
// keeps the last, many parsers the first): a body naming a deciding key twice is refused,
// escaped spellings included.
TEST(SniffBodyTest, ADecidingKeyNamedTwiceIsRefused) {
  for (std::string body : {R"({"model":"gpt-4o-mini","model":"gpt-4-medical","messages":[]})",
                           R"({"model":"gpt-4o-mini","m\u006fdel":"o1","messages":[]})",
                           R"({"model":"m","stream":false,"stream":true})",
                           R"({"model":"m","max_tokens":1,"max_tokens":100000})"}) {
    auto ctx = post("/v1/chat/completions", body, ApiKind::OpenAI);
    auto sniffed = sniff_body(openai_route(), ctx);
    ASSERT_FALSE(sniffed) << body;
    EXPECT_EQ(sniffed.error().reason, Reason::InvalidJson) << body;
  }
  Route mcp;
  mcp.kind = ApiKind::Mcp;
  for (
      std::string body :
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"a"}})",
       R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin_reset"},"params":{"name":"get_calendar"}})",
       R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin_reset","name":"get_calendar"}})"}) {
    auto ctx = post("/mcp", body, ApiKind::Mcp);
    auto sniffed = sniff_body(mcp, ctx);
    ASSERT_FALSE(sniffed) << body;
    EXPECT_EQ(sniffed.error().reason, Reason::InvalidJson) << body;
  }
}

// The sniffer's layout of the body is kept for the rewrite that follows, and matches the body.
TEST(SniffBodyTest, TheBodyLayoutIsKeptAndMatchesTheBody) {
  auto ctx =
      post("/v1/chat/completions", R"({"model":"gpt-4-medical", "messages":[]})", ApiKind::OpenAI);
  ASSERT_TRUE(sniff_body(openai_route(), ctx));
  ASSERT_TRUE(ctx.body_layout);
  auto model = find_member(*ctx.body_layout, "model");
  ASSERT_TRUE(model && *model);
  EXPECT_EQ(ctx.body.substr((*model)->value_begin, (*model)->value_end - (*model)->value_begin),
            R"("gpt-4o")");
}

TEST(SniffBodyTest, McpToolsCallNamesTheTool) {
  Route r;
  r.kind = ApiKind::Mcp;
  auto ctx = post(
      "/mcp", R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_calendar"}})",
      ApiKind::Mcp);
  ASSERT_TRUE(sniff_body(r, ctx));
  ASSERT_TRUE(ctx.mcp);
  EXPECT_EQ(ctx.mcp->method, "tools/call");
  EXPECT_EQ(ctx.mcp->tool, "get_calendar");
  EXPECT_EQ(ctx.mcp->id, "7");
  auto batch = post("/mcp", R"([{"jsonrpc":"2.0","method":"ping"}])", ApiKind::Mcp);
  EXPECT_FALSE(sniff_body(r, batch));
  auto nameless =
      post("/mcp", R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}})", ApiKind::Mcp);
  EXPECT_FALSE(sniff_body(r, nameless));
}

}  // namespace
}  // namespace gw::route
