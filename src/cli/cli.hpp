#pragma once

namespace gw::cli {

// Parses the command line and runs the chosen command; returns the process exit code.
int run(int argc, char** argv);

}  // namespace gw::cli
