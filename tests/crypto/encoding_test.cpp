#include <gtest/gtest.h>

#include <string>

#include "crypto/crypto.hpp"

namespace gw::crypto {
namespace {

// FIPS 180-2 / NIST example vectors.
TEST(Sha256Test, MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256("abc").size(), 32u);
}

TEST(HexTest, EncodesLowercase) {
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hex_encode(""), "");
}

// RFC 4648 §10 vectors, in the URL alphabet without padding.
TEST(Base64UrlTest, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += 37) {
    const std::string piece = all.substr(0, len);
    auto decoded = base64url_decode(base64url_encode(piece));
    ASSERT_TRUE(decoded) << len;
    EXPECT_EQ(*decoded, piece);
  }
}

TEST(Base64UrlTest, DecodesUrlAlphabet) {
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(base64url_decode(""), std::string());
  EXPECT_EQ(base64url_decode("Zm9vYmFy"), std::string("foobar"));
}

TEST(Base64UrlTest, RejectsPaddingStandardAlphabetAndWhitespace) {
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Zm8="));
  EXPECT_FALSE(base64url_decode("+/8"));
  EXPECT_FALSE(base64url_decode("Zm9v Yg"));
  EXPECT_FALSE(base64url_decode("Zm9v\nYg"));
  EXPECT_FALSE(base64url_decode("Zm9v."));
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)));
}

TEST(Base64UrlTest, RejectsImpossibleLengthAndNonZeroTrailingBits) {
  EXPECT_FALSE(base64url_decode("Z"));      // 6 bits cannot make a byte
  EXPECT_FALSE(base64url_decode("Zm9vY"));  // length % 4 == 1
  EXPECT_FALSE(base64url_decode("Zh"));     // "Zg" with a non-zero trailing bit
  EXPECT_FALSE(base64url_decode("Zm9"));    // "Zm8" with non-zero trailing bits
  EXPECT_TRUE(base64url_decode("Zg"));
}

TEST(RandomBytesTest, ReturnsRequestedLengthAndDiffers) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(32).size(), 32u);
  EXPECT_NE(random_bytes(32), random_bytes(32));
}

TEST(AlgorithmTest, ParsesExactNamesOnly) {
  EXPECT_EQ(parse_algorithm("RS256"), Algorithm::RS256);
  EXPECT_EQ(parse_algorithm("PS256"), Algorithm::PS256);
  EXPECT_EQ(parse_algorithm("ES256"), Algorithm::ES256);
  EXPECT_EQ(parse_algorithm("EdDSA"), Algorithm::EdDSA);
  EXPECT_FALSE(parse_algorithm("none"));
  EXPECT_FALSE(parse_algorithm("HS256"));
  EXPECT_FALSE(parse_algorithm("rs256"));
  EXPECT_EQ(to_string(Algorithm::EdDSA), "EdDSA");
}

}  // namespace
}  // namespace gw::crypto
