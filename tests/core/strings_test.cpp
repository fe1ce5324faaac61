#include "core/strings.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gw {
namespace {

TEST(StringsTest, IequalsIgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("content-length", "content-lengt"));
  EXPECT_FALSE(iequals("x-user-id", "x-user-ie"));
  EXPECT_FALSE(iequals("@", "`"));  // 0x40 and 0x60 differ by the case bit but are no letters
  EXPECT_FALSE(iequals("\xc3\x89", "\xc3\xa9"));  // no case folding beyond ASCII
}

TEST(StringsTest, SafeHeaderValuesRefuseEveryControlCharacterButTab) {
  EXPECT_TRUE(is_safe_header_value(""));
  EXPECT_TRUE(is_safe_header_value("alice@example.com"));
  EXPECT_TRUE(is_safe_header_value("a\tb \xc3\xa9"));  // tab and bytes above 0x7f are fine
  for (int c = 0; c < 0x20; ++c) {
    if (c == '\t') continue;
    EXPECT_FALSE(is_safe_header_value(std::string("ab") + char(c) + "cd")) << c;
  }
  EXPECT_FALSE(is_safe_header_value("ab\x7f"));
}

// A control byte is found at every position of values of every length up to 70.
TEST(StringsTest, SafeHeaderValuesAreCheckedAtEveryPosition) {
  for (std::size_t size = 1; size < 70; ++size) {
    const std::string clean(size, 'v');
    EXPECT_TRUE(is_safe_header_value(clean)) << size;
    std::string tabs(size, '\t');
    EXPECT_TRUE(is_safe_header_value(tabs)) << size;
    for (std::size_t at = 0; at < size; ++at) {
      for (char bad : {'\r', '\n', '\0', '\x1f', '\x7f'}) {
        std::string value = clean;
        value[at] = bad;
        ASSERT_FALSE(is_safe_header_value(value)) << "size " << size << " at " << at;
      }
    }
  }
}

TEST(StringsTest, SanitizeRemovesControlsAndTrims) {
  EXPECT_EQ(sanitize_header_value("  doctor\r\nX-Evil: 1 "), "doctorX-Evil: 1");
  EXPECT_EQ(sanitize_header_value("a\tb"), "a\tb");
  EXPECT_EQ(sanitize_header_value(std::string("a\0b", 3)), "ab");
}

}  // namespace
}  // namespace gw
