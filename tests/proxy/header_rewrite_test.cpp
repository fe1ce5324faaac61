#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

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

// An upstream response head as the forwarder sees it: parsed by http::ResponseHead.
std::unique_ptr<http::ResponseHead> upstream_response(const std::string& head) {
  auto parsed = std::make_unique<http::ResponseHead>(64 * 1024);
  boost::system::error_code ec;
  EXPECT_EQ(parsed->parse(head, ec), head.size());
  EXPECT_FALSE(ec) << ec.message();
  return parsed;
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

// Values of every "Name: value" line called `name` in a serialised head.
std::vector<std::string> all(std::string_view head, std::string_view name) {
  std::vector<std::string> out;
  while (!head.empty()) {
    const auto eol = head.find("\r\n");
    EXPECT_NE(eol, std::string_view::npos) << "unterminated line";
    if (eol == std::string_view::npos) break;
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const auto colon = line.find(": ");
    if (colon != std::string_view::npos && gw::iequals(line.substr(0, colon), name)) {
      out.emplace_back(line.substr(colon + 2));
    }
  }
  return out;
}

// The lines of a serialised head.
std::vector<std::string_view> split_lines(std::string_view head) {
  std::vector<std::string_view> out;
  while (!head.empty()) {
    const auto eol = head.find("\r\n");
    if (eol == std::string_view::npos) break;
    out.push_back(head.substr(0, eol));
    head.remove_prefix(eol + 2);
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
  std::string out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "", out);
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
  std::string out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "", out);
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
  std::string out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "", out);
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
  std::string out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "", out);
  EXPECT_EQ(all(out, "X-Forwarded-For"), std::vector<std::string>{"192.0.2.1, 10.1.2.3"});
  EXPECT_EQ(all(out, "X-Forwarded-Proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(all(out, "X-Request-Id"), std::vector<std::string>{"rid-1"});
}

TEST(HeaderRewriteTest, RoutesWhoseAnswerIsReadAskForItUnencoded) {
  // The tools/list filter and usage extraction cannot read a compressed answer.
  for (auto kind : {ApiKind::Mcp, ApiKind::OpenAI, ApiKind::Anthropic}) {
    auto ctx = context_with({{"Accept-Encoding", "gzip, br"}, {"accept-encoding", "zstd"}});
    ctx.route.emplace();
    ctx.route->kind = kind;
    std::string out;
    build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "",
                           out);
    EXPECT_EQ(all(out, "Accept-Encoding"), std::vector<std::string>{"identity"}) << to_string(kind);
  }
  auto generic = context_with({{"Accept-Encoding", "gzip"}});
  generic.route.emplace();
  std::string out;
  build_upstream_headers(generic, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "",
                         out);
  EXPECT_EQ(all(out, "Accept-Encoding"), std::vector<std::string>{"gzip"});
}

TEST(HeaderRewriteTest, ControlCharactersInClaimsCannotSplitHeaders) {
  auto ctx = context_with({});
  auto id = std::make_shared<Identity>(*ctx.identity);
  id->user_id = "alice\r\nX-User-Role: admin";
  id->email = "\x01\x7f";
  ctx.identity = id;
  std::string out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "", out);
  EXPECT_EQ(all(out, "X-User-Id"), std::vector<std::string>{"aliceX-User-Role: admin"});
  EXPECT_TRUE(all(out, "X-User-Email").empty());
  EXPECT_EQ(all(out, "X-User-Role"), std::vector<std::string>{"doctor,admin"});
}

TEST(HeaderRewriteTest, ConfiguredHeaderNamesAreUsedAndStripped) {
  IdentityHeaderNames names;
  names.user_id = "X-Verified-Sub";
  auto ctx = context_with({{"x-verified-sub", "mallory"}});
  std::string out;
  build_upstream_headers(ctx, upstream(), names, UnderscoreHeaders::Pass, "", out);
  EXPECT_EQ(all(out, "X-Verified-Sub"), std::vector<std::string>{"alice_123"});
  EXPECT_TRUE(all(out, "X-User-Id").empty());
}

