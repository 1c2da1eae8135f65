#pragma once
// `peergate manifests`: the Kubernetes objects that run peergate as a webhook, built by
// cli/manifests.* from the options and the checked policies. See docs/operations.md.

#include <string>

#include "cli/command.hpp"

namespace peergate::cli {

// Exit status: 0 printed, 1 the policies have errors, 2 bad input or usage. `command_line` (the
// command as typed) is written into the output's header comment, to regenerate it.
command add_manifests_command(CLI::App& app, std::string command_line);

}  // namespace peergate::cli
