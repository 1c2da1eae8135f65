#include "cli/test_command.hpp"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/policy_test.hpp"

namespace peergate::cli {

command add_test_command(CLI::App& app) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto now = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("test", "Run policy test suites (kind PeerPodPolicyTest)");
  add_now_option(*cmd, *now);
  cmd->add_option("paths", *paths, "Test suite files or directories")->required();
  cmd->footer("Exit status: 0 all cases passed, 1 a case failed, 2 a suite could not be read or usage.");
  return {cmd, [paths, now] {
            const test_totals totals = run_policy_tests(*paths, now_or_clock(*now), std::cout);
            if (totals.broken_suites) return exit_usage;
            return totals.failed ? exit_failed : exit_ok;
          }};
}

}  // namespace peergate::cli
