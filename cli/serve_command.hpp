#pragma once
// `peergate serve`: the HTTPS admission webhook (see docs/server.md).

#include <CLI/CLI.hpp>

// Registers the `serve` subcommand and its flags; when it is chosen, runs the server until
// SIGTERM/SIGINT. A non-zero server exit is raised as CLI::RuntimeError(code), so
// CLI11_PARSE (or app.exit) turns it into the process exit code without printing anything.
// (Global, as cli/main.cpp calls it.)
void add_serve_command(CLI::App& app);
