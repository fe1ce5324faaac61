#include "core/config_reader.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace gw::config {
namespace {

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const auto mark = node.Mark();
  return mark.line < 0 ? 0 : mark.line + 1;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "\"" + node.Scalar() + "\"";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

void Problems::add(int line, std::string key_path, std::string message) {
  list_.push_back(Problem{file_, line, std::move(key_path), std::move(message)});
}

std::string Problems::format() const {
  std::string out;
  for (const auto& p : list_) {
    out += p.file.empty() ? "<config>" : p.file;
    if (p.line > 0) out += ":" + std::to_string(p.line);
    out += ": ";
    if (!p.key_path.empty()) out += p.key_path + ": ";
    out += p.message;
    out += "\n";
  }
  return out;
}

Map::Map(YAML::Node node, std::string path, Problems& problems)
    : node_(std::move(node)), path_(std::move(path)), problems_(&problems) {}

std::string Map::key_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

int Map::line_of(std::string_view key) const {
  if (node_.IsMap()) {
    for (const auto& entry : node_) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) {
        return config::line_of(entry.first);
      }
    }
  }
  return config::line_of(node_);
}

bool Map::has(std::string_view key) const {
  if (!node_.IsMap()) return false;
  for (const auto& entry : node_) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return true;
  }
  return false;
}

void Map::problem(std::string_view key, std::string message) {
  problems_->add(line_of(key), key.empty() ? path_ : key_path(key), std::move(message));
}

YAML::Node Map::node(std::string_view key) {
  read_.emplace(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& entry : node_) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node Map::scalar(std::string_view key, std::string_view expected) {
  YAML::Node value = node(key);
  if (!value.IsDefined()) return value;
  if (!value.IsScalar()) {
    problem(key, "expected " + std::string(expected) + ", got " + describe(value));
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return value;
}

std::optional<std::string> Map::optional_string(std::string_view key) {
  YAML::Node value = scalar(key, "a string");
  if (!value.IsDefined()) return std::nullopt;
  std::string missing;
  auto substituted = substitute_env(value.Scalar(), missing);
  if (!substituted) {
    problem(key, "environment variable " + missing + " is not set");
    return std::string();
  }
  return substituted;
}

std::string Map::string(std::string_view key, std::string fallback) {
  auto value = optional_string(key);
  return value ? *value : std::move(fallback);
}

std::string Map::required_string(std::string_view key) {
  if (!has(key)) {
    read_.emplace(key);
    problem(key, "is required (expected a string)");
    return {};
  }
  auto value = string(key);
  if (value.empty()) problem(key, "expected a non-empty string");
  return value;
}

bool Map::boolean(std::string_view key, bool fallback) {
  YAML::Node value = scalar(key, "true or false");
  if (!value.IsDefined()) return fallback;
  const std::string& s = value.Scalar();
  if (s == "true") return true;
  if (s == "false") return false;
  problem(key, "expected true or false, got \"" + s + "\"");
  return fallback;
}

std::int64_t Map::integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                          std::int64_t max) {
  auto text = optional_string(key);
  if (!text) return fallback;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size() || value < min || value > max) {
    problem(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", got \"" + *text + "\"");
    return fallback;
  }
  return value;
}

double Map::number(std::string_view key, double fallback, double min, double max) {
  auto text = optional_string(key);
  if (!text) return fallback;
  auto value = parse_number(*text);
  if (!value || !std::isfinite(*value) || *value < min || *value > max) {
    std::ostringstream expected;
    expected << "expected a number from " << min << " to " << max << ", got \"" << *text << "\"";
    problem(key, expected.str());
    return fallback;
  }
  return *value;
}

std::chrono::milliseconds Map::duration(std::string_view key, std::chrono::milliseconds fallback) {
  auto text = optional_string(key);
  if (!text) return fallback;
  auto value = parse_duration(*text);
  if (!value) {
    problem(key, "expected a duration such as 250ms, 10s, 5m or 1h, got \"" + *text + "\"");
    return fallback;
  }
  return *value;
}

std::uint64_t Map::byte_size(std::string_view key, std::uint64_t fallback) {
  auto text = optional_string(key);
  if (!text) return fallback;
  auto value = parse_byte_size(*text);
  if (!value) {
    problem(key, "expected a size such as 16384, 64KiB or 10MiB, got \"" + *text + "\"");
    return fallback;
  }
  return *value;
}

std::vector<std::string> Map::string_list(std::string_view key) {
  YAML::Node value = node(key);
  std::vector<std::string> out;
  if (!value.IsDefined() || value.IsNull()) return out;
  auto add = [&](const YAML::Node& item) {
    if (!item.IsScalar()) {
      problem(key, "expected a list of strings, found " + describe(item) + " in it");
      return;
    }
    std::string missing;
    auto substituted = substitute_env(item.Scalar(), missing);
    if (!substituted) {
      problem(key, "environment variable " + missing + " is not set");
      return;
    }
    out.push_back(std::move(*substituted));
  };
  if (value.IsScalar()) {
    add(value);
  } else if (value.IsSequence()) {
    for (const auto& item : value) add(item);
  } else {
    problem(key, "expected a list of strings, got " + describe(value));
  }
  return out;
}

