#include <filesystem>
#include <string>
#include <utility>

#include "policy/policy.hpp"

namespace gw::policy {
namespace {

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const auto mark = node.Mark();
  return mark.line < 0 ? 0 : mark.line + 1;
}

// A list under its camelCase key (the seed's spelling) or its snake_case twin, not both.
std::vector<std::string> read_list(config::Map& map, std::string_view camel,
                                   std::string_view snake) {
  if (map.has(camel) && map.has(snake)) {
    map.problem(snake, "duplicates " + std::string(camel) + "; use one spelling");
  }
  std::vector<std::string> out = map.string_list(camel);
  for (auto& item : map.string_list(snake)) out.push_back(std::move(item));
  for (const auto& item : out) {
    if (item.empty()) {
      map.problem(map.has(camel) ? camel : snake, "expected non-empty strings");
      break;
    }
  }
  return out;
}

std::vector<std::string> read_plain_list(config::Map& map, std::string_view key) {
  auto out = map.string_list(key);
  for (const auto& item : out) {
    if (item.empty()) {
      map.problem(key, "expected non-empty strings");
      break;
    }
  }
  return out;
}

Rule parse_rule(config::Map& map, std::string name) {
  Rule rule;
  rule.name = std::move(name);
  rule.required_roles = read_list(map, "requiredRoles", "required_roles");
  rule.required_scopes = read_list(map, "requiredScopes", "required_scopes");
  rule.tenants = read_plain_list(map, "tenants");
  rule.teams = read_plain_list(map, "teams");
  rule.shadow = map.boolean("shadow", false);
  map.check_unknown_keys();
  return rule;
}

// Reads a mapping of name -> rule into `set`. `origin` names where a duplicate was first seen.
void parse_rules(const YAML::Node& node, const std::string& path, std::string_view kind,
                 config::Problems& problems, RuleSet& set) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    problems.add(line_of(node), path, "expected a mapping of names to rules");
    return;
  }
  for (const auto& entry : node) {
    const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
    const std::string item_path = path.empty() ? name : path + "." + name;
    if (name.empty()) {
      problems.add(line_of(entry.first), item_path, "expected a non-empty name");
      continue;
    }
    if (!entry.second.IsMap()) {
      problems.add(line_of(entry.first), item_path,
                   "expected a rule mapping (requiredRoles, requiredScopes, tenants, teams, "
                   "shadow); use {} for any authenticated caller");
      continue;
    }
    config::Map map(entry.second, item_path, problems);
    Rule rule = parse_rule(map, std::string(kind) + "." + name);
    if (!set.add(name, std::move(rule))) {
      problems.add(line_of(entry.first), item_path,
                   "duplicate " + std::string(kind) + " rule \"" + name + "\"");
    }
  }
}

std::string resolve(const std::string& base_dir, const std::string& file) {
  const std::filesystem::path p(file);
  if (p.is_absolute() || base_dir.empty()) return file;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

}  // namespace

PolicyConfig parse_config(config::Map& section, const std::string& base_dir) {
  PolicyConfig config;
  config.mode = section.choice("mode", "enforce", {"enforce", "shadow"}) == "shadow"
                    ? Mode::Shadow
                    : Mode::Enforce;

  if (auto file = section.optional_string("models_file"); file && !file->empty()) {
    const std::string resolved = resolve(base_dir, *file);
    config::Problems file_problems(resolved);
    if (auto root = config::load_file(resolved, file_problems)) {
      parse_rules(*root, "", "models", file_problems, config.models);
    }
    // Reported at models_file, each naming the line in the rules file.
    for (const auto& p : file_problems.list()) {
      std::string where = resolved;
      if (p.line > 0) where += ":" + std::to_string(p.line);
      if (!p.key_path.empty()) where += ": " + p.key_path;
      section.problem("models_file", where + ": " + p.message);
    }
  }

  parse_rules(section.node("models"), section.key_path("models"), "models", section.problems(),
              config.models);
  parse_rules(section.node("tools"), section.key_path("tools"), "tools", section.problems(),
              config.tools);
  parse_rules(section.node("routes"), section.key_path("routes"), "routes", section.problems(),
              config.routes);
  section.check_unknown_keys();
  config.compile();
  return config;
}

}  // namespace gw::policy
