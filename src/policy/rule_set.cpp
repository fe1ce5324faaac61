#include <algorithm>
#include <numeric>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/strings.hpp"
#include "policy/glob.hpp"
#include "policy/policy.hpp"

namespace gw::policy {

bool is_glob(std::string_view key) noexcept {
  return key.find_first_of("*?") != std::string_view::npos;
}

bool glob_match(std::string_view pattern, std::string_view name) noexcept {
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star = std::string_view::npos;  // position of the last `*` seen
  std::size_t resume = 0;                     // where in `name` that `*` matches up to
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::size_t literal_count(std::string_view pattern) noexcept {
  return static_cast<std::size_t>(
      std::count_if(pattern.begin(), pattern.end(), [](char c) { return c != '*' && c != '?'; }));
}

namespace detail {

// Exact keys in a hash map. Globs in a trie of their literal prefixes (the characters before
// the first wildcard), so a lookup only tries the globs whose prefix the name starts with; a
// glob that starts with a wildcard goes by its literal suffix into a trie of reversed suffixes.
// Only globs with neither (`*foo*`) are tried one by one.
struct RuleIndex {
  struct Glob {
    // Owned: the index is shared by copies of the RuleSet, so it must not point into one.
    std::string pattern;
    std::size_t suffix_length = 0;  // literal tail after the last wildcard: a cheap pre-filter
    std::size_t min_length = 0;
    std::uint32_t rank = 0;  // 0 = most specific
    std::uint32_t rule = 0;
  };
  struct Node {
    std::vector<std::pair<char, std::uint32_t>> children;
    std::vector<Glob> globs;  // globs whose literal prefix (suffix) ends here, by rank
  };
  using Trie = std::vector<Node>;

  std::unordered_map<std::string, std::uint32_t, gw::StringHash, std::equal_to<>> exact;
  Trie prefixes{Node{}};
  Trie suffixes{Node{}};
  bool has_globs = false;

  static std::uint32_t child(const Trie& trie, std::uint32_t node, char c) noexcept {
    for (const auto& [ch, next] : trie[node].children) {
      if (ch == c) return next;
    }
    return 0;  // the root is never a child
  }
  static std::uint32_t descend(Trie& trie, std::uint32_t node, char c) {
    std::uint32_t next = child(trie, node, c);
    if (next == 0) {
      next = static_cast<std::uint32_t>(trie.size());
      trie[node].children.emplace_back(c, next);
      trie.emplace_back();
    }
    return next;
  }
};

}  // namespace detail

bool RuleSet::add(std::string key, Rule rule) {
  if (std::find(keys_.begin(), keys_.end(), key) != keys_.end()) return false;
  keys_.push_back(std::move(key));
  rules_.push_back(std::move(rule));
  index_.reset();
  return true;
}

void RuleSet::compile() {
  auto index = std::make_shared<detail::RuleIndex>();
  std::vector<std::uint32_t> globs;
  for (std::uint32_t i = 0; i < keys_.size(); ++i) {
    if (is_glob(keys_[i])) {
      globs.push_back(i);
    } else {
      index->exact.emplace(keys_[i], i);
    }
  }
  // Most literal characters first, then the longest pattern, then the order written.
  std::stable_sort(globs.begin(), globs.end(), [&](std::uint32_t a, std::uint32_t b) {
    const auto la = literal_count(keys_[a]);
    const auto lb = literal_count(keys_[b]);
    if (la != lb) return la > lb;
    return keys_[a].size() > keys_[b].size();
  });
  for (std::uint32_t rank = 0; rank < globs.size(); ++rank) {
    const std::string_view pattern = keys_[globs[rank]];
    const std::size_t first = pattern.find_first_of("*?");
    const std::size_t last = pattern.find_last_of("*?");
    const std::string_view suffix = pattern.substr(last + 1);
    std::uint32_t node = 0;
    detail::RuleIndex::Trie* trie = &index->prefixes;
    if (first == 0 && !suffix.empty()) {
      trie = &index->suffixes;
      for (auto it = suffix.rbegin(); it != suffix.rend(); ++it) {
        node = detail::RuleIndex::descend(*trie, node, *it);
      }
    } else {
      for (std::size_t i = 0; i < first; ++i) {
        node = detail::RuleIndex::descend(*trie, node, pattern[i]);
      }
    }
    const std::size_t min_length =
        literal_count(pattern) +
        static_cast<std::size_t>(std::count(pattern.begin(), pattern.end(), '?'));
    (*trie)[node].globs.push_back(detail::RuleIndex::Glob{std::string(pattern), suffix.size(),
                                                          min_length, rank, globs[rank]});
    index->has_globs = true;
  }
  index_ = std::move(index);
}

const Rule* RuleSet::find(std::string_view name) const noexcept {
  if (!index_) return nullptr;
  const auto& index = *index_;
  if (auto it = index.exact.find(name); it != index.exact.end()) return &rules_[it->second];
  if (!index.has_globs) return nullptr;

  using Index = detail::RuleIndex;
  const Index::Glob* best = nullptr;
  // Tries a node's globs (sorted by rank) until one matches or cannot beat the best so far.
  // `skip` leading characters are already known to match (the prefix walked).
  auto try_node = [&](const Index::Node& node, std::size_t skip) {
    for (const auto& glob : node.globs) {
      if (best != nullptr && glob.rank >= best->rank) return;
      const std::string_view pattern = glob.pattern;
      if (name.size() < glob.min_length ||
          !name.ends_with(pattern.substr(pattern.size() - glob.suffix_length))) {
        continue;
      }
      if (glob_match(pattern.substr(skip), name.substr(skip))) {
        best = &glob;
        return;
      }
    }
  };
  std::uint32_t node = 0;
  for (std::size_t depth = 0;; ++depth) {
    try_node(index.prefixes[node], depth);
    if (depth == name.size()) break;
    node = Index::child(index.prefixes, node, name[depth]);
    if (node == 0) break;
  }
  node = 0;
  for (std::size_t depth = 0;; ++depth) {
    if (depth > 0) try_node(index.suffixes[node], 0);
    if (depth == name.size()) break;
    node = Index::child(index.suffixes, node, name[name.size() - 1 - depth]);
    if (node == 0) break;
  }
  return best == nullptr ? nullptr : &rules_[best->rule];
}

}  // namespace gw::policy
