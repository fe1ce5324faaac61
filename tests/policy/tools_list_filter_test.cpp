#include "policy/tools_list_filter.hpp"

#include <gtest/gtest.h>

namespace gw::policy {
namespace {

bool only_a(std::string_view name) { return name == "a"; }

TEST(ToolsListFilterTest, JsonBodyKeepsAllowedToolsAndEverythingElse) {
  std::string body =
      R"({"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a","x":[1]},{"name":"b"}],"k":1}})";
  auto r = filter_tools_list(body, only_a);
  EXPECT_TRUE(r.parsed);
  EXPECT_EQ(r.hidden, 1u);
  EXPECT_EQ(body, R"({"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a","x":[1]}],"k":1}})");
}

TEST(ToolsListFilterTest, EntriesWithoutAStringNameAreDropped) {
  std::string body = R"({"result":{"tools":[{"name":"a"},{"name":7},{},"a"]}})";
  EXPECT_EQ(filter_tools_list(body, only_a).hidden, 3u);
  EXPECT_EQ(body, R"({"result":{"tools":[{"name":"a"}]}})");
}

TEST(ToolsListFilterTest, BodyWithNothingToRemoveIsByteForByteUnchanged) {
  std::string body = "{ \"result\" : { \"tools\" : [ { \"name\" : \"a\" } ] } }";
  const std::string original = body;
  auto r = filter_tools_list(body, only_a);
  EXPECT_TRUE(r.parsed);
  EXPECT_EQ(body, original);
}

TEST(ToolsListFilterTest, ErrorResponsesAndBatchesAreHandled) {
  std::string error = R"({"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}})";
  EXPECT_TRUE(filter_tools_list(error, only_a).parsed);
  std::string batch = R"([{"result":{"tools":[{"name":"b"}]}},{"result":{}}])";
  EXPECT_EQ(filter_tools_list(batch, only_a).hidden, 1u);
  EXPECT_EQ(batch, R"([{"result":{"tools":[]}},{"result":{}}])");
}

TEST(ToolsListFilterTest, EventStreamWithCrLfAndMultilineDataIsFiltered) {
  std::string body =
      ": keepalive\r\n\r\n"
      "event: message\r\n"
      "data: {\"result\":{\"tools\":\r\n"
      "data: [{\"name\":\"a\"},{\"name\":\"b\"}]}}\r\n"
      "\r\n";
  auto r = filter_tools_list(body, only_a);
  EXPECT_TRUE(r.parsed);
  EXPECT_EQ(r.hidden, 1u);
  EXPECT_EQ(body,
            ": keepalive\r\n\r\n"
            "event: message\r\n"
            "data: {\"result\":{\"tools\":[{\"name\":\"a\"}]}}\r\n"
            "\r\n");
}

TEST(ToolsListFilterTest, EventStreamWithSeveralEventsFiltersEach) {
  std::string body =
      "data: {\"method\":\"notifications/progress\"}\n\n"
      "data: {\"result\":{\"tools\":[{\"name\":\"b\"}]}}\n";
  auto r = filter_tools_list(body, only_a);
  EXPECT_TRUE(r.parsed);
  EXPECT_EQ(body,
            "data: {\"method\":\"notifications/progress\"}\n\n"
            "data: {\"result\":{\"tools\":[]}}\n");
}

TEST(ToolsListFilterTest, UnparseableBodiesAreLeftAlone) {
  for (std::string body : {std::string("{\"result\":"), std::string("hello"), std::string(""),
                           std::string("data: not json\n\n"), std::string("42")}) {
    const std::string original = body;
    EXPECT_FALSE(filter_tools_list(body, only_a).parsed) << original;
    EXPECT_EQ(body, original);
  }
}

}  // namespace
}  // namespace gw::policy
