#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::config {

// One thing wrong with a config file, located precisely enough to fix it.
struct Problem {
  std::string file;
  int line = 0;          // 1-based; 0 when unknown
  std::string key_path;  // e.g. identity.issuers[0].audiences
  std::string message;   // what was expected, and what was found
};

class Problems {
 public:
  explicit Problems(std::string file = {}) : file_(std::move(file)) {}
  void add(int line, std::string key_path, std::string message);
  bool empty() const noexcept { return list_.empty(); }
  const std::vector<Problem>& list() const noexcept { return list_; }
  const std::string& file() const noexcept { return file_; }
  // One line per problem: "file:line: key.path: message".
  std::string format() const;

 private:
  std::string file_;
  std::vector<Problem> list_;
};

// A YAML mapping being read. Records which keys were read, so that check_unknown_keys() can
// report typos instead of letting them pass silently. Scalars get ${ENV_VAR} substitution.
class Map {
 public:
  Map(YAML::Node node, std::string path, Problems& problems);

  bool has(std::string_view key) const;
  std::string string(std::string_view key, std::string fallback = {});
  std::optional<std::string> optional_string(std::string_view key);
  std::string required_string(std::string_view key);
  bool boolean(std::string_view key, bool fallback);
  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  double number(std::string_view key, double fallback, double min, double max);
  // "250ms", "10s", "5m", "1h", "2d" or a bare number of seconds.
  std::chrono::milliseconds duration(std::string_view key, std::chrono::milliseconds fallback);
  // "512", "64KiB", "10MiB", "1GiB" (also KB/MB/GB as powers of 1000).
  std::uint64_t byte_size(std::string_view key, std::uint64_t fallback);
  // A list of strings, or a single string (one element).
  std::vector<std::string> string_list(std::string_view key);
  // Absent -> nullopt. Present but not a mapping -> a problem and nullopt.
  std::optional<Map> map(std::string_view key);
  std::vector<Map> map_list(std::string_view key);
  // A mapping of name -> mapping, in file order.
  std::vector<std::pair<std::string, Map>> named_maps(std::string_view key);
  // The raw node (marks the key as read); an undefined node when absent.
  YAML::Node node(std::string_view key);
  // Reads one of `choices`; anything else is a problem naming the choices.
  std::string choice(std::string_view key, std::string fallback,
                     std::initializer_list<std::string_view> choices);

  // Adds a problem located at `key` (or at the mapping itself when the key is absent).
  void problem(std::string_view key, std::string message);
  // Reports every key that was present but never read.
  void check_unknown_keys();

  const std::string& path() const noexcept { return path_; }
  std::string key_path(std::string_view key) const;
  int line_of(std::string_view key) const;
  Problems& problems() const noexcept { return *problems_; }
  const YAML::Node& yaml() const noexcept { return node_; }

 private:
  YAML::Node scalar(std::string_view key, std::string_view expected);

  YAML::Node node_;
  std::string path_;
  Problems* problems_;
  std::set<std::string, std::less<>> read_;
};

// Parses a YAML (or JSON) file. On failure returns nullopt with the problem recorded.
std::optional<YAML::Node> load_file(const std::string& file, Problems& problems);
// Parses YAML text (tests, inline documents).
std::optional<YAML::Node> load_string(const std::string& text, Problems& problems);

// ${VAR} -> value of environment variable VAR; "$${" escapes a literal "${". An unset
// variable is an error (returned as nullopt with `missing` set to its name).
std::optional<std::string> substitute_env(std::string_view value, std::string& missing);

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// A relative path in a config file is relative to the file's directory.
std::string resolve_path(const std::string& base_dir, const std::string& path);
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace gw::config