// Header names compared as CGI/WSGI/Rack/PHP backends do: case folded, '_' taken as '-'.
std::string folded(std::string_view name) {
  std::string out;
  for (char c : name) out += c == '_' ? '-' : static_cast<char>(std::tolower(c));
  return out;
}

// Names of every "Name: value" line in a serialised head, folded.
std::vector<std::string> folded_names(std::string_view head) {
  std::vector<std::string> out;
  for (std::string_view line : split_lines(head)) {
    out.push_back(folded(line.substr(0, line.find(':'))));
  }
  return out;
}

// Spellings of `name` a backend reads as `name`: every '-' as '_', each one '-' as '_', and
// the case variants of each.
std::vector<std::string> spellings(std::string_view name) {
  std::vector<std::string> bases{std::string(name)};
  std::string all_underscores(name);
  std::replace(all_underscores.begin(), all_underscores.end(), '-', '_');
  bases.push_back(all_underscores);
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '-') continue;
    std::string one(name);
    one[i] = '_';
    bases.push_back(one);
  }
  std::vector<std::string> out;
  for (const auto& base : bases) {
    std::string lower = base, upper = base, mixed = base;
    for (std::size_t i = 0; i < base.size(); ++i) {
      lower[i] = static_cast<char>(std::tolower(base[i]));
      upper[i] = static_cast<char>(std::toupper(base[i]));
      mixed[i] = i % 2 ? lower[i] : upper[i];
    }
    for (const std::string& s : {base, lower, upper, mixed}) {
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  }
  return out;
}

// Every header the gateway strips or sets on the upstream request, with this test's
// upstream (credential X-Api-Key, assertion X-Backend-Assertion) and default identity names.
const std::vector<std::string_view> kProtected = {"Host",
                                                  "Authorization",
                                                  "Proxy-Authorization",
                                                  "Content-Length",
                                                  "Expect",
                                                  "X-Request-Id",
                                                  "Forwarded",
                                                  "X-Forwarded-For",
                                                  "X-Forwarded-Proto",
                                                  "X-Forwarded-Host",
                                                  "Connection",
                                                  "Keep-Alive",
                                                  "Proxy-Connection",
                                                  "TE",
                                                  "Trailer",
                                                  "Upgrade",
                                                  "Transfer-Encoding",
                                                  "Proxy-Authenticate",
                                                  "X-User-Id",
                                                  "X-User-Email",
                                                  "X-User-Role",
                                                  "X-User-Scopes",
                                                  "X-Tenant-Id",
                                                  "X-Team-Id",
                                                  "X-User-Anything",
                                                  "X-Tenant-Region",
                                                  "X-Team-Lead",
                                                  "X-Gateway-Assertion",
                                                  "X-Api-Key",
                                                  "X-Backend-Assertion"};

UpstreamConfig upstream_with_assertion() {
  UpstreamConfig up = upstream();
  up.credential_header = "X-Api-Key";
  up.credential_value = "sk-provider";
  up.assertion.header = "X-Backend-Assertion";
  return up;
}

