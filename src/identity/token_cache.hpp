#pragma once

// Verified tokens, so that a token presented again skips signature and claim checks until it
// expires. Keyed by the token itself (compared whole, so no collision can ever hand one
// caller another's identity; hashing it costs less than a SHA-256); sharded, one mutex each.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/identity.hpp"
#include "core/metrics.hpp"

namespace gw::identity {

class TokenCache {
 public:
  // At most `max_entries` in all (at least one per shard).
  explicit TokenCache(std::size_t max_entries);

  // The identity cached for `token`, unless it expired: an entry lives while now < expires_at.
  std::shared_ptr<const Identity> find(std::string_view token, std::int64_t now);
  // Caches until `expires_at` (seconds). A full shard drops its expired entries, then, if still
  // full, the entry expiring first.
  void insert(std::string_view token, std::shared_ptr<const Identity> identity,
              std::int64_t expires_at, std::int64_t now);
  // Which shard holds `token` (tests place entries in one shard).
  static std::size_t shard_index(std::string_view token) noexcept;

  std::size_t size() const;
  std::uint64_t hits() const noexcept { return hits_.value(); }
  std::uint64_t misses() const noexcept { return misses_.value(); }

 private:
  static constexpr std::size_t kShards = 16;
  struct Entry {
    std::shared_ptr<const Identity> identity;
    std::int64_t expires_at = 0;
  };
  // Hashes the token's last 64 characters (its signature) only: they already differ between
  // any two tokens, and lookups still compare whole tokens. Only verified tokens are stored,
  // so nobody can fill a bucket with colliding ones.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s.size() > 64 ? s.substr(s.size() - 64) : s);
    }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries;
  };
  Shard& shard_for(std::string_view key) noexcept;

  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
  metrics::Counter hits_;  // striped: every request of every worker counts one
  metrics::Counter misses_;
};

}  // namespace gw::identity
