#include <gtest/gtest.h>

#include "core/strings.hpp"
#include "proxy/forward.hpp"

namespace gw::proxy {
namespace {

UpstreamConfig upstream() {
  UpstreamConfig up;
  up.name = "openai";
  up.endpoint = *http::parse_endpoint("https://api.example.com:8443/base");
  up.credential_header = "Authorization";
  up.credential_value = "Bearer sk-provider";
  return up;
}

RequestContext context_with(std::vector<HeaderView> headers) {
  RequestContext ctx;
  ctx.request_id = "rid-1";
  ctx.client_address = "10.1.2.3";
  ctx.headers = std::move(headers);
  auto id = std::make_shared<Identity>();
  id->user_id = "alice_123";
  id->email = "alice@example.com";
  id->roles = {"doctor", "admin"};
  id->scopes = {"medical:write", "calendar:read"};
  id->tenant = "acme";
  ctx.identity = id;
  return ctx;
}

std::vector<std::string> all(const bhttp::fields& f, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& field : f) {
    if (gw::iequals(field.name_string(), name)) out.emplace_back(field.value());
  }
  return out;
}

TEST(HeaderRewriteTest, SpoofedIdentityHeadersNeverReachTheUpstream) {
  auto ctx = context_with({{"x-user-id", "mallory"},
                           {"X-USER-ID", "mallory2"},
                           {"X-User-Role", "admin"},
                           {"x-tenant-id", "other"},
                           {"X-User-Anything", "x"},
                           {"X-Gateway-Assertion", "forged.jwt.value"},
                           {"Accept", "application/json"}});
  bhttp::fields out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, "", out);
  EXPECT_EQ(all(out, "X-User-Id"), std::vector<std::string>{"alice_123"});
  EXPECT_EQ(all(out, "X-User-Role"), std::vector<std::string>{"doctor,admin"});
  EXPECT_EQ(all(out, "X-User-Scopes"), std::vector<std::string>{"medical:write calendar:read"});
  EXPECT_EQ(all(out, "X-Tenant-Id"), std::vector<std::string>{"acme"});
  EXPECT_TRUE(all(out, "X-User-Anything").empty());
  EXPECT_TRUE(all(out, "X-Gateway-Assertion").empty());
  EXPECT_TRUE(all(out, "X-Team-Id").empty());  // no team: no header
  EXPECT_EQ(all(out, "Accept"), std::vector<std::string>{"application/json"});
}

TEST(HeaderRewriteTest, ClientCredentialsAreSwappedForTheUpstreams) {
  auto ctx = context_with({{"Authorization", "Bearer user-token"},
                           {"authorization", "Bearer second"},
                           {"Proxy-Authorization", "Basic x"}});
  bhttp::fields out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, "", out);
  EXPECT_EQ(all(out, "Authorization"), std::vector<std::string>{"Bearer sk-provider"});
  EXPECT_TRUE(all(out, "Proxy-Authorization").empty());
}

TEST(HeaderRewriteTest, HopByHopAndConnectionListedHeadersAreDropped) {
  auto ctx = context_with({{"Connection", "keep-alive, X-Secret-Hop"},
                           {"X-Secret-Hop", "1"},
                           {"Keep-Alive", "timeout=5"},
                           {"TE", "trailers"},
                           {"Upgrade", "websocket"},
                           {"Host", "gateway.example"},
                           {"Content-Length", "12"}});
  bhttp::fields out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, "", out);
  for (auto name :
       {"Connection", "X-Secret-Hop", "Keep-Alive", "TE", "Upgrade", "Content-Length"}) {
    EXPECT_TRUE(all(out, name).empty()) << name;
  }
  EXPECT_EQ(all(out, "Host"), std::vector<std::string>{"api.example.com:8443"});
  EXPECT_EQ(all(out, "X-Forwarded-Host"), std::vector<std::string>{"gateway.example"});
}

TEST(HeaderRewriteTest, ForwardingHeadersAndRequestIdAreSet) {
  auto ctx = context_with({{"X-Forwarded-For", "192.0.2.1"},
                           {"X-Request-Id", "client-id"},
                           {"X-Forwarded-Proto", "https"}});
  bhttp::fields out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, "", out);
  EXPECT_EQ(all(out, "X-Forwarded-For"), std::vector<std::string>{"192.0.2.1, 10.1.2.3"});
  EXPECT_EQ(all(out, "X-Forwarded-Proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(all(out, "X-Request-Id"), std::vector<std::string>{"rid-1"});
}

TEST(HeaderRewriteTest, ControlCharactersInClaimsCannotSplitHeaders) {
  auto ctx = context_with({});
  auto id = std::make_shared<Identity>(*ctx.identity);
  id->user_id = "alice\r\nX-User-Role: admin";
  id->email = "\x01\x7f";
  ctx.identity = id;
  bhttp::fields out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, "", out);
  EXPECT_EQ(all(out, "X-User-Id"), std::vector<std::string>{"aliceX-User-Role: admin"});
  EXPECT_TRUE(all(out, "X-User-Email").empty());
  EXPECT_EQ(all(out, "X-User-Role"), std::vector<std::string>{"doctor,admin"});
}

TEST(HeaderRewriteTest, ConfiguredHeaderNamesAreUsedAndStripped) {
  IdentityHeaderNames names;
  names.user_id = "X-Verified-Sub";
  auto ctx = context_with({{"x-verified-sub", "mallory"}});
  bhttp::fields out;
  build_upstream_headers(ctx, upstream(), names, "", out);
  EXPECT_EQ(all(out, "X-Verified-Sub"), std::vector<std::string>{"alice_123"});
  EXPECT_TRUE(all(out, "X-User-Id").empty());
}

TEST(HeaderRewriteTest, ResponseHopByHopHeadersAreDropped) {
  bhttp::fields in;
  in.insert("Connection", "close, X-Hop");
  in.insert("X-Hop", "1");
  in.insert("Transfer-Encoding", "chunked");
  in.insert("Content-Type", "text/event-stream");
  in.insert("Set-Cookie", "a=1");
  in.insert("Set-Cookie", "b=2");
  bhttp::fields out;
  copy_response_headers(in, out);
  EXPECT_TRUE(all(out, "X-Hop").empty());
  EXPECT_TRUE(all(out, "Transfer-Encoding").empty());
  EXPECT_EQ(all(out, "Set-Cookie").size(), 2u);
  EXPECT_EQ(all(out, "Content-Type"), std::vector<std::string>{"text/event-stream"});
}

TEST(HeaderRewriteTest, OnlyPlainRequestIdsAreAccepted) {
  EXPECT_TRUE(accept_request_id("abc-123_x.y"));
  EXPECT_FALSE(accept_request_id(""));
  EXPECT_FALSE(accept_request_id("a b"));
  EXPECT_FALSE(accept_request_id(std::string(200, 'a')));
}

}  // namespace
}  // namespace gw::proxy
