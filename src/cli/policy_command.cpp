#include "cli/policy_command.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "core/config_reader.hpp"
#include "core/strings.hpp"
#include "crypto/crypto.hpp"
#include "identity/claim_mapping.hpp"
#include "policy/policy.hpp"
#include "route/route.hpp"
#include "server/config.hpp"

namespace gw::cli {
namespace {

constexpr int kExitConfig = 2;

constexpr const char* kUnverifiedNote =
    "note: offline tool: the token's claims were decoded WITHOUT verifying its signature, "
    "issuer, audience or expiry; the gateway verifies all of them before applying this policy";

// The claims of a token or a claims file; nullopt with a message on failure.
std::optional<boost::json::object> read_claims(const ExplainOptions& o, std::ostream& err) {
  std::string json;
  if (o.token) {
    std::string_view token = trim(*o.token);
    if (token.starts_with("Bearer ")) token.remove_prefix(7);
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos) {
      err << "--token: not a compact JWT (expected header.payload.signature)\n";
      return std::nullopt;
    }
    auto payload = crypto::base64url_decode(token.substr(first + 1, second - first - 1));
    if (!payload) {
      err << "--token: the payload is not base64url\n";
      return std::nullopt;
    }
    json = std::move(*payload);
  } else {
    std::ifstream in(*o.claims_file, std::ios::binary);
    if (!in) {
      err << *o.claims_file << ": cannot open the file for reading\n";
      return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    json = text.str();
  }
  boost::system::error_code ec;
  auto value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) {
    err << (o.token ? "--token: the payload" : *o.claims_file) << " is not a JSON object\n";
    return std::nullopt;
  }
  return std::move(value.as_object());
}

// The claim paths of the issuer named by the (unverified) `iss`, else of the first issuer.
identity::ClaimPaths claim_paths(const server::Config& config, const boost::json::object& claims,
                                 std::string& issuer_note) {
  std::string iss;
  if (const auto* v = claims.if_contains("iss"); v != nullptr && v->is_string()) {
    iss = std::string(v->as_string());
  }
  auto strip = [](std::string_view s) { return s.ends_with('/') ? s.substr(0, s.size() - 1) : s; };
  for (const auto& issuer : config.identity.issuers) {
    if (!iss.empty() && strip(issuer.issuer) == strip(iss)) {
      issuer_note = "claims mapped as configured for issuer " + issuer.issuer;
      return issuer.claims;
    }
  }
  if (!config.identity.issuers.empty()) {
    issuer_note = "iss \"" + iss + "\" is not a configured issuer; claims mapped as for " +
                  config.identity.issuers.front().issuer;
    return config.identity.issuers.front().claims;
  }
  issuer_note = "no issuer configured; default claim mapping";
  return {};
}

std::string list(const std::vector<std::string>& items) { return "[" + join(items, ", ") + "]"; }

std::string list(std::span<const std::string> items) {
  return list(std::vector<std::string>(items.begin(), items.end()));
}

}  // namespace

