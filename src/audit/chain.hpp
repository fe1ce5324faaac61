#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "audit/audit.hpp"
#include "audit/record.hpp"
#include "crypto/crypto.hpp"

namespace gw::audit {

// The head of one instance's chain: the last entry's sequence number and hash.
struct Head {
  std::int64_t seq = 0;
  std::string hash{kGenesisHash};
};

// Appends entries to one instance's chain: assigns seq, prev_hash and hash.
class Chain {
 public:
  Chain(std::string instance_id, Head head) : instance_id_(std::move(instance_id)), head_(head) {}
  void append(Entry& entry);
  const Head& head() const noexcept { return head_; }
  const std::string& instance_id() const noexcept { return instance_id_; }

 private:
  std::string instance_id_;
  Head head_;
  std::vector<char> buffer_;  // for the canonical encoding being hashed, entry after entry
};

// The bytes a checkpoint's signature covers: its canonical encoding with `signature` empty.
std::string checkpoint_signing_input(const Entry& checkpoint);

// Builds, signs and appends a checkpoint ("segment_start", "periodic" or "shutdown") that
// commits to the chain's head (its prev_hash) and count (its seq - 1).
Entry make_checkpoint(Chain& chain, const crypto::PrivateKey& key, std::string_view type,
                      std::int64_t time_ms);
// The same with the key's id given: key.public_key().thumbprint(), which costs a round trip of
// the key through DER, computed once by a caller that writes checkpoint after checkpoint.
Entry make_checkpoint(Chain& chain, const crypto::PrivateKey& key, std::string_view key_id,
                      std::string_view type, std::int64_t time_ms);

// Checks entries in storage order (several instances may be interleaved): each entry's hash,
// each instance's sequence and links, and, with a key, every checkpoint's signature. Stops at
// the first problem and names the entry.
VerifyReport verify_entries(std::span<const Entry> entries, const crypto::PublicKey* key);

}  // namespace gw::audit
