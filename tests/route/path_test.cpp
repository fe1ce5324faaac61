#include <gtest/gtest.h>

#include "route/route.hpp"

namespace gw::route {
namespace {

TEST(NormalizeTargetTest, ResolvesDotSegmentsAndMergesSlashes) {
  auto t = normalize_target("/a/./b//c/../d?x=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/a/b/d");
  EXPECT_EQ(t->query, "x=1");
  EXPECT_TRUE(t->had_dot_segments);
}

TEST(NormalizeTargetTest, PercentEncodedDotsAreDecodedBeforeResolving) {
  auto t = normalize_target("/calendar/%2e%2e/admin");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/admin");
  EXPECT_EQ(t->raw_path, "/calendar/../admin");
  EXPECT_TRUE(t->had_dot_segments);
}

TEST(NormalizeTargetTest, EncodedSlashesBackslashesAndNulAreRefused) {
  for (const char* bad : {"/a%2fb", "/a%2Fb", "/a%5cb", "/a\\b", "/a%00b", "/a%zz", "/a%2"}) {
    auto t = normalize_target(bad);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().reason, Reason::InvalidPath) << bad;
  }
}

TEST(NormalizeTargetTest, ClimbingAboveTheRootIsRefused) {
  EXPECT_FALSE(normalize_target("/../etc/passwd"));
  EXPECT_FALSE(normalize_target("/a/../../b"));
}

TEST(NormalizeTargetTest, AbsoluteFormLosesItsAuthority) {
  auto t = normalize_target("http://evil.example:8080/v1/models?q");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/v1/models");
  EXPECT_EQ(t->query, "q");
  auto bare = normalize_target("HTTPS://evil.example");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->path, "/");
}

TEST(NormalizeTargetTest, RelativeAndAsteriskFormsAreRefused) {
  EXPECT_FALSE(normalize_target("calendar"));
  EXPECT_FALSE(normalize_target("*"));
  EXPECT_FALSE(normalize_target(""));
}

TEST(NormalizeTargetTest, TrailingSlashIsKept) {
  auto t = normalize_target("/calendar/");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/calendar/");
}

TEST(NormalizeTargetTest, PlainPathsAndDotFilesPassUnchanged) {
  for (std::string_view path : {"/", "/calendar/events", "/.well-known/jwks.json",
                                "/calendar/.hidden/x", "/a/b.c/", "/v1/..x/..."}) {
    auto t = normalize_target(path);
    ASSERT_TRUE(t) << path;
    EXPECT_EQ(t->path, path);
    EXPECT_FALSE(t->had_dot_segments) << path;
  }
  auto trailing_dot = normalize_target("/a/b/.");
  ASSERT_TRUE(trailing_dot);
  EXPECT_EQ(trailing_dot->path, "/a/b/");
  EXPECT_TRUE(trailing_dot->had_dot_segments);
  auto doubled = normalize_target("//calendar//events");
  ASSERT_TRUE(doubled);
  EXPECT_EQ(doubled->path, "/calendar/events");
}

TEST(EncodePathTest, ReencodesWhatIsNotSafeInAPath) {
  EXPECT_EQ(encode_path("/a b/ü?#"), "/a%20b/%C3%BC%3F%23");
  EXPECT_EQ(encode_path("/v1/chat/completions"), "/v1/chat/completions");
}

}  // namespace
}  // namespace gw::route
