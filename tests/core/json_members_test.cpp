#include "core/json_members.hpp"

#include <gtest/gtest.h>

namespace gw {
namespace {

std::string_view value_of(std::string_view text, const JsonMember& m) {
  return text.substr(m.value_begin, m.value_end - m.value_begin);
}

TEST(JsonMembersTest, MembersAreLocatedByDecodedKeyWithExactValueSpans) {
  const std::string text =
      " {\n \"a\" : 0.2 ,\"b\\u0063\":\"x\\\"}\" ,\t\"n\":{\"a\":[1,{}]},\"t\":true,\"z\":null } ";
  auto layout = locate_members(text);
  ASSERT_TRUE(layout) << layout.error().detail;
  EXPECT_EQ(layout->open, 1u);
  EXPECT_EQ(layout->close, text.size() - 2);
  ASSERT_EQ(layout->members.size(), 5u);
  EXPECT_EQ(layout->members[0].key, "a");
  EXPECT_EQ(value_of(text, layout->members[0]), "0.2");
  EXPECT_EQ(layout->members[1].key, "bc");
  EXPECT_EQ(value_of(text, layout->members[1]), "\"x\\\"}\"");
  EXPECT_EQ(value_of(text, layout->members[2]), "{\"a\":[1,{}]}");
  EXPECT_EQ(value_of(text, layout->members[3]), "true");
  EXPECT_EQ(value_of(text, layout->members[4]), "null");

  auto nested = locate_members_at(text, layout->members[2].value_begin);
  ASSERT_TRUE(nested);
  ASSERT_EQ(nested->members.size(), 1u);
  EXPECT_EQ(value_of(text, nested->members[0]), "[1,{}]");
}

TEST(JsonMembersTest, InvalidOrNonObjectTextIsInvalidJson) {
  for (std::string_view text :
       {"", " ", "[]", "\"s\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{a:1}",
        "{\"a\":1}}", "{\"a\":01}", "{\"a\":\"\xff\"}", "{\"a\":1 \"b\":2}", "{\"a\":[1,]}"}) {
    auto layout = locate_members(text);
    ASSERT_FALSE(layout) << text;
    EXPECT_EQ(layout.error().reason, Reason::InvalidJson) << text;
  }
  const std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_FALSE(locate_members(deep));
}

TEST(JsonMembersTest, SetMemberReplacesOrAppendsAndRefusesDuplicates) {
  std::string text = R"({"a":1, "b" : [2]})";
  ASSERT_TRUE(set_member(text, *locate_members(text), "b", "\"x\""));
  EXPECT_EQ(text, R"({"a":1, "b" : "x"})");
  ASSERT_TRUE(set_member(text, *locate_members(text), "c", "3"));
  EXPECT_EQ(text, R"({"a":1, "b" : "x","c":3})");

  std::string twice = R"({"a":1,"\u0061":2})";
  auto set = set_member(twice, *locate_members(twice), "a", "3");
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().reason, Reason::InvalidJson);
  EXPECT_EQ(twice, R"({"a":1,"\u0061":2})");
}

}  // namespace
}  // namespace gw
