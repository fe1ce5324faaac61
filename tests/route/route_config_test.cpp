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

}  // namespace
}  // namespace gw::route
