#pragma once

#include <string_view>

namespace gw::policy {

// True when `key` holds a wildcard (`*` or `?`).
bool is_glob(std::string_view key) noexcept;

// Matches `name` against `pattern`: `*` is any run of characters (also none), `?` exactly one
// character, everything else itself (case-sensitive). Linear in practice, no recursion.
bool glob_match(std::string_view pattern, std::string_view name) noexcept;

// Literal characters in a pattern: the more, the more specific the glob.
std::size_t literal_count(std::string_view pattern) noexcept;

}  // namespace gw::policy
