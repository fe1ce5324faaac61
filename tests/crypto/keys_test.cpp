#include <gtest/gtest.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "crypto/crypto.hpp"

namespace gw::crypto {
namespace {

boost::json::object jwk(std::string_view text) { return boost::json::parse(text).as_object(); }

std::string b64(std::string_view text) { return *base64url_decode(text); }

// RFC 7515 appendix A.1-A.3 share this payload.
constexpr std::string_view kPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";

constexpr std::string_view kRfc7515RsaKey = R"({"kty":"RSA",
  "n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
  "e":"AQAB",
  "d":"ignored private member"})";
constexpr std::string_view kRfc7515RsaSignature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5ju"
    "jGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07"
    "Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipU"
    "TI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

constexpr std::string_view kRfc7515EcKey = R"({"kty":"EC","crv":"P-256",
  "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
constexpr std::string_view kRfc7515EcSignature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

constexpr std::string_view kRfc8037Key =
    R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr std::string_view kRfc8037Seed = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr std::string_view kRfc8037Input =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr std::string_view kRfc8037Signature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

std::string rs_input() { return "eyJhbGciOiJSUzI1NiJ9." + std::string(kPayload); }
std::string es_input() { return "eyJhbGciOiJFUzI1NiJ9." + std::string(kPayload); }

