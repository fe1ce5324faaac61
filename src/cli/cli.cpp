#include "cli/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/audit_command.hpp"
#include "cli/policy_command.hpp"
#include "server/config.hpp"
#include "server/server.hpp"

namespace gw::cli {
namespace {

// Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.
constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;

int check(const std::string& file) {
  config::Problems problems(file);
  auto config = server::load_config(file, problems);
  if (!config) {
    std::cerr << problems.format();
    std::cerr << problems.list().size() << (problems.list().size() == 1 ? " problem" : " problems")
              << " in " << file << "\n";
    return kExitConfig;
  }
  std::cout << file << ": ok (" << config->routes.routes.size() << " routes, "
            << config->proxy.upstreams.size() << " upstreams, " << config->identity.issuers.size()
            << " issuers)\n";
  return 0;
}

int serve(const std::string& file) {
  config::Problems problems(file);
  auto config = server::load_config(file, problems);
  if (!config) {
    std::cerr << problems.format();
    return kExitConfig;
  }
  auto server = server::Server::create(std::move(*config));
  if (!server) {
    std::cerr << "gatewaystack: " << server.error().detail << "\n";
    return kExitRuntime;
  }
  return (*server)->run();
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"gatewaystack: binds a verified user identity to every AI request"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("gatewaystack ") + GW_VERSION);

  std::string config_file;
  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway");
  serve_cmd->add_option("-c,--config", config_file, "Configuration file (YAML or JSON)")
      ->required();
  auto* check_cmd = app.add_subcommand("check", "Validate a configuration file and exit");
  check_cmd->add_option("-c,--config", config_file, "Configuration file (YAML or JSON)")
      ->required();

  add_audit_commands(app);
  add_policy_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Commands end with CLI::Success or CLI::RuntimeError(code): keep their exit codes;
    // anything else is a usage error.
    const int code = app.exit(e);
    if (dynamic_cast<const CLI::RuntimeError*>(&e) != nullptr) return code;
    return code == 0 ? 0 : kExitConfig;
  }
  if (*serve_cmd) return serve(config_file);
  if (*check_cmd) return check(config_file);
  std::cout << app.help();
  return 0;
}

}  // namespace gw::cli
