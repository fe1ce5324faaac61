#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crypto/crypto.hpp"
#include "crypto/ossl.hpp"

namespace gw::crypto {
namespace {

using namespace detail;

constexpr std::size_t kMaxRsaModulusBytes = 2048;  // 16384-bit keys; larger ones are refused
constexpr std::size_t kMaxRsaExponentBytes = 8;

Error key_error(std::string detail) {
  ERR_clear_error();
  return make_error(Reason::UnknownKey, std::move(detail), Origin::Upstream);
}

[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "gatewaystack: %s failed\n", what);
  std::abort();
}

std::optional<std::string> string_member(const boost::json::object& jwk, std::string_view name) {
  const auto* value = jwk.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  const auto& s = value->get_string();
  return std::string(s.data(), s.size());
}

// Decodes a required base64url member of a JWK.
Result<std::string> bytes_member(const boost::json::object& jwk, std::string_view name) {
  auto text = string_member(jwk, name);
  if (!text) return key_error("JWK member \"" + std::string(name) + "\" missing or not a string");
  auto decoded = base64url_decode(*text);
  if (!decoded || decoded->empty()) {
    return key_error("JWK member \"" + std::string(name) + "\" is not base64url");
  }
  return std::move(*decoded);
}

Result<std::shared_ptr<EVP_PKEY>> key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return key_error("cannot build key");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return key_error("key parameters rejected");
  }
  return share(EvpPkeyPtr(raw));
}

Result<std::shared_ptr<EVP_PKEY>> rsa_from_jwk(const boost::json::object& jwk) {
  auto n = bytes_member(jwk, "n");
  if (!n) return n.error();
  auto e = bytes_member(jwk, "e");
  if (!e) return e.error();
  if (n->size() > kMaxRsaModulusBytes) return key_error("RSA modulus too large");
  if (e->size() > kMaxRsaExponentBytes) return key_error("RSA exponent too large");
  BignumPtr bn_n = to_bignum(*n);
  BignumPtr bn_e = to_bignum(*e);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return key_error("cannot build RSA key");
  }
  return key_from_params("RSA", bld.get());
}

Result<std::shared_ptr<EVP_PKEY>> ec_from_jwk(const boost::json::object& jwk) {
  if (string_member(jwk, "crv") != "P-256") return key_error("unsupported EC curve");
  auto x = bytes_member(jwk, "x");
  if (!x) return x.error();
  auto y = bytes_member(jwk, "y");
  if (!y) return y.error();
  if (x->size() != 32 || y->size() != 32) return key_error("P-256 coordinates must be 32 bytes");
  std::string point = "\x04" + *x + *y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return key_error("cannot build EC key");
  }
  auto key = key_from_params("EC", bld.get());
  if (!key) return key;
  // The point must lie on the curve (invalid-curve attacks).
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return key_error("EC point not on curve");
  return key;
}

Result<std::shared_ptr<EVP_PKEY>> okp_from_jwk(const boost::json::object& jwk) {
  if (string_member(jwk, "crv") != "Ed25519") return key_error("unsupported OKP curve");
  auto x = bytes_member(jwk, "x");
  if (!x) return x.error();
  if (x->size() != 32) return key_error("Ed25519 key must be 32 bytes");
  EvpPkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(*x), x->size()));
  if (!key) return key_error("Ed25519 key rejected");
  return share(std::move(key));
}

std::string ec_group_name(EVP_PKEY* key) {
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) !=
      1) {
    return {};
  }
  return std::string(name, len);
}

std::string bn_param(EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return {};
  BignumPtr bn(raw);
  return from_bignum(bn.get(), width);
}

void configure_pss(EVP_PKEY_CTX* pctx) {
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
}

std::string ecdsa_raw_to_der(std::string_view raw) {
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BignumPtr r = to_bignum(raw.substr(0, 32));
  BignumPtr s = to_bignum(raw.substr(32, 32));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  r.release();  // owned by sig now
  s.release();
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return {};
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return {};
  return der;
}

