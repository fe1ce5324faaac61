#include "core/config_reader.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace gw::config {
namespace {

TEST(ConfigReaderTest, UnknownKeysAreReportedWithLineAndPath) {
  Problems problems("gw.yaml");
  auto root = load_string("server:\n  listen: 127.0.0.1:1\n  lisen: typo\n", problems);
  ASSERT_TRUE(root);
  Map top(*root, "", problems);
  auto server = top.map("server");
  ASSERT_TRUE(server);
  EXPECT_EQ(server->string("listen"), "127.0.0.1:1");
  server->check_unknown_keys();
  top.check_unknown_keys();
  ASSERT_EQ(problems.list().size(), 1u);
  EXPECT_EQ(problems.list()[0].line, 3);
  EXPECT_EQ(problems.list()[0].key_path, "server.lisen");
  EXPECT_EQ(problems.format(), "gw.yaml:3: server.lisen: unknown key\n");
}

TEST(ConfigReaderTest, WrongTypeNamesWhatWasExpected) {
  Problems problems("f.yaml");
  auto root = load_string("a: [1, 2]\nb: maybe\nc: 99999\n", problems);
  ASSERT_TRUE(root);
  Map top(*root, "", problems);
  top.string("a");
  top.boolean("b", false);
  top.integer("c", 1, 1, 100);
  ASSERT_EQ(problems.list().size(), 3u);
  EXPECT_EQ(problems.list()[0].message, "expected a string, got a list");
  EXPECT_EQ(problems.list()[1].message, "expected true or false, got \"maybe\"");
  EXPECT_EQ(problems.list()[2].message, "expected an integer from 1 to 100, got \"99999\"");
}

TEST(ConfigReaderTest, EnvironmentVariablesAreSubstitutedAndMissingOnesReported) {
  ::setenv("GW_TEST_SECRET", "s3cret", 1);
  ::unsetenv("GW_TEST_UNSET");
  Problems problems("f.yaml");
  auto root =
      load_string("key: Bearer ${GW_TEST_SECRET}\nother: ${GW_TEST_UNSET}\nlit: $${X}\n", problems);
  ASSERT_TRUE(root);
  Map top(*root, "", problems);
  EXPECT_EQ(top.string("key"), "Bearer s3cret");
  EXPECT_EQ(top.string("lit"), "${X}");
  top.string("other");
  ASSERT_EQ(problems.list().size(), 1u);
  EXPECT_EQ(problems.list()[0].message, "environment variable GW_TEST_UNSET is not set");
}

TEST(ConfigReaderTest, DurationsAndSizesParse) {
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("10s"), std::chrono::milliseconds(10'000));
  EXPECT_EQ(parse_duration("5"), std::chrono::milliseconds(5'000));
  EXPECT_EQ(parse_duration("2m"), std::chrono::milliseconds(120'000));
  EXPECT_FALSE(parse_duration("ten"));
  EXPECT_FALSE(parse_duration("10 parsecs"));
  EXPECT_EQ(parse_byte_size("64KiB"), 65536u);
  EXPECT_EQ(parse_byte_size("10MiB"), 10u * 1024 * 1024);
  EXPECT_FALSE(parse_byte_size("-1"));
  EXPECT_FALSE(parse_byte_size("12XB"));
}

TEST(ConfigReaderTest, JsonDocumentsLoad) {
  Problems problems("p.json");
  auto root = load_string(R"({"gpt-4-medical": {"requiredRoles": ["doctor"]}})", problems);
  ASSERT_TRUE(root);
  Map top(*root, "", problems);
  auto rule = top.map("gpt-4-medical");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->string_list("requiredRoles"), std::vector<std::string>{"doctor"});
  EXPECT_TRUE(problems.empty());
}

TEST(ConfigReaderTest, SyntaxErrorsCarryTheLine) {
  Problems problems("bad.yaml");
  EXPECT_FALSE(load_string("a: 1\nb: [unclosed\n", problems));
  ASSERT_EQ(problems.list().size(), 1u);
  EXPECT_GT(problems.list()[0].line, 0);
}

}  // namespace
}  // namespace gw::config
