#include "audit/chain.hpp"
#include "audit/sink.hpp"

namespace gw::audit {

namespace {

VerifyReport run(const Result<std::vector<Entry>>& entries, const std::string& public_key_pem) {
  VerifyReport report;
  if (!entries) {
    report.problem = "unreadable";
    report.message = entries.error().detail;
    return report;
  }
  if (public_key_pem.empty()) return verify_entries(*entries, nullptr);
  auto key = crypto::PublicKey::from_pem(public_key_pem);
  if (!key || !key->allows(crypto::Algorithm::EdDSA)) {
    report.problem = "unreadable";
    report.message = "the public key is not an Ed25519 SubjectPublicKeyInfo PEM";
    return report;
  }
  return verify_entries(*entries, &*key);
}

}  // namespace

VerifyReport verify_sqlite(const std::string& path, const std::string& public_key_pem) {
  return run(read_sqlite(path), public_key_pem);
}

VerifyReport verify_jsonl(const std::string& path, const std::string& public_key_pem) {
  return run(read_jsonl(path), public_key_pem);
}

VerifyReport verify_postgres(const std::string& url, const std::string& public_key_pem) {
  return run(read_postgres(url), public_key_pem);
}

}  // namespace gw::audit