std::string ecdsa_der_to_raw(std::string_view der) {
  const unsigned char* in = bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out = from_bignum(r, 32);
  std::string s_bytes = from_bignum(s, 32);
  if (out.size() != 32 || s_bytes.size() != 32) return {};
  return out + s_bytes;
}

}  // namespace

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  if (name == "RS256") return Algorithm::RS256;
  if (name == "PS256") return Algorithm::PS256;
  if (name == "ES256") return Algorithm::ES256;
  if (name == "EdDSA") return Algorithm::EdDSA;
  return std::nullopt;
}

std::string_view to_string(Algorithm alg) noexcept {
  switch (alg) {
    case Algorithm::RS256:
      return "RS256";
    case Algorithm::PS256:
      return "PS256";
    case Algorithm::ES256:
      return "ES256";
    case Algorithm::EdDSA:
      return "EdDSA";
  }
  return "unknown";
}

// ---- PublicKey ----

// Verification contexts initialised once per key and algorithm. Copying one is much cheaper
// than EVP_DigestVerifyInit, which looks the algorithms up in the provider every time.
struct VerifyTemplates {
  EvpMdCtxPtr rs256;
  EvpMdCtxPtr ps256;
  EvpMdCtxPtr es256;

  const EVP_MD_CTX* get(Algorithm alg) const noexcept {
    switch (alg) {
      case Algorithm::RS256:
        return rs256.get();
      case Algorithm::PS256:
        return ps256.get();
      case Algorithm::ES256:
        return es256.get();
      case Algorithm::EdDSA:
        break;  // one-shot only: no template
    }
    return nullptr;
  }
};

namespace {

EvpMdCtxPtr verify_template(EVP_PKEY* key, Algorithm alg) {
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, EVP_sha256(), nullptr, key) != 1) {
    ERR_clear_error();
    return nullptr;  // verify() falls back to a fresh initialisation
  }
  if (alg == Algorithm::PS256) configure_pss(pctx);
  return md;
}

}  // namespace

Result<PublicKey> PublicKey::adopt(std::shared_ptr<EVP_PKEY> key, std::optional<Algorithm> alg) {
  Kind kind{};
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
      kind = Kind::Rsa;
      break;
    case EVP_PKEY_EC:
      if (ec_group_name(key.get()) != "prime256v1") return key_error("unsupported EC curve");
      kind = Kind::EcP256;
      break;
    case EVP_PKEY_ED25519:
      kind = Kind::Ed25519;
      break;
    default:
      return key_error("unsupported key type");
  }
  PublicKey out(std::move(key), kind, std::nullopt);
  if (alg && !out.allows(*alg)) return key_error("JWK alg does not fit the key type");
  out.alg_ = alg;
  auto templates = std::make_shared<VerifyTemplates>();
  if (kind == Kind::Rsa) {
    templates->rs256 = verify_template(out.key_.get(), Algorithm::RS256);
    templates->ps256 = verify_template(out.key_.get(), Algorithm::PS256);
  } else if (kind == Kind::EcP256) {
    templates->es256 = verify_template(out.key_.get(), Algorithm::ES256);
  }
  out.templates_ = std::move(templates);
  return out;
}

Result<PublicKey> PublicKey::from_jwk(const boost::json::object& jwk) {
  auto kty = string_member(jwk, "kty");
  if (!kty) return key_error("JWK without kty");
  std::optional<Algorithm> alg;
  if (const auto* a = jwk.if_contains("alg")) {
    if (!a->is_string()) return key_error("JWK alg is not a string");
    alg = parse_algorithm(std::string_view(a->get_string()));
    if (!alg) return key_error("unsupported JWK alg");
  }
  Result<std::shared_ptr<EVP_PKEY>> key = key_error("unsupported kty");
  if (*kty == "RSA") {
    key = rsa_from_jwk(jwk);
  } else if (*kty == "EC") {
    key = ec_from_jwk(jwk);
  } else if (*kty == "OKP") {
    key = okp_from_jwk(jwk);
  }
  if (!key) return key.error();
  return adopt(std::move(*key), alg);
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return key_error("cannot read PEM");
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return key_error("not a PEM public key");
  return adopt(share(std::move(key)), std::nullopt);
}

