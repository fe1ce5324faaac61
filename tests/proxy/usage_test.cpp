#include <gtest/gtest.h>

#include "proxy/proxy.hpp"

namespace gw::proxy {
namespace {

TEST(UsageExtractorTest, ReadsOpenAIJsonUsage) {
  UsageExtractor u(false);
  u.feed(R"({"id":"x","usage":{"prompt_tokens":12,)");
  u.feed(R"("completion_tokens":30,"total_tokens":42}})");
  Usage usage;
  u.finish(usage);
  EXPECT_TRUE(usage.reported);
  EXPECT_EQ(usage.input_tokens, 12);
  EXPECT_EQ(usage.output_tokens, 30);
}

TEST(UsageExtractorTest, ReadsTheFinalUsageChunkOfAStreamSplitAnywhere) {
  const std::string stream =
      "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}\n\n"
      "data: [DONE]\n\n";
  for (std::size_t split = 1; split < stream.size(); split += 7) {
    UsageExtractor u(true);
    u.feed(std::string_view(stream).substr(0, split));
    u.feed(std::string_view(stream).substr(split));
    Usage usage;
    u.finish(usage);
    EXPECT_TRUE(usage.reported) << split;
    EXPECT_EQ(usage.input_tokens, 5);
    EXPECT_EQ(usage.output_tokens, 7);
  }
}

TEST(UsageExtractorTest, ReadsAnthropicStreamUsage) {
  UsageExtractor u(true);
  u.feed(
      "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_"
      "tokens\":25,\"output_tokens\":1}}}\r\n\r\n"
      "event: message_delta\r\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":15}}"
      "\r\n\r\n");
  Usage usage;
  u.finish(usage);
  EXPECT_EQ(usage.input_tokens, 25);
  EXPECT_EQ(usage.output_tokens, 15);
}

TEST(UsageExtractorTest, NoUsageLeavesTheRecordUnreported) {
  UsageExtractor u(false);
  u.feed("not json");
  Usage usage;
  u.finish(usage);
  EXPECT_FALSE(usage.reported);
}

}  // namespace
}  // namespace gw::proxy
