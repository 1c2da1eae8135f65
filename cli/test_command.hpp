#pragma once
// `peergate test`: runs policy test suites (kind PeerPodPolicyTest); the runner is
// cli/policy_test.*.

#include "cli/command.hpp"

namespace peergate::cli {

// Exit status: 0 all cases passed, 1 a case failed, 2 a suite could not be read or usage.
command add_test_command(CLI::App& app);

}  // namespace peergate::cli
