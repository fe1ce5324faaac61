#pragma once

// Heads arrive in pieces: read_head (http/head.hpp) calls parse() again with the whole buffer
// each time more bytes came, and parse() resumes its search where the previous call stopped.
// This replays that and checks the outcome is the one of a single call over all the bytes.

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string_view>

#include "fuzz_check.hpp"

namespace gw::fuzz {

struct HeadOutcome {
  std::size_t used = 0;
  boost::system::error_code ec;
};

// Parses `input` into `whole` at once and into `pieces` as it would arrive in reads whose sizes
// are drawn from `steps`; checks both end the same way and returns the outcome.
template <class Head>
HeadOutcome parse_both_ways(std::string_view input, std::string_view steps, Head& whole,
                            Head& pieces) {
  HeadOutcome once;
  once.used = whole.parse(input, once.ec);

  HeadOutcome stepwise;
  std::size_t have = 0;
  std::size_t step = 0;
  do {
    const std::size_t grow =
        steps.empty() ? 1 : 1 + static_cast<unsigned char>(steps[step++ % steps.size()]) % 97;
    have = std::min(input.size(), have + grow);
    stepwise.ec = {};
    stepwise.used = pieces.parse(input.substr(0, have), stepwise.ec);
  } while (stepwise.ec == boost::beast::http::error::need_more && have < input.size());

  GW_FUZZ_CHECK(stepwise.ec == once.ec);
  GW_FUZZ_CHECK(stepwise.used == once.used);
  GW_FUZZ_CHECK(once.used <= input.size());
  GW_FUZZ_CHECK((once.used != 0) == !once.ec);
  return once;
}

}  // namespace gw::fuzz
