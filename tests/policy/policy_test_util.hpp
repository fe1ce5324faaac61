#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config_reader.hpp"
#include "core/identity.hpp"
#include "policy/policy.hpp"

namespace gw::policy::test {

// Parses `yaml` (a document with a top-level `policy:` key) and fails the test on problems.
inline PolicyConfig load(const std::string& yaml, const std::string& base_dir = {}) {
  config::Problems problems("gw.yaml");
  auto root = config::load_string(yaml, problems);
  EXPECT_TRUE(root) << problems.format();
  if (!root) return {};
  config::Map top(*root, "", problems);
  auto section = top.map("policy");
  EXPECT_TRUE(section) << "no policy section";
  if (!section) return {};
  PolicyConfig config = parse_config(*section, base_dir);
  top.check_unknown_keys();
  EXPECT_TRUE(problems.empty()) << problems.format();
  return config;
}

// The problems a `policy:` document produces.
inline std::string problems_of(const std::string& yaml, const std::string& base_dir = {}) {
  config::Problems problems("gw.yaml");
  auto root = config::load_string(yaml, problems);
  if (root) {
    config::Map top(*root, "", problems);
    if (auto section = top.map("policy")) parse_config(*section, base_dir);
  }
  return problems.format();
}

inline std::shared_ptr<const Identity> identity(std::vector<std::string> roles,
                                                std::vector<std::string> scopes,
                                                std::string tenant = {}, std::string team = {}) {
  auto id = std::make_shared<Identity>();
  id->user_id = "user-1";
  id->roles = std::move(roles);
  id->scopes = std::move(scopes);
  id->tenant = std::move(tenant);
  id->team = std::move(team);
  return id;
}

inline PolicyRequest model_request(std::string_view model, std::string_view route = "chat") {
  PolicyRequest r;
  r.route = route;
  r.kind = ApiKind::OpenAI;
  r.model = model;
  r.upstream_model = model;
  return r;
}

inline PolicyRequest tool_request(std::string_view tool, std::string_view route = "mcp") {
  PolicyRequest r;
  r.route = route;
  r.kind = ApiKind::Mcp;
  r.mcp_method = "tools/call";
  r.tool = tool;
  return r;
}

// The seed's policy document, byte for byte.
inline constexpr const char* kSeedPolicy = R"({
"gpt-4-medical": {
"requiredRoles": ["doctor", "physician_assistant"],
"requiredScopes": ["medical:write"]
}
})";

}  // namespace gw::policy::test
