#include <algorithm>

#include "core/strings.hpp"
#include "route/route.hpp"

namespace gw::route {
namespace {

std::optional<ApiKind> parse_kind(std::string_view s) {
  if (s == "generic") return ApiKind::Generic;
  if (s == "openai") return ApiKind::OpenAI;
  if (s == "anthropic") return ApiKind::Anthropic;
  if (s == "mcp") return ApiKind::Mcp;
  return std::nullopt;
}

}  // namespace

RouteConfig parse_config(config::Map& root, const std::vector<std::string>& upstream_names) {
  RouteConfig out;
  std::vector<std::string> seen;
  auto items = root.map_list("routes");
  if (!root.has("routes")) root.problem("routes", "is required: a list of routes");
  for (auto& item : items) {
    Route r;
    r.name = item.required_string("name");
    if (std::find(seen.begin(), seen.end(), r.name) != seen.end()) {
      item.problem("name", "duplicate route name \"" + r.name + "\"");
    }
    seen.push_back(r.name);
    std::string prefix = item.required_string("prefix");
    if (!prefix.empty()) {
      auto normalized = normalize_target(prefix);
      if (prefix.front() != '/' || !normalized || !normalized->query.empty() ||
          normalized->had_dot_segments || !normalized->strict_problem.empty() ||
          !normalized->path_without_params.empty()) {
        item.problem("prefix", "expected an absolute path such as /v1, got \"" + prefix + "\"");
      } else {
        r.prefix = normalized->path;
        while (r.prefix.size() > 1 && r.prefix.back() == '/') r.prefix.pop_back();
      }
    }
    for (auto& m : item.string_list("methods")) {
      if (!is_token(m)) {
        item.problem("methods", "expected HTTP method names, got \"" + m + "\"");
        continue;
      }
      std::string upper = m;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      r.methods.push_back(upper);
    }
    r.upstream = item.required_string("upstream");
    if (!r.upstream.empty() && std::find(upstream_names.begin(), upstream_names.end(),
                                         r.upstream) == upstream_names.end()) {
      item.problem("upstream",
                   "names no upstream defined under `upstreams:` (\"" + r.upstream + "\")");
    }
    r.kind = *parse_kind(item.choice("kind", "generic", {"generic", "openai", "anthropic", "mcp"}));
    r.strip_prefix = item.boolean("strip_prefix", false);
    r.is_public = item.boolean("public", false);
    r.is_path_strict = item.boolean("path_strict", true);
    r.resource = item.string("resource");
    if (!r.resource.empty()) {
      const std::string lower = to_lower(r.resource);
      if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0) {
        item.problem("resource", "expected an http(s) URL, got \"" + r.resource + "\"");
      } else if (r.resource.find('#') != std::string::npos) {
        item.problem("resource", "must not contain a fragment");
      }
      if (r.kind != ApiKind::Mcp) item.problem("resource", "is only for routes of kind mcp");
    }
    for (auto& [name, alias_map] : item.named_maps("models")) {
      ModelAlias alias;
      alias.model = alias_map.string("model", name);
      alias.upstream = alias_map.string("upstream");
      if (!alias.upstream.empty() && std::find(upstream_names.begin(), upstream_names.end(),
                                               alias.upstream) == upstream_names.end()) {
        alias_map.problem("upstream", "names no upstream defined under `upstreams:` (\"" +
                                          alias.upstream + "\")");
      }
      alias_map.check_unknown_keys();
      r.models.emplace(name, std::move(alias));
    }
    if (!r.models.empty() && r.kind != ApiKind::OpenAI && r.kind != ApiKind::Anthropic) {
      item.problem("models", "model aliases need kind openai or anthropic");
    }
    item.check_unknown_keys();
    out.routes.push_back(std::move(r));
  }
  // Longest prefix first; ties keep file order (stable).
  std::stable_sort(out.routes.begin(), out.routes.end(), [](const Route& a, const Route& b) {
    return a.prefix.size() > b.prefix.size();
  });
  return out;
}

const Route* match(const RouteConfig& config, std::string_view path) {
  for (const auto& r : config.routes) {
    if (r.prefix == "/") return &r;
    if (path.size() < r.prefix.size() || path.compare(0, r.prefix.size(), r.prefix) != 0) continue;
    // Segment boundary: /calendar matches /calendar and /calendar/x, not /calendarx.
    if (path.size() == r.prefix.size() || path[r.prefix.size()] == '/') return &r;
  }
  return nullptr;
}

Result<const Route*> match_target(const RouteConfig& config, const NormalizedTarget& target) {
  const Route* route = match(config, target.path);
  // A path whose dot segments moved it out of the route it was written under is refused,
  // not silently re-routed.
  if (target.had_dot_segments) {
    const Route* written_under = match(config, target.raw_path);
    if (written_under != nullptr && written_under != route) {
      return make_error(Reason::InvalidPath,
                        "the path escapes the prefix of route " + written_under->name);
    }
  }
  // A backend that strips ;parameters reads /admin;x/y as /admin/y: both readings must select
  // the same route.
  if (!target.path_without_params.empty() && match(config, target.path_without_params) != route) {
    return make_error(Reason::InvalidPath,
                      "the path's ;parameters move it to another route once removed");
  }
  if (!target.strict_problem.empty() && (route == nullptr || route->is_path_strict)) {
    return make_error(Reason::InvalidPath, std::string(target.strict_problem));
  }
  return route;
}

}  // namespace gw::route