std::string_view PublicKey::key_type() const noexcept {
  switch (kind_) {
    case Kind::Rsa:
      return "RSA";
    case Kind::EcP256:
      return "EC";
    case Kind::Ed25519:
      return "OKP";
  }
  return "";
}

int PublicKey::bits() const noexcept { return EVP_PKEY_get_bits(key_.get()); }

bool PublicKey::allows(Algorithm alg) const noexcept {
  if (alg_ && *alg_ != alg) return false;
  switch (alg) {
    case Algorithm::RS256:
    case Algorithm::PS256:
      return kind_ == Kind::Rsa;
    case Algorithm::ES256:
      return kind_ == Kind::EcP256;
    case Algorithm::EdDSA:
      return kind_ == Kind::Ed25519;
  }
  return false;
}

bool PublicKey::verify(Algorithm alg, std::string_view signing_input,
                       std::string_view signature) const {
  if (!allows(alg)) return false;
  std::string der;
  if (alg == Algorithm::ES256) {
    if (signature.size() != 64) return false;
    der = ecdsa_raw_to_der(signature);
    if (der.empty()) return false;
    signature = der;
  } else if (alg != Algorithm::EdDSA &&
             signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key_.get()))) {
    return false;
  }
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  if (!md) return false;
  const EVP_MD_CTX* prepared = templates_ ? templates_->get(alg) : nullptr;
  if (prepared != nullptr && EVP_MD_CTX_copy_ex(md.get(), prepared) == 1) {
    // ready for EVP_DigestVerify
  } else {
    ERR_clear_error();
    EVP_PKEY_CTX* pctx = nullptr;
    const EVP_MD* digest = alg == Algorithm::EdDSA ? nullptr : EVP_sha256();
    if (EVP_DigestVerifyInit(md.get(), &pctx, digest, nullptr, key_.get()) != 1) {
      ERR_clear_error();
      return false;
    }
    if (alg == Algorithm::PS256) configure_pss(pctx);
  }
  const int rc = EVP_DigestVerify(md.get(), bytes(signature), signature.size(),
                                  bytes(signing_input), signing_input.size());
  if (rc != 1) ERR_clear_error();
  return rc == 1;
}

namespace {

std::vector<std::pair<std::string, std::string>> public_members(EVP_PKEY* key,
                                                                std::string_view kty) {
  if (kty == "RSA") {
    return {{"e", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_E))},
            {"kty", "RSA"},
            {"n", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_N))}};
  }
  if (kty == "EC") {
    return {{"crv", "P-256"},
            {"kty", "EC"},
            {"x", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
            {"y", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
  }
  unsigned char raw[32];
  std::size_t len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1) len = 0;
  return {{"crv", "Ed25519"},
          {"kty", "OKP"},
          {"x", base64url_encode(std::string_view(reinterpret_cast<char*>(raw), len))}};
}

}  // namespace

std::string PublicKey::thumbprint() const {
  // RFC 7638 §3: required members, lexicographic order, no whitespace. Values are base64url or
  // fixed names, so no JSON escaping is needed.
  std::string canonical = "{";
  for (const auto& [name, value] : public_members(key_.get(), key_type())) {
    if (canonical.size() > 1) canonical += ",";
    canonical += "\"" + name + "\":\"" + value + "\"";
  }
  canonical += "}";
  return base64url_encode(sha256(canonical));
}

boost::json::object PublicKey::to_jwk() const {
  boost::json::object jwk;
  for (const auto& [name, value] : public_members(key_.get(), key_type())) jwk[name] = value;
  jwk["use"] = "sig";
  jwk["kid"] = thumbprint();
  std::optional<Algorithm> alg = alg_;
  if (!alg && kind_ == Kind::EcP256) alg = Algorithm::ES256;
  if (!alg && kind_ == Kind::Ed25519) alg = Algorithm::EdDSA;
  if (alg) jwk["alg"] = to_string(*alg);
  return jwk;
}

// ---- PrivateKey ----

