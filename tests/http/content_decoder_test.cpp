#include "http/content_decoder.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/compress.hpp"

namespace gw::http {
namespace {

using test::compress;

std::string text_of(std::size_t n) {
  std::string text;
  for (std::size_t i = 0; text.size() < n; ++i)
    text += "token " + std::to_string(i * 7919 % 1000) + ' ';
  return text.substr(0, n);
}

// gzip, zlib-wrapped deflate and raw deflate decode to the original, in pieces of any size.
TEST(ContentDecoderTest, DecodesEveryEncodingInPiecesOfAnySize) {
  const std::string text = text_of(100000);  // more than one inflate buffer
  for (auto [encoding, bits] : {std::pair{"gzip", 15 + 16}, std::pair{"x-gzip", 15 + 16},
                                std::pair{"deflate", 15}, std::pair{"deflate", -15}}) {
    const std::string packed = compress(text, bits);
    for (std::size_t size : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, packed.size()}) {
      auto decoder = ContentDecoder::for_encoding(encoding);
      ASSERT_TRUE(decoder) << encoding;
      std::string out;
      for (std::size_t i = 0; i < packed.size(); i += size) {
        const bool last = i + size >= packed.size();
        ASSERT_TRUE(decoder->decode(std::string_view(packed).substr(i, size), last, out))
            << encoding << " " << bits << " piece " << size;
      }
      EXPECT_EQ(out, text) << encoding << " " << bits << " piece " << size;
    }
  }
}

TEST(ContentDecoderTest, RefusesEncodingsItCannotDecode) {
  EXPECT_FALSE(ContentDecoder::for_encoding("br"));
  EXPECT_FALSE(ContentDecoder::for_encoding("zstd"));
  EXPECT_FALSE(ContentDecoder::for_encoding("gzip, br"));
  EXPECT_TRUE(ContentDecoder::is_identity(""));
  EXPECT_TRUE(ContentDecoder::is_identity(" Identity "));
  EXPECT_FALSE(ContentDecoder::is_identity("gzip"));
}

// A body cut short, corrupt bytes, trailing bytes and a decompression bomb are errors.
TEST(ContentDecoderTest, RefusesTruncatedCorruptTrailingAndOversizedBodies) {
  const std::string packed = compress(text_of(5000), 15 + 16);
  std::string out;
  auto cut = ContentDecoder::for_encoding("gzip");
  EXPECT_FALSE(cut->decode(std::string_view(packed).substr(0, packed.size() / 2), true, out));

  auto corrupt = ContentDecoder::for_encoding("gzip");
  std::string bad = packed;
  bad[bad.size() / 2] ^= 0x5a;
  bad[bad.size() / 2 + 1] ^= 0x33;
  out.clear();
  EXPECT_FALSE(corrupt->decode(bad, true, out));

  auto trailing = ContentDecoder::for_encoding("gzip");
  out.clear();
  EXPECT_FALSE(trailing->decode(packed + "junk", true, out));

  const std::string bomb = compress(std::string(1 << 20, 'a'), 15 + 16);
  auto bounded = ContentDecoder::for_encoding("gzip");
  out.clear();
  auto r = bounded->decode(bomb, true, out, 64 * 1024);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, Reason::UpstreamProtocolError);
}

}  // namespace
}  // namespace gw::http
