#include "core/reason.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace gw {
namespace {

TEST(ReasonTest, CodesAreUniqueSnakeCaseAndStatusesAreErrors) {
  std::set<std::string_view> seen;
  for (Reason r : all_reasons()) {
    const auto& i = info(r);
    EXPECT_TRUE(seen.insert(i.code).second) << i.code;
    for (char c : i.code) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << i.code;
    EXPECT_GE(i.status, 400) << i.code;
    EXPECT_LT(i.status, 600) << i.code;
  }
}

TEST(ReasonTest, BadTokensAre401AndMissingKeysAre503) {
  EXPECT_EQ(status(Reason::BadSignature), 401);
  EXPECT_EQ(status(Reason::TokenExpired), 401);
  EXPECT_EQ(status(Reason::JwksUnavailable), 503);
  EXPECT_EQ(code(Reason::UpstreamTimeout), "upstream_timeout");
}

}  // namespace
}  // namespace gw