Result<PrivateKey> PrivateKey::load_pem_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Reason::Internal, "cannot open " + path, Origin::Internal);
  std::ostringstream text;
  text << in.rdbuf();
  return from_pem(text.str());
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return key_error("cannot read PEM");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return key_error("not a PEM private key");
  auto shared = share(std::move(key));
  auto check = PublicKey::adopt(shared, std::nullopt);  // supported type and curve
  if (!check) return check.error();
  return PrivateKey(std::move(shared), std::nullopt);
}

PrivateKey PrivateKey::generate(Algorithm alg) {
  EVP_PKEY* raw = nullptr;
  switch (alg) {
    case Algorithm::RS256:
    case Algorithm::PS256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
      break;
    case Algorithm::ES256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case Algorithm::EdDSA:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) fatal("key generation");
  return PrivateKey(share(EvpPkeyPtr(raw)), alg);
}

PublicKey PrivateKey::public_key() const {
  // Round-trip through SubjectPublicKeyInfo so the public key holds no private material.
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key_.get(), &der);
  if (size <= 0) fatal("public key export");
  const unsigned char* in = der;
  EvpPkeyPtr pub(d2i_PUBKEY(nullptr, &in, size));
  OPENSSL_free(der);
  if (!pub) fatal("public key import");
  auto out = PublicKey::adopt(share(std::move(pub)), alg_);
  if (!out) fatal("public key adoption");
  return std::move(*out);
}

Result<std::string> PrivateKey::sign(Algorithm alg, std::string_view data) const {
  // What public_key().allows(alg) says, without exporting the public key through DER on every
  // signature (an EC private key is P-256: from_pem and generate accept no other curve).
  int type = EVP_PKEY_NONE;
  switch (alg) {
    case Algorithm::RS256:
    case Algorithm::PS256:
      type = EVP_PKEY_RSA;
      break;
    case Algorithm::ES256:
      type = EVP_PKEY_EC;
      break;
    case Algorithm::EdDSA:
      type = EVP_PKEY_ED25519;
      break;
  }
  if ((alg_ && *alg_ != alg) || EVP_PKEY_get_base_id(key_.get()) != type) {
    return make_error(Reason::UnsupportedAlgorithm,
                      std::string(to_string(alg)) + " does not fit the key", Origin::Internal);
  }
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* digest = alg == Algorithm::EdDSA ? nullptr : EVP_sha256();
  std::size_t size = 0;
  if (!md || EVP_DigestSignInit(md.get(), &pctx, digest, nullptr, key_.get()) != 1) {
    ERR_clear_error();
    return make_error(Reason::Internal, "sign init failed", Origin::Internal);
  }
  if (alg == Algorithm::PS256) configure_pss(pctx);
  if (EVP_DigestSign(md.get(), nullptr, &size, bytes(data), data.size()) != 1) {
    ERR_clear_error();
    return make_error(Reason::Internal, "sign failed", Origin::Internal);
  }
  std::string sig(size, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &size, bytes(data),
                     data.size()) != 1) {
    ERR_clear_error();
    return make_error(Reason::Internal, "sign failed", Origin::Internal);
  }
  sig.resize(size);
  if (alg == Algorithm::ES256) {
    sig = ecdsa_der_to_raw(sig);
    if (sig.empty()) return make_error(Reason::Internal, "bad ECDSA signature", Origin::Internal);
  }
  return sig;
}

std::string PrivateKey::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fatal("PEM export");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// ---- JWS ----

Result<std::string> sign_jwt(const boost::json::object& payload, const PrivateKey& key,
                             Algorithm alg, std::string_view kid,
                             const boost::json::object& extra_header) {
  boost::json::object header;
  header["alg"] = to_string(alg);
  header["typ"] = "JWT";
  if (!kid.empty()) header["kid"] = kid;
  for (const auto& member : extra_header) header[member.key()] = member.value();
  std::string input = base64url_encode(boost::json::serialize(header)) + "." +
                      base64url_encode(boost::json::serialize(payload));
  auto sig = key.sign(alg, input);
  if (!sig) return sig.error();
  input += ".";
  input += base64url_encode(*sig);
  return input;
}

}  // namespace gw::crypto
