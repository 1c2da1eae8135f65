#include "cli/command.hpp"

#include <iostream>

#include "cli/manifests.hpp"

namespace peergate::cli {

int report_usage_error(const CLI::App& subcommand, const std::string& problem) {
  subcommand.exit(CLI::ValidationError(problem));
  return exit_usage;
}

policy_snapshot load_or_report(const std::vector<std::string>& paths) {
  load_result loaded = load_policies(paths);
  if (!loaded.problems.items().empty()) std::cerr << loaded.problems.render_text();
  if (!loaded.ok()) std::cerr << "peergate: policies not loaded: " << loaded.problems.summary() << "\n";
  return loaded.policies;
}

const CLI::Validator service_name_check([](std::string& value) { return dns1035_label_problem(value); }, "NAME");
const CLI::Validator namespace_name_check([](std::string& value) { return dns1123_label_problem(value); }, "NAMESPACE");

}  // namespace peergate::cli
