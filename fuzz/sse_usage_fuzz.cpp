// An upstream's response body as it streams through the proxy (proxy::UsageExtractor): a
// text/event-stream of OpenAI or Anthropic events, or a JSON body, read for token usage. The
// body arrives in pieces of any size; the usage read must not depend on where they split.
//
// Input: one byte (bit 0: event stream, else JSON; the rest: a seed for the piece sizes), then
// the body.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/request_context.hpp"
#include "fuzz_check.hpp"
#include "proxy/proxy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool event_stream = (data[0] & 1) != 0;
  const std::string_view body = gw::fuzz::as_text(data + 1, size - 1);

  gw::proxy::UsageExtractor at_once(event_stream);
  at_once.feed(body);
  gw::Usage whole;
  at_once.finish(whole);

  gw::proxy::UsageExtractor in_pieces(event_stream);
  std::size_t seed = data[0] >> 1;
  for (std::string_view rest = body; !rest.empty();) {
    seed = seed * 1103515245 + 12345;
    const std::size_t n = std::min(rest.size(), 1 + (seed >> 8) % 40);
    in_pieces.feed(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  gw::Usage pieces;
  in_pieces.finish(pieces);

  GW_FUZZ_CHECK(whole.reported == pieces.reported);
  GW_FUZZ_CHECK(whole.input_tokens == pieces.input_tokens);
  GW_FUZZ_CHECK(whole.output_tokens == pieces.output_tokens);
  if (whole.reported) GW_FUZZ_CHECK(whole.input_tokens >= 0 && whole.output_tokens >= 0);
  return 0;
}
