#include "server/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gw::server {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

constexpr const char* kValid = R"(
server:
  listen: 127.0.0.1:0
identity:
  issuers:
    - issuer: http://127.0.0.1:9000
      audiences: [api://gateway]
upstreams:
  calendar: {url: "http://127.0.0.1:7000"}
routes:
  - {name: calendar, prefix: /calendar, upstream: calendar}
)";

TEST(ConfigTest, AValidFileLoads) {
  config::Problems problems;
  auto config = load_config(write_temp("gw-valid.yaml", kValid), problems);
  ASSERT_TRUE(config) << problems.format();
  EXPECT_EQ(config->server.listen.port, 0);
  EXPECT_EQ(config->routes.routes.size(), 1u);
  EXPECT_EQ(config->proxy.headers.user_id, "X-User-Id");
}

TEST(ConfigTest, EveryProblemIsReportedWithFileLineAndKey) {
  const auto file = write_temp("gw-bad.yaml", R"(server:
  listen: nowhere
  timeouts: {idle: forever}
identity:
  issuers:
    - issuer: http://127.0.0.1:9000
      audiences: [api://gateway]
upstreams:
  calendar: {url: "ftp://x"}
routes:
  - {name: calendar, prefix: /calendar, upstream: calender}
extra: 1
)");
  config::Problems problems(file);
  EXPECT_FALSE(load_config(file, problems));
  const auto text = problems.format();
  EXPECT_NE(text.find(file + ":2: server.listen: expected host:port"), std::string::npos) << text;
  EXPECT_NE(text.find(file + ":3: server.timeouts.idle: expected a duration"), std::string::npos)
      << text;
  EXPECT_NE(text.find("upstreams.calendar.url: expected an http:// or https:// URL"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("routes[0].upstream: names no upstream"), std::string::npos) << text;
  EXPECT_NE(text.find(file + ":12: extra: unknown key"), std::string::npos) << text;
}

// kValid with `lines` added to its `server` section.
std::string valid_with_server_lines(const std::string& lines) {
  std::string yaml = kValid;
  const std::string listen = "  listen: 127.0.0.1:0\n";
  yaml.insert(yaml.find(listen) + listen.size(), lines);
  return yaml;
}

TEST(ConfigTest, UnderscoreHeadersModeIsReadAndDefaultsToPass) {
  config::Problems problems;
  auto defaults = load_config(write_temp("gw-underscores-default.yaml", kValid), problems);
  ASSERT_TRUE(defaults) << problems.format();
  EXPECT_EQ(defaults->server.underscore_headers, proxy::UnderscoreHeaders::Pass);

  for (const auto& [text, mode] : {std::pair{"pass", proxy::UnderscoreHeaders::Pass},
                                   std::pair{"drop", proxy::UnderscoreHeaders::Drop},
                                   std::pair{"reject", proxy::UnderscoreHeaders::Reject}}) {
    const auto yaml =
        valid_with_server_lines("  headers: {underscores: " + std::string(text) + "}\n");
    config::Problems p;
    auto config = load_config(write_temp("gw-underscores.yaml", yaml), p);
    ASSERT_TRUE(config) << p.format();
    EXPECT_EQ(config->server.underscore_headers, mode) << text;
  }
}

TEST(ConfigTest, BadUnderscoreHeadersValueNamesFileKeyAndChoices) {
  const auto file = write_temp("gw-underscores-bad.yaml",
                               valid_with_server_lines("  headers:\n    underscores: allow\n"
                                                       "    typo: 1\n"));
  config::Problems problems(file);
  EXPECT_FALSE(load_config(file, problems));
  const auto text = problems.format();
  EXPECT_NE(text.find(file + ":5: server.headers.underscores: expected one of pass, drop, reject; "
                             "got \"allow\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(file + ":6: server.headers.typo: unknown key"), std::string::npos) << text;
}

TEST(ConfigTest, MissingFileIsAProblemNotACrash) {
  config::Problems problems("/nonexistent/gw.yaml");
  EXPECT_FALSE(load_config("/nonexistent/gw.yaml", problems));
  EXPECT_NE(problems.format().find("cannot open"), std::string::npos);
}

TEST(ConfigTest, AddressesParse) {
  EXPECT_EQ(parse_address("127.0.0.1:8080")->port, 8080);
  EXPECT_EQ(parse_address("[::1]:9")->host, "::1");
  EXPECT_EQ(parse_address(":80")->host, "0.0.0.0");
  EXPECT_FALSE(parse_address("localhost"));
  EXPECT_FALSE(parse_address("1.2.3.4:99999"));
  EXPECT_FALSE(parse_address("::1:80"));
}

TEST(ConfigTest, McpRoutesGetResourceDefaultsAndMetadataDocuments) {
  const auto file = write_temp("gw-mcp.yaml", R"(
server:
  listen: 127.0.0.1:8080
  public_url: https://gw.example.com/
  decision_endpoint: /_gatewaystack/decide/
identity:
  issuers:
    - issuer: http://127.0.0.1:9000
      audiences: [api://gateway]
upstreams:
  mcp: {url: "http://127.0.0.1:7000"}
routes:
  - {name: mcp, prefix: /mcp, upstream: mcp, kind: mcp}
  - {name: hr, prefix: /hr, upstream: mcp, kind: mcp, resource: "https://hr.example.com/mcp"}
policy:
  routes: {mcp: {requiredScopes: ["mcp:use"]}, hr: {}}
  tools: {get_calendar: {requiredScopes: ["calendar:read"]}}
)");
  config::Problems problems;
  auto config = load_config(file, problems);
  ASSERT_TRUE(config) << problems.format();
  EXPECT_EQ(config->server.public_url, "https://gw.example.com");
  EXPECT_EQ(config->server.decision_endpoint, "/_gatewaystack/decide");
  fill_resource_defaults(*config);
  const route::Route* mcp = route::match(config->routes, "/mcp");
  const route::Route* hr = route::match(config->routes, "/hr");
  ASSERT_TRUE(mcp && hr);
  EXPECT_EQ(mcp->resource, "https://gw.example.com/mcp");
  EXPECT_EQ(mcp->resource_metadata,
            "https://gw.example.com/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(hr->resource, "https://hr.example.com/mcp");
  auto docs = resource_metadata_documents(*config);
  ASSERT_EQ(docs.count("/.well-known/oauth-protected-resource/mcp"), 1u);
  EXPECT_EQ(
      docs["/.well-known/oauth-protected-resource/mcp"],
      R"({"resource":"https://gw.example.com/mcp","authorization_servers":["http://127.0.0.1:9000"],)"
      R"("scopes_supported":["calendar:read","mcp:use"],"bearer_methods_supported":["header"]})");
  ASSERT_EQ(docs.count("/.well-known/oauth-protected-resource"), 1u);
  EXPECT_NE(docs["/.well-known/oauth-protected-resource/hr"].find(
                "\"resource\":\"https://hr.example.com/mcp\""),
            std::string::npos);
}

TEST(ConfigTest, BadPublicUrlDecisionEndpointAndResourceAreProblems) {
  const auto file = write_temp("gw-mcp-bad.yaml", R"(
server:
  public_url: gw.example.com
  decision_endpoint: decide
identity:
  issuers:
    - issuer: http://127.0.0.1:9000
      audiences: [api://gateway]
upstreams:
  up: {url: "http://127.0.0.1:7000"}
routes:
  - {name: api, prefix: /api, upstream: up, resource: "https://gw.example.com/api"}
)");
  config::Problems problems;
  EXPECT_FALSE(load_config(file, problems));
  const std::string text = problems.format();
  EXPECT_NE(text.find("server.public_url"), std::string::npos) << text;
  EXPECT_NE(text.find("server.decision_endpoint"), std::string::npos) << text;
  EXPECT_NE(text.find("is only for routes of kind mcp"), std::string::npos) << text;
}

}  // namespace
}  // namespace gw::server
