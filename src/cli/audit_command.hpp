#pragma once

#include <CLI/CLI.hpp>

namespace gw::cli {

// Adds `audit verify` and `audit query`. Their callbacks end parsing by throwing
// CLI::Success (exit 0) or CLI::RuntimeError(code) (1: tampering found, 2: cannot read the
// log or bad arguments), which the caller's `catch (const CLI::ParseError&)` turns into the
// exit code via app.exit().
void add_audit_commands(CLI::App& app);

}  // namespace gw::cli
