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
  EXPECT_TRUE(usage.estimated);  // but what passed is charged
}

// A stream that ends before its usage event is charged for the deltas that passed, never zero.
TEST(UsageExtractorTest, AStreamCutBeforeItsUsageIsChargedForTheDeltasThatPassed) {
  UsageExtractor u(true);
  u.feed("data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n");
  for (int i = 0; i < 5; ++i) u.feed("data: {\"choices\":[{\"delta\":{\"content\":\"ab\"}}]}\n\n");
  u.feed("data: {\"choices\":[{\"delta\":{\"con");  // cut mid-event
  Usage usage;
  u.finish(usage, 42);
  EXPECT_FALSE(usage.reported);
  EXPECT_TRUE(usage.estimated);
  EXPECT_EQ(usage.output_tokens, 5);  // the role-only delta carries no text
  EXPECT_EQ(usage.input_tokens, 42);
}

// Long deltas count a token per four bytes of text when that is more than one per event.
TEST(UsageExtractorTest, LongDeltasAreCountedByTheirText) {
  UsageExtractor u(true);
  u.feed(
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{"
      "\"type\":\"text_delta\",\"text\":\"" +
      std::string(40, 'x') + "\"}}\n\n");
  u.feed("data: {\"type\":\"response.output_text.delta\",\"delta\":\"" + std::string(8, 'y') +
         "\"}\n\n");
  Usage usage;
  u.finish(usage);
  EXPECT_TRUE(usage.estimated);
  EXPECT_EQ(usage.output_tokens, 12);  // (40 + 8) / 4
}

// A JSON answer cut short is charged a token per four bytes that passed.
TEST(UsageExtractorTest, AJsonAnswerCutShortIsChargedForWhatPassed) {
  UsageExtractor u(false);
  u.feed(R"({"choices":[{"message":{"content":"abcdefgh)");
  Usage usage;
  u.finish(usage, 3);
  EXPECT_TRUE(usage.estimated);
  EXPECT_EQ(usage.output_tokens, 11);  // 42 bytes
  EXPECT_EQ(usage.input_tokens, 3);
}

// Nothing passed: nothing is charged.
TEST(UsageExtractorTest, NothingPassedChargesNothing) {
  UsageExtractor u(true);
  Usage usage;
  u.finish(usage, 50);
  EXPECT_FALSE(usage.any());
  EXPECT_EQ(usage.input_tokens, 0);
}

}  // namespace
}  // namespace gw::proxy