TEST(HeaderRewriteTest, ProtectedNamesInEverySpellingNeverReachTheUpstream) {
  // Each spelling with '_' sent twice, under every mode: none may pass, since a backend
  // reading HTTP_X_USER_ID would take it for the gateway's header.
  std::vector<std::string> names;
  for (auto name : kProtected) {
    for (auto& spelling : spellings(name)) {
      if (spelling.find('_') == std::string::npos) continue;
      names.push_back(spelling);
      names.push_back(spelling);
    }
  }
  ASSERT_GT(names.size(), 200u);
  std::vector<HeaderView> headers;
  for (const auto& name : names) headers.emplace_back(name, "spoofed");
  headers.emplace_back("X-Kept", "1");
  const auto ctx = context_with(headers);
  for (auto mode : {UnderscoreHeaders::Pass, UnderscoreHeaders::Drop, UnderscoreHeaders::Reject}) {
    std::string out;
    build_upstream_headers(ctx, upstream_with_assertion(), IdentityHeaderNames{}, mode,
                           "signed.assertion", out);
    EXPECT_EQ(out.find("spoofed"), std::string::npos) << out;
    for (std::string_view line : split_lines(out)) {
      EXPECT_EQ(line.substr(0, line.find(':')).find('_'), std::string_view::npos) << line;
    }
    EXPECT_EQ(all(out, "X-User-Id"), std::vector<std::string>{"alice_123"});
    EXPECT_EQ(all(out, "X-Api-Key"), std::vector<std::string>{"sk-provider"});
    EXPECT_EQ(all(out, "X-Backend-Assertion"), std::vector<std::string>{"signed.assertion"});
    EXPECT_EQ(all(out, "X-Forwarded-For"), std::vector<std::string>{"10.1.2.3"});
    EXPECT_EQ(all(out, "X-Kept"), std::vector<std::string>{"1"});
    const auto got = folded_names(out);
    EXPECT_EQ(std::count(got.begin(), got.end(), "x-user-id"), 1);
    EXPECT_EQ(std::count(got.begin(), got.end(), "host"), 1);
  }
}

TEST(HeaderRewriteTest, ProtectedNamesInEveryCaseAreReplacedNotDuplicated) {
  // The same without '_': every case of every name, each twice.
  std::vector<std::string> names;
  for (auto name : kProtected) {
    for (auto& spelling : spellings(name)) {
      if (spelling.find('_') != std::string::npos) continue;
      names.push_back(spelling);
      names.push_back(spelling);
    }
  }
  std::vector<HeaderView> headers;
  for (const auto& name : names) {
    // The client's X-Forwarded-For joins the chain and its Host becomes X-Forwarded-Host;
    // everything else must vanish.
    const std::string key = folded(name);
    headers.emplace_back(name, key == "x-forwarded-for" ? "192.0.2.1"
                               : key == "host"          ? "gateway.example"
                                                        : "spoofed");
  }
  const auto ctx = context_with(headers);
  std::string out;
  build_upstream_headers(ctx, upstream_with_assertion(), IdentityHeaderNames{},
                         UnderscoreHeaders::Pass, "signed.assertion", out);
  EXPECT_EQ(out.find("spoofed"), std::string::npos) << out;
  const auto got = folded_names(out);
  for (auto name : {"x-user-id", "x-user-email", "x-user-role", "x-user-scopes", "x-tenant-id",
                    "host", "x-api-key", "x-backend-assertion", "x-request-id", "x-forwarded-for",
                    "x-forwarded-proto", "x-forwarded-host"}) {
    EXPECT_EQ(std::count(got.begin(), got.end(), name), 1) << name << " in\n" << out;
  }
}

TEST(HeaderRewriteTest, ConfiguredIdentityNamesAreStrippedInUnderscoreSpellings) {
  IdentityHeaderNames names;
  names.user_id = "X-Verified-Sub";
  names.tenant = "Org_Id";  // a configured name with '_' protects its '-' spelling too
  auto ctx = context_with({{"x_verified_sub", "mallory"},
                           {"X-Verified_Sub", "mallory"},
                           {"org-id", "other"},
                           {"ORG_ID", "other"}});
  std::string out;
  build_upstream_headers(ctx, upstream(), names, UnderscoreHeaders::Pass, "", out);
  EXPECT_EQ(out.find("mallory"), std::string::npos) << out;
  EXPECT_EQ(out.find("other"), std::string::npos) << out;
  EXPECT_EQ(all(out, "X-Verified-Sub"), std::vector<std::string>{"alice_123"});
  EXPECT_EQ(all(out, "Org_Id"), std::vector<std::string>{"acme"});
}

