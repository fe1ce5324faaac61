#include "core/sse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw {
namespace {

std::vector<std::string> split_in_pieces(std::string_view stream, std::size_t piece_size,
                                         std::size_t max_event = 1 << 20) {
  SseSplitter splitter(max_event);
  std::vector<std::string> events;
  auto on_event = [&](std::string_view e) { events.emplace_back(e); };
  for (std::size_t i = 0; i < stream.size(); i += piece_size) {
    splitter.feed(stream.substr(i, piece_size), on_event);
  }
  splitter.finish(on_event);
  return events;
}

// Every line end the spec allows gives the same events, whatever the piece boundaries (a CRLF
// split between two pieces included).
TEST(SseSplitterTest, SplitsEventsWithAnyLineEndAtAnyPieceBoundary) {
  const std::vector<std::string> want{"event: a\ndata: 1", "data: 2\ndata: 3",
                                      ": comment\ndata: 4"};
  for (std::string_view eol : {"\n", "\r\n", "\r"}) {
    std::string stream;
    for (const auto& e : want) {
      std::string_view rest = e;
      while (!rest.empty()) {
        const auto nl = rest.find('\n');
        stream.append(rest.substr(0, nl)).append(eol);
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
      stream.append(eol);
    }
    for (std::size_t size = 1; size <= stream.size(); ++size) {
      EXPECT_EQ(split_in_pieces(stream, size), want) << "piece size " << size;
    }
  }
}

// A final event without its blank line is still delivered when the body ends.
TEST(SseSplitterTest, DeliversAnUnterminatedLastEventAtTheEnd) {
  EXPECT_EQ(split_in_pieces("data: a\n\ndata: b", 3),
            (std::vector<std::string>{"data: a", "data: b"}));
}

// An event over the bound is dropped and counted; the events around it survive.
TEST(SseSplitterTest, DropsAnOversizedEventAndKeepsTheRest) {
  SseSplitter splitter(16);
  std::vector<std::string> events;
  auto on_event = [&](std::string_view e) { events.emplace_back(e); };
  splitter.feed("data: ok\n\ndata: " + std::string(40, 'x') + "\n\ndata: ok2\n\n", on_event);
  EXPECT_EQ(events, (std::vector<std::string>{"data: ok", "data: ok2"}));
  EXPECT_EQ(splitter.oversized(), 1u);
}

TEST(SseDataTest, JoinsDataLinesAndStripsOneSpace) {
  std::string out;
  append_sse_data("event: x\ndata: a\ndata:  b\ndata:c\nid: 1", out);
  EXPECT_EQ(out, "a\n b\nc");
  EXPECT_EQ(sse_event_type("event: message_delta\ndata: {}"), "message_delta");
  EXPECT_EQ(sse_event_type("data: {}"), "");
}

}  // namespace
}  // namespace gw
