#include "cli/test_command.hpp"

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/junit_report.hpp"
#include "cli/policy_test.hpp"

namespace peergate::cli {

namespace {

struct test_options {
  std::vector<std::string> paths;
  test_format format = test_format::text;
  std::string now;  // --now; "" = the clock
};

int run_test(const test_options& o) {
  const test_run run = run_policy_tests(o.paths, now_or_clock(o.now));
  if (o.format == test_format::junit) {
    render_test_junit(run, std::cout);
  } else {
    render_test_text(run, std::cout);
  }
  if (run.totals.broken_suites) return exit_usage;
  return run.totals.failed ? exit_failed : exit_ok;
}

}  // namespace

command add_test_command(CLI::App& app) {
  auto o = std::make_shared<test_options>();
  CLI::App* cmd = app.add_subcommand("test", "Run policy test suites (kind PeerPodPolicyTest)");
  const std::map<std::string, test_format> formats{{"text", test_format::text}, {"junit", test_format::junit}};
  cmd->add_option("--format", o->format, "text, or junit (JUnit XML, for CI test reports)")
      ->transform(CLI::CheckedTransformer(formats))
      ->default_str("text");
  add_now_option(*cmd, o->now);
  cmd->add_option("paths", o->paths, "Test suite files or directories")->required();
  cmd->footer("Exit status: 0 all cases passed, 1 a case failed, 2 a suite could not be read or usage.");
  return {cmd, [o] { return run_test(*o); }};
}

}  // namespace peergate::cli
