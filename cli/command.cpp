#include "cli/command.hpp"

#include <iostream>

#include "cli/manifests.hpp"

namespace peergate::cli {

int report_usage_error(const CLI::App& subcommand, const std::string& problem) {
  subcommand.exit(CLI::ValidationError(problem));
  return exit_usage;
}

policy_snapshot load_or_report(const std::vector<std::string>& paths, time_point now) {
  load_result loaded = load_policies(paths, mutation_defaults::from_environment(), now);
  if (!loaded.problems.items().empty()) std::cerr << loaded.problems.render_text();
  if (!loaded.ok()) std::cerr << "peergate: policies not loaded: " << loaded.problems.summary() << "\n";
  return loaded.policies;
}

const CLI::Validator rfc3339_check(
    [](std::string& value) {
      std::string problem;
      if (parse_rfc3339(value, &problem)) return std::string();
      return "--now \"" + value + "\": " + problem;
    },
    "RFC3339");

void add_now_option(CLI::App& subcommand, std::string& now) {
  subcommand
      .add_option("--now", now,
                  "Decide as at this time (RFC 3339 with a zone, e.g. 2027-01-31T00:00:00Z) for exceptions; "
                  "default: the clock")
      ->check(rfc3339_check)
      ->type_name("TIME");
}

time_point now_or_clock(const std::string& now) {
  if (now.empty()) return std::chrono::system_clock::now();
  std::string problem;
  return parse_rfc3339(now, &problem).value_or(std::chrono::system_clock::now());
}

const CLI::Validator service_name_check([](std::string& value) { return dns1035_label_problem(value); }, "NAME");
const CLI::Validator namespace_name_check([](std::string& value) { return dns1123_label_problem(value); }, "NAMESPACE");

}  // namespace peergate::cli