TEST(HeaderRewriteTest, ConnectionListedNamesMatchInEitherSpelling) {
  auto ctx = context_with({{"Connection", "x-secret-hop, X_Other_Hop"},
                           {"X_Secret_Hop", "1"},
                           {"x-secret_hop", "2"},
                           {"X-Other-Hop", "3"},
                           {"x_other_hop", "4"},
                           {"X-Unlisted", "5"}});
  for (auto mode : {UnderscoreHeaders::Pass, UnderscoreHeaders::Drop}) {
    std::string out;
    build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, mode, "", out);
    const auto got = folded_names(out);
    EXPECT_EQ(std::count(got.begin(), got.end(), "x-secret-hop"), 0) << out;
    EXPECT_EQ(std::count(got.begin(), got.end(), "x-other-hop"), 0) << out;
    EXPECT_EQ(all(out, "X-Unlisted"), std::vector<std::string>{"5"});
  }
}

TEST(HeaderRewriteTest, OtherUnderscoreNamesPassOrAreDroppedAsConfigured) {
  const auto ctx = context_with({{"X_Custom_Trace", "t1"},
                                 {"api_version", "2"},
                                 {"X-Plain", "p"},
                                 {std::string_view("X_A_Name_Longer_Than_Twenty_Four"), "long"}});
  std::string passed;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "",
                         passed);
  EXPECT_EQ(all(passed, "X_Custom_Trace"), std::vector<std::string>{"t1"});
  EXPECT_EQ(all(passed, "api_version"), std::vector<std::string>{"2"});
  EXPECT_EQ(all(passed, "X_A_Name_Longer_Than_Twenty_Four"), std::vector<std::string>{"long"});
  EXPECT_EQ(all(passed, "X-Plain"), std::vector<std::string>{"p"});

  for (auto mode : {UnderscoreHeaders::Drop, UnderscoreHeaders::Reject}) {
    std::string out;
    build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, mode, "", out);
    EXPECT_TRUE(all(out, "X_Custom_Trace").empty()) << out;
    EXPECT_TRUE(all(out, "api_version").empty()) << out;
    EXPECT_TRUE(all(out, "X_A_Name_Longer_Than_Twenty_Four").empty()) << out;
    EXPECT_EQ(all(out, "X-Plain"), std::vector<std::string>{"p"});
  }
}

TEST(HeaderRewriteTest, ResponseHopByHopHeadersAreDropped) {
  const auto in = upstream_response(
      "HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n"
      "Transfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n"
      "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n");
  std::string out;
  copy_response_headers(in->fields(), out);
  EXPECT_TRUE(all(out, "X-Hop").empty());
  EXPECT_TRUE(all(out, "Transfer-Encoding").empty());
  EXPECT_EQ(all(out, "Set-Cookie").size(), 2u);
  EXPECT_EQ(all(out, "Content-Type"), std::vector<std::string>{"text/event-stream"});
  EXPECT_TRUE(all(out, "Connection").empty());
}

TEST(HeaderRewriteTest, ResponseFramingAndRequestIdComeFromTheGatewayOnly) {
  const auto in = upstream_response(
      "HTTP/1.1 200 OK\r\nkeep-alive: timeout=5\r\nContent-Length: 12\r\n"
      "x-request-ID: upstream-chosen\r\nProxy-Authenticate: Basic\r\nTE: trailers\r\n"
      "Trailer: X-Checksum\r\nUpgrade: h2c\r\nServer: upstream/1.0\r\n\r\n");
  std::string out;
  copy_response_headers(in->fields(), out);
  EXPECT_EQ(out, "Server: upstream/1.0\r\n");
}

TEST(HeaderRewriteTest, RolesAndScopesAreJoinedTrimmedAndCleaned) {
  auto ctx = context_with({});
  auto id = std::make_shared<Identity>(*ctx.identity);
  id->roles = {" doctor", "nurse\r\n"};
  id->scopes = {"read", "write "};
  ctx.identity = id;
  std::string out;
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "", out);
  EXPECT_EQ(all(out, "X-User-Role"), std::vector<std::string>{"doctor,nurse"});
  EXPECT_EQ(all(out, "X-User-Scopes"), std::vector<std::string>{"read write"});

  id->roles = {" "};
  id->scopes = {};
  out.clear();
  build_upstream_headers(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "", out);
  EXPECT_TRUE(all(out, "X-User-Role").empty()) << out;
  EXPECT_TRUE(all(out, "X-User-Scopes").empty()) << out;
  EXPECT_EQ(all(out, "X-User-Id"), std::vector<std::string>{"alice_123"});
}