std::optional<Map> Map::map(std::string_view key) {
  YAML::Node value = node(key);
  if (!value.IsDefined() || value.IsNull()) return std::nullopt;
  if (!value.IsMap()) {
    problem(key, "expected a mapping, got " + describe(value));
    return std::nullopt;
  }
  return Map(value, key_path(key), *problems_);
}

std::vector<Map> Map::map_list(std::string_view key) {
  YAML::Node value = node(key);
  std::vector<Map> out;
  if (!value.IsDefined() || value.IsNull()) return out;
  if (!value.IsSequence()) {
    problem(key, "expected a list of mappings, got " + describe(value));
    return out;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item_path = key_path(key) + "[" + std::to_string(i) + "]";
    if (!value[i].IsMap()) {
      problems_->add(config::line_of(value[i]), item_path,
                     "expected a mapping, got " + describe(value[i]));
      continue;
    }
    out.emplace_back(value[i], item_path, *problems_);
  }
  return out;
}

std::vector<std::pair<std::string, Map>> Map::named_maps(std::string_view key) {
  YAML::Node value = node(key);
  std::vector<std::pair<std::string, Map>> out;
  if (!value.IsDefined() || value.IsNull()) return out;
  if (!value.IsMap()) {
    problem(key, "expected a mapping of names to mappings, got " + describe(value));
    return out;
  }
  for (const auto& entry : value) {
    const std::string name = entry.first.Scalar();
    const std::string item_path = key_path(key) + "." + name;
    if (!entry.second.IsMap()) {
      problems_->add(config::line_of(entry.first), item_path,
                     "expected a mapping, got " + describe(entry.second));
      continue;
    }
    out.emplace_back(name, Map(entry.second, item_path, *problems_));
  }
  return out;
}

std::string Map::choice(std::string_view key, std::string fallback,
                        std::initializer_list<std::string_view> choices) {
  auto value = optional_string(key);
  if (!value) return fallback;
  for (auto c : choices) {
    if (*value == c) return *value;
  }
  std::string expected = "expected one of ";
  bool first = true;
  for (auto c : choices) {
    if (!first) expected += ", ";
    expected += c;
    first = false;
  }
  problem(key, expected + "; got \"" + *value + "\"");
  return fallback;
}

void Map::check_unknown_keys() {
  if (!node_.IsMap()) return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (read_.find(key) == read_.end()) {
      problems_->add(config::line_of(entry.first), key_path(key), "unknown key");
    }
  }
}

std::optional<YAML::Node> load_string(const std::string& text, Problems& problems) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      problems.add(1, "", "expected a mapping at the top level");
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& e) {
    problems.add(e.mark.line < 0 ? 0 : e.mark.line + 1, "", "not valid YAML: " + e.msg);
    return std::nullopt;
  }
}

std::optional<YAML::Node> load_file(const std::string& file, Problems& problems) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    problems.add(0, "", "cannot open the file for reading");
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_string(text.str(), problems);
}

std::optional<std::string> substitute_env(std::string_view value, std::string& missing) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '$' && value.substr(i, 3) == "$${") {
      out += "${";
      i += 2;
      continue;
    }
    if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '{') {
      const std::size_t end = value.find('}', i + 2);
      if (end == std::string_view::npos) {
        out.append(value.substr(i));
        break;
      }
      const std::string name(value.substr(i + 2, end - i - 2));
      const char* env = std::getenv(name.c_str());
      if (env == nullptr) {
        missing = name;
        return std::nullopt;
      }
      out += env;
      i = end;
      continue;
    }
    out.push_back(value[i]);
  }
  return out;
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t split = 0;
  while (split < text.size() &&
         ((text[split] >= '0' && text[split] <= '9') || text[split] == '.')) {
    ++split;
  }
  if (split == 0) return std::nullopt;
  auto number = parse_number(text.substr(0, split));
  if (!number || *number < 0) return std::nullopt;
  const std::string_view unit = text.substr(split);
  double ms = 0;
  if (unit.empty() || unit == "s") {
    ms = *number * 1000;
  } else if (unit == "ms") {
    ms = *number;
  } else if (unit == "m") {
    ms = *number * 60'000;
  } else if (unit == "h") {
    ms = *number * 3'600'000;
  } else if (unit == "d") {
    ms = *number * 86'400'000;
  } else {
    return std::nullopt;
  }
  if (ms > 1e13) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  std::size_t split = 0;
  while (split < text.size() && text[split] >= '0' && text[split] <= '9') ++split;
  if (split == 0) return std::nullopt;
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + split, value);
  if (ec != std::errc()) return std::nullopt;
  const std::string_view unit = text.substr(split);
  std::uint64_t factor = 1;
  if (unit.empty() || unit == "B") {
    factor = 1;
  } else if (unit == "KiB") {
    factor = 1024;
  } else if (unit == "MiB") {
    factor = 1024 * 1024;
  } else if (unit == "GiB") {
    factor = 1024ull * 1024 * 1024;
  } else if (unit == "KB") {
    factor = 1000;
  } else if (unit == "MB") {
    factor = 1000 * 1000;
  } else if (unit == "GB") {
    factor = 1000ull * 1000 * 1000;
  } else {
    return std::nullopt;
  }
  if (value > (1ull << 40) / factor) return std::nullopt;
  return value * factor;
}

}  // namespace gw::config
