#pragma once
// `peergate check`: loads policy files and prints every problem with its location.

#include "cli/command.hpp"

namespace peergate::cli {

// Exit status: 0 no errors, 1 errors, 2 usage.
command add_check_command(CLI::App& app);

}  // namespace peergate::cli