int explain_policy(const ExplainOptions& o, std::ostream& out, std::ostream& err) {
  if (o.token.has_value() == o.claims_file.has_value()) {
    err << "policy explain: give exactly one of --token or --claims\n";
    return kExitConfig;
  }
  if (!o.model && !o.tool && !o.path) {
    err << "policy explain: give --model, --tool or --path\n";
    return kExitConfig;
  }
  if (o.model && o.tool) {
    err << "policy explain: give --model or --tool, not both\n";
    return kExitConfig;
  }

  config::Problems problems(o.config_file);
  auto config = server::load_config(o.config_file, problems);
  if (!config) {
    err << problems.format();
    return kExitConfig;
  }
  const policy::PolicyConfig& policy_config = config->policy;

  auto claims = read_claims(o, err);
  if (!claims) return kExitConfig;
  std::string issuer_note;
  auto mapped = identity::map_claims(*claims, claim_paths(*config, *claims, issuer_note));
  if (!mapped) {
    err << "claims: " << code(mapped.error().reason) << ": " << mapped.error().detail << "\n";
    return kExitConfig;
  }
  const Identity caller = std::move(*mapped);

  policy::PolicyRequest request;
  std::string upstream_model;
  std::string route_note = "none given: route rules not considered";
  if (o.path) {
    const auto deny = [&out](const Error& e) {
      out << "decision: deny\nreason:   " << code(e.reason) << " (HTTP " << status(e.reason)
          << "): " << e.detail << "\n";
      return 0;
    };
    auto target = route::normalize_target(*o.path);
    if (!target) return deny(target.error());
    auto matched = route::match_target(config->routes, *target);
    if (!matched) return deny(matched.error());
    const route::Route* route = *matched;
    if (route == nullptr) {
      out << "decision: deny\nreason:   no_route (HTTP 404): no route matches " << target->path
          << "\n";
      return 0;
    }
    request.route = route->name;
    request.kind = route->kind;
    request.is_public = route->is_public;
    route_note = route->name + " (" + std::string(to_string(route->kind)) + ")";
    if (o.model) {
      if (auto alias = route->models.find(*o.model); alias != route->models.end()) {
        upstream_model = alias->second.model;
      }
    }
  } else {
    request.kind = o.model ? ApiKind::OpenAI : ApiKind::Mcp;
  }
  if (o.model) {
    request.model = *o.model;
    request.upstream_model = upstream_model.empty() ? std::string_view(*o.model) : upstream_model;
  }
  if (o.tool) {
    request.mcp_method = "tools/call";
    request.tool = *o.tool;
  }

  const policy::Evaluation e = policy::evaluate(policy_config, &caller, request);
  out << "decision: " << to_string(e.decision) << "\n";
  if (e.reason != Reason::None) {
    out << "reason:   " << code(e.reason) << " (HTTP " << status(e.reason) << ")";
    if (e.decision == Decision::ShadowDeny) out << ", shadow: not enforced";
    out << "\n";
  }
  out << "rule:     " << (e.rule.empty() ? std::string("(none matched)") : std::string(e.rule))
      << "\n";
  if (!e.rule.empty()) {
    out << "  required roles (any of):  " << list(e.required_roles) << "\n";
    out << "  required scopes (all of): " << list(e.required_scopes) << "\n";
  }
  out << "route:    " << route_note << "\n";
  if (o.model) {
    out << "model:    " << *o.model;
    if (!upstream_model.empty() && upstream_model != *o.model) out << " -> " << upstream_model;
    out << "\n";
  }
  if (o.tool) out << "tool:     " << *o.tool << " (tools/call)\n";
  out << "caller:   user_id=" << caller.user_id << " roles=" << list(caller.roles)
      << " scopes=" << list(caller.scopes) << " tenant=" << caller.tenant << " team=" << caller.team
      << "\n";
  out << "          (" << issuer_note << ")\n";
  if (o.token) out << kUnverifiedNote << "\n";
  return 0;
}

void add_policy_commands(CLI::App& app) {
  auto options = std::make_shared<ExplainOptions>();
  auto* policy_cmd = app.add_subcommand("policy", "Inspect the access policy");
  policy_cmd->require_subcommand(1);
  auto* explain = policy_cmd->add_subcommand(
      "explain",
      "Decide one request offline: allow or deny, the reason code and the deciding rule. The "
      "token is decoded WITHOUT verification.");
  explain->add_option("-c,--config", options->config_file, "Configuration file (YAML or JSON)")
      ->required();
  auto* token = explain->add_option("--token", options->token,
                                    "Access token (JWT) whose claims to use; NOT verified");
  auto* claims =
      explain->add_option("--claims", options->claims_file, "JSON file with the caller's claims");
  token->excludes(claims);
  auto* model = explain->add_option("--model", options->model, "Model the request asks for");
  auto* tool = explain->add_option("--tool", options->tool, "MCP tool the request calls");
  model->excludes(tool);
  explain->add_option("--path", options->path, "Request path, to pick the route");
  explain->callback([options] {
    const int rc = explain_policy(*options, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
    throw CLI::Success();
  });
}

}  // namespace gw::cli
