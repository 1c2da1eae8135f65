#pragma once
// `peergate schema`: prints the JSON Schema of the policy and test documents, for editors and
// CI checks of policy files.

#include "cli/command.hpp"

namespace peergate::cli {

// Exit status: 0.
command add_schema_command(CLI::App& app);

}  // namespace peergate::cli