// Standard base64 with padding, for building PEM text in tests.
std::string base64_std(std::string_view bytes) {
  std::string out = base64url_encode(bytes);
  for (char& c : out) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

// An Ed25519 PKCS#8 PEM from its 32-byte seed (RFC 8410 fixed prefix).
std::string ed25519_pem(std::string_view seed) {
  const std::string der =
      std::string("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16) +
      std::string(seed);
  return "-----BEGIN PRIVATE KEY-----\n" + base64_std(der) + "\n-----END PRIVATE KEY-----\n";
}

TEST(PublicKeyTest, VerifiesRfc7515RS256Example) {
  auto key = PublicKey::from_jwk(jwk(kRfc7515RsaKey));
  ASSERT_TRUE(key) << key.error().detail;
  EXPECT_EQ(key->key_type(), "RSA");
  EXPECT_EQ(key->bits(), 2048);
  EXPECT_TRUE(key->verify(Algorithm::RS256, rs_input(), b64(kRfc7515RsaSignature)));
}

TEST(PublicKeyTest, VerifiesRfc7515ES256Example) {
  auto key = PublicKey::from_jwk(jwk(kRfc7515EcKey));
  ASSERT_TRUE(key) << key.error().detail;
  EXPECT_EQ(key->key_type(), "EC");
  EXPECT_TRUE(key->verify(Algorithm::ES256, es_input(), b64(kRfc7515EcSignature)));
}

TEST(PublicKeyTest, VerifiesRfc8037Ed25519Example) {
  auto key = PublicKey::from_jwk(jwk(kRfc8037Key));
  ASSERT_TRUE(key) << key.error().detail;
  EXPECT_EQ(key->key_type(), "OKP");
  EXPECT_TRUE(key->verify(Algorithm::EdDSA, kRfc8037Input, b64(kRfc8037Signature)));
}

TEST(PrivateKeyTest, Ed25519SigningIsDeterministicAsInRfc8037) {
  auto key = PrivateKey::from_pem(ed25519_pem(b64(kRfc8037Seed)));
  ASSERT_TRUE(key) << key.error().detail;
  auto sig = key->sign(Algorithm::EdDSA, kRfc8037Input);
  ASSERT_TRUE(sig);
  EXPECT_EQ(base64url_encode(*sig), kRfc8037Signature);
  EXPECT_EQ(boost::json::serialize(key->public_key().to_jwk().at("x")),
            "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"");
}

TEST(PublicKeyTest, RefusesTamperedSignatureAndInput) {
  auto rsa = PublicKey::from_jwk(jwk(kRfc7515RsaKey));
  ASSERT_TRUE(rsa);
  std::string sig = b64(kRfc7515RsaSignature);
  sig[10] ^= 0x01;
  EXPECT_FALSE(rsa->verify(Algorithm::RS256, rs_input(), sig));
  EXPECT_FALSE(rsa->verify(Algorithm::RS256, rs_input() + "x", b64(kRfc7515RsaSignature)));
  EXPECT_FALSE(rsa->verify(Algorithm::RS256, rs_input(), b64(kRfc7515RsaSignature).substr(1)));

  auto ec = PublicKey::from_jwk(jwk(kRfc7515EcKey));
  ASSERT_TRUE(ec);
  std::string es = b64(kRfc7515EcSignature);
  es[40] ^= 0x01;
  EXPECT_FALSE(ec->verify(Algorithm::ES256, es_input(), es));
  EXPECT_FALSE(ec->verify(Algorithm::ES256, es_input(), es.substr(0, 63)));
  EXPECT_FALSE(ec->verify(Algorithm::ES256, es_input(), std::string(64, '\0')));

  auto ed = PublicKey::from_jwk(jwk(kRfc8037Key));
  ASSERT_TRUE(ed);
  std::string ed_sig = b64(kRfc8037Signature);
  ed_sig[0] ^= 0x01;
  EXPECT_FALSE(ed->verify(Algorithm::EdDSA, kRfc8037Input, ed_sig));
}

TEST(PublicKeyTest, RefusesAlgorithmThatDoesNotFitTheKey) {
  auto rsa = PublicKey::from_jwk(jwk(kRfc7515RsaKey));
  auto ec = PublicKey::from_jwk(jwk(kRfc7515EcKey));
  auto ed = PublicKey::from_jwk(jwk(kRfc8037Key));
  ASSERT_TRUE(rsa && ec && ed);
  EXPECT_TRUE(rsa->allows(Algorithm::RS256));
  EXPECT_TRUE(rsa->allows(Algorithm::PS256));
  EXPECT_FALSE(rsa->allows(Algorithm::ES256));
  EXPECT_FALSE(rsa->allows(Algorithm::EdDSA));
  EXPECT_FALSE(ec->allows(Algorithm::RS256));
  EXPECT_FALSE(ed->allows(Algorithm::ES256));
  // The RS256 signature is not accepted as PS256, nor the ES256 one under the RSA key.
  EXPECT_FALSE(rsa->verify(Algorithm::PS256, rs_input(), b64(kRfc7515RsaSignature)));
  EXPECT_FALSE(rsa->verify(Algorithm::ES256, es_input(), b64(kRfc7515EcSignature)));
  EXPECT_FALSE(ed->verify(Algorithm::ES256, kRfc8037Input, b64(kRfc8037Signature)));
}

TEST(PublicKeyTest, JwkAlgMemberBindsTheKey) {
  auto obj = jwk(kRfc7515RsaKey);
  obj["alg"] = "PS256";
  auto key = PublicKey::from_jwk(obj);
  ASSERT_TRUE(key);
  EXPECT_FALSE(key->allows(Algorithm::RS256));
  EXPECT_FALSE(key->verify(Algorithm::RS256, rs_input(), b64(kRfc7515RsaSignature)));
  obj["alg"] = "ES256";  // does not fit an RSA key
  EXPECT_FALSE(PublicKey::from_jwk(obj));
  obj["alg"] = "HS256";
  EXPECT_FALSE(PublicKey::from_jwk(obj));
}

TEST(PublicKeyTest, RejectsMalformedJwks) {
  EXPECT_FALSE(PublicKey::from_jwk(jwk(R"({"kty":"oct","k":"AAAA"})")));
  EXPECT_FALSE(PublicKey::from_jwk(jwk(R"({"n":"AQAB","e":"AQAB"})")));
  EXPECT_FALSE(PublicKey::from_jwk(jwk(R"({"kty":"RSA","e":"AQAB"})")));
  EXPECT_FALSE(PublicKey::from_jwk(jwk(R"({"kty":"RSA","n":"a+b/","e":"AQAB"})")));
  // Wrong curve, short coordinates, a point not on the curve.
  EXPECT_FALSE(PublicKey::from_jwk(jwk(
      R"({"kty":"EC","crv":"P-384","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})")));
  EXPECT_FALSE(PublicKey::from_jwk(jwk(
      R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"AQAB"})")));
  EXPECT_FALSE(PublicKey::from_jwk(jwk(
      R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"})")));
  EXPECT_FALSE(PublicKey::from_jwk(jwk(R"({"kty":"OKP","crv":"Ed448","x":"AAAA"})")));
  EXPECT_FALSE(PublicKey::from_jwk(jwk(R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})")));
}

// RFC 7638 §3.1.
TEST(PublicKeyTest, ThumbprintMatchesRfc7638Example) {
  auto key = PublicKey::from_jwk(jwk(R"({"kty":"RSA",
    "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e":"AQAB","alg":"RS256","kid":"2011-04-29"})"));
  ASSERT_TRUE(key) << key.error().detail;
  EXPECT_EQ(key->thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  auto out = key->to_jwk();
  EXPECT_EQ(out.at("kid").as_string(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(out.at("alg").as_string(), "RS256");
  EXPECT_FALSE(out.contains("d"));
}

TEST(PublicKeyTest, ExportedJwkImportsToTheSameKey) {
  for (auto alg : {Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA}) {
    auto priv = PrivateKey::generate(alg);
    auto pub = priv.public_key();
    auto again = PublicKey::from_jwk(pub.to_jwk());
    ASSERT_TRUE(again) << to_string(alg);
    EXPECT_EQ(again->thumbprint(), pub.thumbprint());
    auto sig = priv.sign(alg, "data");
    ASSERT_TRUE(sig);
    EXPECT_TRUE(again->verify(alg, "data", *sig)) << to_string(alg);
  }
}

TEST(PrivateKeyTest, PS256RoundTripsAndIsNotRS256) {
  auto priv = PrivateKey::generate(Algorithm::PS256);
  auto sig = priv.sign(Algorithm::PS256, "signing input");
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 256u);
  auto pub = PublicKey::from_jwk(priv.public_key().to_jwk());
  ASSERT_TRUE(pub);
  EXPECT_TRUE(pub->verify(Algorithm::PS256, "signing input", *sig));
  EXPECT_FALSE(pub->verify(Algorithm::PS256, "signing inpuT", *sig));
  // Bound to PS256 by its JWK "alg", the key refuses RS256.
  EXPECT_FALSE(pub->verify(Algorithm::RS256, "signing input", *sig));
}

TEST(PrivateKeyTest, ES256SignatureIsRaw64Bytes) {
  auto priv = PrivateKey::generate(Algorithm::ES256);
  auto sig = priv.sign(Algorithm::ES256, "x");
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(priv.public_key().verify(Algorithm::ES256, "x", *sig));
}

TEST(PrivateKeyTest, RefusesAlgorithmThatDoesNotFitTheKey) {
  const std::array all = {Algorithm::RS256, Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA};
  for (auto generated : {Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA}) {
    // Bound to its algorithm when generated; from PEM, by key type only (RSA: RS256 and PS256).
    auto priv = PrivateKey::generate(generated);
    auto loaded = PrivateKey::from_pem(priv.pem());
    ASSERT_TRUE(loaded);
    for (auto alg : all) {
      EXPECT_EQ(static_cast<bool>(priv.sign(alg, "x")), alg == generated)
          << to_string(generated) << " key, " << to_string(alg);
      const bool fits =
          alg == generated || (generated == Algorithm::PS256 && alg == Algorithm::RS256);
      EXPECT_EQ(static_cast<bool>(loaded->sign(alg, "x")), fits)
          << to_string(generated) << " key from PEM, " << to_string(alg);
      EXPECT_EQ(fits, loaded->public_key().allows(alg)) << to_string(alg);
    }
  }
}

TEST(PrivateKeyTest, PemRoundTrips) {
  auto priv = PrivateKey::generate(Algorithm::ES256);
  const std::string pem = priv.pem();
  EXPECT_NE(pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  auto again = PrivateKey::from_pem(pem);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key().thumbprint(), priv.public_key().thumbprint());
  EXPECT_FALSE(PrivateKey::from_pem("not a key"));
  EXPECT_FALSE(PrivateKey::load_pem_file("/nonexistent/key.pem"));
}

TEST(SignJwtTest, ProducesVerifiableCompactJws) {
  auto priv = PrivateKey::generate(Algorithm::ES256);
  boost::json::object payload{{"sub", "alice"}};
  auto token = sign_jwt(payload, priv, Algorithm::ES256, "k1", {{"cty", "x"}});
  ASSERT_TRUE(token);
  const auto first = token->find('.');
  const auto last = token->rfind('.');
  ASSERT_NE(first, last);
  auto header = boost::json::parse(*base64url_decode(token->substr(0, first))).as_object();
  EXPECT_EQ(header.at("alg").as_string(), "ES256");
  EXPECT_EQ(header.at("typ").as_string(), "JWT");
  EXPECT_EQ(header.at("kid").as_string(), "k1");
  EXPECT_EQ(header.at("cty").as_string(), "x");
  EXPECT_EQ(*base64url_decode(token->substr(first + 1, last - first - 1)), R"({"sub":"alice"})");
  EXPECT_TRUE(priv.public_key().verify(Algorithm::ES256, token->substr(0, last),
                                       *base64url_decode(token->substr(last + 1))));
}

}  // namespace
}  // namespace gw::crypto
