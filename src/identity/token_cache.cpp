#include "identity/token_cache.hpp"

#include <algorithm>

#include "identity/stats.hpp"

namespace gw::identity {

TokenCache::TokenCache(std::size_t max_entries)
    : per_shard_(std::max<std::size_t>(1, max_entries / kShards)) {}

std::size_t TokenCache::shard_index(std::string_view token) noexcept {
  // The high bits: the map inside the shard uses the same hash's low bits for its buckets.
  return (Hash{}(token) >> 56) % kShards;
}

TokenCache::Shard& TokenCache::shard_for(std::string_view key) noexcept {
  return shards_[shard_index(key)];
}

std::shared_ptr<const Identity> TokenCache::find(std::string_view token, std::int64_t now) {
  auto& shard = shard_for(token);
  std::shared_ptr<const Identity> found;
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(token);
    if (it != shard.entries.end()) {
      if (now < it->second.expires_at) {
        found = it->second.identity;
      } else {
        shard.entries.erase(it);
      }
    }
  }
  if (found) {
    hits_.inc();
    stats().token_cache_hits.inc();
  } else {
    misses_.inc();
    stats().token_cache_misses.inc();
  }
  return found;
}

void TokenCache::insert(std::string_view token, std::shared_ptr<const Identity> identity,
                        std::int64_t expires_at, std::int64_t now) {
  if (expires_at <= now) return;
  auto& shard = shard_for(token);
  std::lock_guard lock(shard.mutex);
  auto& entries = shard.entries;
  if (entries.size() >= per_shard_ && !entries.contains(token)) {
    std::erase_if(entries, [now](const auto& e) { return e.second.expires_at <= now; });
    if (entries.size() >= per_shard_) {
      auto first = std::min_element(
          entries.begin(), entries.end(),
          [](const auto& a, const auto& b) { return a.second.expires_at < b.second.expires_at; });
      entries.erase(first);
    }
  }
  entries.insert_or_assign(std::string(token), Entry{std::move(identity), expires_at});
}

std::size_t TokenCache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace gw::identity
