#pragma once

#include <iosfwd>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace gw::cli {

// What `gatewaystack policy explain` was asked.
struct ExplainOptions {
  std::string config_file;
  std::optional<std::string> token;        // a compact JWT (decoded, NOT verified)
  std::optional<std::string> claims_file;  // a JSON object of claims
  std::optional<std::string> model;
  std::optional<std::string> tool;
  std::optional<std::string> path;
};

// Decides one hypothetical request offline and prints the decision, the reason code and the
// deciding rule. Returns the exit code: 0 when a decision was printed (allow or deny), 2 for a
// bad configuration, token, claims file or usage.
int explain_policy(const ExplainOptions& options, std::ostream& out, std::ostream& err);

// Registers `policy explain --config F (--token JWT | --claims FILE) (--model M | --tool T |
// --path P)` on `app`.
void add_policy_commands(CLI::App& app);

}  // namespace gw::cli
