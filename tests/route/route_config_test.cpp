#include <gtest/gtest.h>

#include "route/route.hpp"

namespace gw::route {
namespace {

RouteConfig parse(const std::string& yaml, config::Problems& problems) {
  auto root = config::load_string(yaml, problems);
  EXPECT_TRUE(root);
  config::Map map(*root, "", problems);
  return parse_config(map, {"calendar", "openai", "azure"});
}

TEST(RouteConfigTest, LongestPrefixWinsOnSegmentBoundaries) {
  config::Problems problems("r.yaml");
  auto config = parse(R"(
routes:
  - {name: all, prefix: /, upstream: calendar}
  - {name: cal, prefix: /calendar, upstream: calendar}
  - {name: cal-admin, prefix: /calendar/admin/, upstream: calendar}
)",
                      problems);
  ASSERT_TRUE(problems.empty()) << problems.format();
  EXPECT_EQ(match(config, "/calendar")->name, "cal");
  EXPECT_EQ(match(config, "/calendar/x")->name, "cal");
  EXPECT_EQ(match(config, "/calendarx")->name, "all");
  EXPECT_EQ(match(config, "/calendar/admin/users")->name, "cal-admin");
  EXPECT_EQ(match(config, "/other")->name, "all");
}

TEST(RouteConfigTest, NoCatchAllMeansNoMatch) {
  config::Problems problems("r.yaml");
  auto config =
      parse("routes:\n  - {name: cal, prefix: /calendar, upstream: calendar}\n", problems);
  EXPECT_EQ(match(config, "/admin"), nullptr);
  EXPECT_EQ(match(config, "/"), nullptr);
}

TEST(RouteConfigTest, ErrorsNameTheKeyAndLine) {
  config::Problems problems("r.yaml");
  parse(R"(routes:
  - name: a
    prefix: calendar
    upstream: nowhere
    kind: grpc
    methd: [GET]
)",
        problems);
  const auto text = problems.format();
  EXPECT_NE(text.find("r.yaml:3: routes[0].prefix: expected an absolute path"), std::string::npos)
      << text;
  EXPECT_NE(text.find("r.yaml:4: routes[0].upstream: names no upstream"), std::string::npos)
      << text;
  EXPECT_NE(text.find("r.yaml:5: routes[0].kind: expected one of generic, openai, anthropic, mcp"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("r.yaml:6: routes[0].methd: unknown key"), std::string::npos) << text;
}

TEST(RouteConfigTest, DuplicateNamesAreRefused) {
  config::Problems problems("r.yaml");
  parse(
      "routes:\n  - {name: a, prefix: /a, upstream: calendar}\n  - {name: a, prefix: /b, upstream: "
      "calendar}\n",
      problems);
  EXPECT_NE(problems.format().find("duplicate route name"), std::string::npos);
}

TEST(RouteConfigTest, PathStrictDefaultsToTrueAndCanBeTurnedOff) {
  config::Problems problems("r.yaml");
  auto config = parse(R"(
routes:
  - {name: api, prefix: /api, upstream: calendar}
  - {name: legacy, prefix: /legacy, upstream: calendar, path_strict: false}
)",
                      problems);
  ASSERT_TRUE(problems.empty()) << problems.format();
  EXPECT_TRUE(match(config, "/api")->is_path_strict);
  EXPECT_FALSE(match(config, "/legacy")->is_path_strict);
  auto escaped = normalize_target("/legacy/..;/x");
  ASSERT_TRUE(escaped);
  auto legacy = match_target(config, *escaped);
  ASSERT_TRUE(legacy);
  EXPECT_EQ((*legacy)->name, "legacy");
  auto refused = normalize_target("/api/..;/x");
  ASSERT_TRUE(refused);
  auto api = match_target(config, *refused);
  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().reason, Reason::InvalidPath);
}

// Tomcat reads /admin;x/users as /admin/users: the route must not change with that reading.
TEST(RouteConfigTest, ParametersThatMoveThePathToAnotherRouteAreRefused) {
  config::Problems problems("r.yaml");
  auto config = parse(R"(
routes:
  - {name: all, prefix: /, upstream: calendar, path_strict: false}
  - {name: admin, prefix: /admin, upstream: calendar}
)",
                      problems);
  ASSERT_TRUE(problems.empty()) << problems.format();
  for (std::string_view target : {"/admin;x/users", "/admin%3Bx/users"}) {
    auto t = normalize_target(target);
    ASSERT_TRUE(t) << target;
    auto route = match_target(config, *t);
    ASSERT_FALSE(route) << target;
    EXPECT_EQ(route.error().reason, Reason::InvalidPath) << target;
  }
  auto same_route = normalize_target("/admin/users;v=2");
  ASSERT_TRUE(same_route);
  auto route = match_target(config, *same_route);
  ASSERT_TRUE(route);
  EXPECT_EQ((*route)->name, "admin");
}

TEST(RouteConfigTest, PrefixesWithParametersOrAmbiguousSpellingsAreRefused) {
  for (const char* prefix : {"/a;b", "/a%2Fb", "/a%5Cb", "/a/..;"}) {
    config::Problems problems("r.yaml");
    parse(std::string("routes:\n  - {name: a, prefix: \"") + prefix + "\", upstream: calendar}\n",
          problems);
    EXPECT_NE(problems.format().find("routes[0].prefix: expected an absolute path"),
              std::string::npos)
        << prefix << ": " << problems.format();
  }
}

}  // namespace
}  // namespace gw::route
