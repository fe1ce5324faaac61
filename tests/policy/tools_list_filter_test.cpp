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
  for (std::string body :
       {std::string("{\"result\":"), std::string("hello"), std::string("data: not json\n\n"),
        std::string("42"), std::string(": keepalive\n\n"), std::string("event: message\n\n")}) {
    const std::string original = body;
    EXPECT_FALSE(filter_tools_list(body, only_a).parsed) << original;
    EXPECT_EQ(body, original);
  }
}

// A gzip-compressed tools/list answer listing the refused tool "b".
constexpr char kGzippedToolsList[] =
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xab\x56\x2a\x4a\x2d\x2e\xcd\x29\x51\xb2\xaa\x56"
    "\x2a\xc9\xcf\xcf\x29\x56\xb2\x8a\xae\x56\xca\x4b\xcc\x4d\x55\xb2\x52\x4a\x52\xaa\x8d\xad"
    "\xad\x05\x00\x5c\xfb\xb8\x62\x23\x00\x00\x00";

TEST(ToolsListFilterTest, CompressedBodyIsNotParsed) {
  // The caller must refuse it: the compressed bytes may list any tool.
  std::string body(kGzippedToolsList, sizeof kGzippedToolsList - 1);
  auto r = filter_tools_list(body, only_a);
  EXPECT_FALSE(r.parsed);
  EXPECT_EQ(r.hidden, 0u);
  std::string as_event = "data: " + body + "\n\n";
  EXPECT_FALSE(filter_tools_list(as_event, only_a).parsed);
}

TEST(ToolsListFilterTest, EventStreamWithOneUnreadableEventIsNotParsed) {
  // The readable event is filtered, but the unreadable one could list anything.
  std::string body =
      "data: {\"result\":{\"tools\":[{\"name\":\"b\"}]}}\n\n"
      "data: {\"result\":{\"tools\":[{\"name\":\"b\"}\n\n";
  auto r = filter_tools_list(body, only_a);
  EXPECT_FALSE(r.parsed);
  EXPECT_EQ(r.hidden, 1u);
}

TEST(ToolsListFilterTest, BlankBodyHasNothingToHide) {
  for (std::string body : {std::string(""), std::string(" \r\n")}) {
    auto r = filter_tools_list(body, only_a);
    EXPECT_TRUE(r.parsed);
    EXPECT_EQ(r.hidden, 0u);
  }
}

TEST(ToolsListFilterTest, LeadingByteOrderMarkDoesNotHideTheFirstEvent) {
  // Event-stream clients skip the mark and would read the event after it.
  std::string body =
      "\xEF\xBB\xBF"
      "data: {\"result\":{\"tools\":[{\"name\":\"b\"}]}}\n\n";
  auto r = filter_tools_list(body, only_a);
  EXPECT_TRUE(r.parsed);
  EXPECT_EQ(r.hidden, 1u);
  EXPECT_EQ(body, "data: {\"result\":{\"tools\":[]}}\n\n");
  std::string json = "\xEF\xBB\xBF{\"result\":{\"tools\":[{\"name\":\"b\"}]}}";
  EXPECT_EQ(filter_tools_list(json, only_a).hidden, 1u);
  EXPECT_EQ(json, "{\"result\":{\"tools\":[]}}");
}

// Nothing hidden, nothing changed: the mark stays too (found by the tools_list fuzzer).
TEST(ToolsListFilterTest, ABodyWithAByteOrderMarkAndNothingHiddenIsLeftAsItWas) {
  for (std::string body : {std::string("\xEF\xBB\xBF{\"result\":{\"tools\":[{\"name\":\"a\"}]}}"),
                           std::string("\xEF\xBB\xBF"
                                       "data: {\"result\":{\"tools\":[{\"name\":\"a\"}]}}\n\n")}) {
    const std::string original = body;
    auto r = filter_tools_list(body, only_a);
    EXPECT_TRUE(r.parsed);
    EXPECT_EQ(r.hidden, 0u);
    EXPECT_EQ(body, original);
  }
}

}  // namespace
}  // namespace gw::policy
