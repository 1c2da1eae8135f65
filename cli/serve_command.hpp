#pragma once
// `peergate serve`: the HTTPS admission webhook (see docs/server.md). Built only with the server
// (webhook/server/).

#include "cli/command.hpp"

namespace peergate::cli {

// Runs the server until SIGTERM/SIGINT. Exit status: 0 after a shutdown on a signal; run_server's
// status when the server cannot start (2 invalid options, 1 anything else: policies with errors, a
// certificate that does not load, an address in use); 2 usage.
command add_serve_command(CLI::App& app);

}  // namespace peergate::cli
