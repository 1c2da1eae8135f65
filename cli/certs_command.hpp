#pragma once
// `peergate certs`: a CA and a serving certificate for the webhook's Service, the first step
// from nothing to a webhook in a cluster. See docs/operations.md.

#include "cli/command.hpp"

namespace peergate::cli {

// Exit status: 0 written, 2 bad input, existing files without --force, or usage.
command add_certs_command(CLI::App& app);

}  // namespace peergate::cli
