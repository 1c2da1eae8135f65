#pragma once
// `peergate version`: prints the version (as `peergate --version` does).

#include "cli/command.hpp"

namespace peergate::cli {

// Exit status: 0.
command add_version_command(CLI::App& app);

}  // namespace peergate::cli
