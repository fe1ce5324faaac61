#pragma once

// Hashing, encodings, keys and JWS signatures on OpenSSL 3 (EVP only).

#include <openssl/types.h>

#include <boost/json/object.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace gw::crypto {

std::string sha256(std::string_view data);      // 32 raw bytes
std::string sha256_hex(std::string_view data);  // lowercase hex
std::string hex_encode(std::string_view bytes);

std::string base64url_encode(std::string_view bytes);  // RFC 4648 §5, no padding
// Strict: rejects padding, '+', '/', whitespace, impossible lengths and non-zero trailing bits.
std::optional<std::string> base64url_decode(std::string_view text);

std::string random_bytes(std::size_t n);  // RAND_bytes; aborts if the CSPRNG fails

// JWS algorithms (RFC 7518 / RFC 8037) the gateway supports.
enum class Algorithm { RS256, PS256, ES256, EdDSA };
std::optional<Algorithm> parse_algorithm(std::string_view name);  // exact, case-sensitive
std::string_view to_string(Algorithm alg) noexcept;

struct VerifyTemplates;

// A public key for verifying JWS signatures. Immutable; copies share the OpenSSL key.
class PublicKey {
 public:
  // RSA (n, e), EC P-256 (crv, x, y), OKP Ed25519 (crv, x). Private members are ignored.
  // A JWK "alg" member must name a supported algorithm that fits the key; it then binds the key.
  static Result<PublicKey> from_jwk(const boost::json::object& jwk);
  // SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY").
  static Result<PublicKey> from_pem(std::string_view pem);

  std::string_view key_type() const noexcept;  // "RSA" | "EC" | "OKP"
  int bits() const noexcept;
  // The algorithm the key is bound to (JWK "alg"), when it is.
  std::optional<Algorithm> algorithm() const noexcept { return alg_; }
  // True when `alg` fits the key type (RS256/PS256: RSA, ES256: P-256, EdDSA: Ed25519) and
  // the key's bound algorithm, if any.
  bool allows(Algorithm alg) const noexcept;
  // Verifies a JWS signature (ES256: raw r||s, 64 bytes). False on any mismatch or error.
  bool verify(Algorithm alg, std::string_view signing_input, std::string_view signature) const;

  // Public members only, plus "kid" (RFC 7638 thumbprint) and "alg" when known.
  boost::json::object to_jwk() const;
  std::string thumbprint() const;  // RFC 7638 SHA-256 thumbprint, base64url

  EVP_PKEY* native() const noexcept { return key_.get(); }

 private:
  enum class Kind { Rsa, EcP256, Ed25519 };
  PublicKey(std::shared_ptr<EVP_PKEY> key, Kind kind, std::optional<Algorithm> alg)
      : key_(std::move(key)), kind_(kind), alg_(alg) {}
  static Result<PublicKey> adopt(std::shared_ptr<EVP_PKEY> key, std::optional<Algorithm> alg);
  friend class PrivateKey;

  std::shared_ptr<EVP_PKEY> key_;
  Kind kind_;
  std::optional<Algorithm> alg_;
  std::shared_ptr<const VerifyTemplates> templates_;  // prepared per algorithm (keys.cpp)
};

// A private signing key (for the gateway's identity assertions and for tests).
class PrivateKey {
 public:
  static Result<PrivateKey> load_pem_file(const std::string& path);  // startup only: blocks
  static Result<PrivateKey> from_pem(std::string_view pem);          // PKCS#8 or traditional
  // EdDSA -> Ed25519, ES256 -> P-256, RS256/PS256 -> RSA 2048. The key is bound to `alg`.
  static PrivateKey generate(Algorithm alg);

  // JWS signature over `data` (ES256: raw r||s, 64 bytes).
  Result<std::string> sign(Algorithm alg, std::string_view data) const;
  PublicKey public_key() const;
  std::string pem() const;  // PKCS#8 "BEGIN PRIVATE KEY"

 private:
  PrivateKey(std::shared_ptr<EVP_PKEY> key, std::optional<Algorithm> alg)
      : key_(std::move(key)), alg_(alg) {}

  std::shared_ptr<EVP_PKEY> key_;
  std::optional<Algorithm> alg_;
};

// Compact JWS: protected header {"alg","typ":"JWT","kid"} plus `extra_header` members (which
// may override "typ"), payload serialised as given. An empty kid is left out.
Result<std::string> sign_jwt(const boost::json::object& payload, const PrivateKey& key,
                             Algorithm alg, std::string_view kid,
                             const boost::json::object& extra_header = {});

}  // namespace gw::crypto