// Parses a serialised head with Beast, as the upstream or the client would.
template <bool IsRequest>
bhttp::message<IsRequest, bhttp::empty_body> parse_head(const std::string& head) {
  bhttp::parser<IsRequest, bhttp::empty_body> parser;
  parser.eager(false);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(head), ec);
  EXPECT_FALSE(ec) << ec.message() << " in:\n" << head;
  EXPECT_TRUE(parser.is_header_done());
  return parser.release();
}

TEST(HeaderRewriteTest, UpstreamHeadCarriesTheTargetAndFraming) {
  auto ctx = context_with({{"Accept", "application/json"}});
  ctx.method = "POST";
  RouteMatch route;
  route.upstream_target = "/chat/completions?x=1";
  ctx.route = route;
  std::string head;
  write_upstream_head(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "",
                      Framing::sized(42), head);
  auto req = parse_head<true>(head);
  EXPECT_EQ(req.method_string(), "POST");
  EXPECT_EQ(req.target(), "/base/chat/completions?x=1");
  EXPECT_EQ(req.version(), 11u);
  EXPECT_EQ(req[bhttp::field::content_length], "42");
  EXPECT_TRUE(req.keep_alive());
  EXPECT_EQ(req["X-User-Id"], "alice_123");

  head.clear();
  write_upstream_head(ctx, upstream(), IdentityHeaderNames{}, UnderscoreHeaders::Pass, "",
                      Framing::chunked(), head);
  EXPECT_TRUE(parse_head<true>(head).chunked());
}

TEST(HeaderRewriteTest, ResponseHeadStatesFramingAndPersistencePerVersion) {
  // Content-Length is replaced by the gateway's own framing.
  const auto upstream_headers = upstream_response(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 999\r\n"
      "Connection: close\r\n\r\n");
  RequestContext ctx;
  ctx.request_id = "rid-7";
  ctx.response_headers.emplace_back("Server-Timing", "identity;dur=0.1");

  std::string head;
  write_response_head({11, 200, "", upstream_headers->fields(), Framing::sized(5), true}, ctx,
                      head);
  auto res = parse_head<false>(head);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.reason(), "OK");
  EXPECT_EQ(all(head, "Content-Length"), std::vector<std::string>{"5"});
  EXPECT_TRUE(all(head, "Connection").empty());
  EXPECT_TRUE(res.keep_alive());
  EXPECT_EQ(res["X-Request-Id"], "rid-7");
  EXPECT_EQ(res["Server-Timing"], "identity;dur=0.1");
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");

  head.clear();
  write_response_head({11, 599, "", {}, Framing::chunked(), false}, ctx, head);
  res = parse_head<false>(head);
  EXPECT_EQ(res.result_int(), 599);
  EXPECT_TRUE(res.chunked());
  EXPECT_FALSE(res.keep_alive());

  head.clear();
  write_response_head({10, 404, "Not Here", {}, Framing::none(), true}, ctx, head);
  res = parse_head<false>(head);
  EXPECT_EQ(res.version(), 10u);
  EXPECT_EQ(res.reason(), "Not Here");
  EXPECT_TRUE(res.keep_alive());  // HTTP/1.0 needs "Connection: keep-alive" to persist
}

TEST(HeaderRewriteTest, OnlyPlainRequestIdsAreAccepted) {
  EXPECT_TRUE(accept_request_id("abc-123_x.y"));
  EXPECT_FALSE(accept_request_id(""));
  EXPECT_FALSE(accept_request_id("a b"));
  EXPECT_FALSE(accept_request_id(std::string(200, 'a')));
}

}  // namespace
}  // namespace gw::proxy
