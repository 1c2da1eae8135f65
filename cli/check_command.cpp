#include "cli/check_command.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/check_formats.hpp"

namespace peergate::cli {

namespace {

struct check_options {
  std::vector<std::string> paths;
  check_format format = check_format::text;
  std::string now;  // --now; "" = the clock
};

int run_check(const check_options& o) {
  load_result loaded = load_policies(o.paths, mutation_defaults::from_environment(), now_or_clock(o.now));
  if (o.format == check_format::json) {
    std::cout << loaded.problems.render_json() << "\n";
  } else if (o.format == check_format::sarif) {
    render_sarif(loaded.problems, std::cout);
  } else if (o.format == check_format::github) {
    render_github(loaded.problems, std::cout);
  } else {
    std::cout << loaded.problems.render_text();
    std::cout << loaded.problems.summary();
    if (loaded.ok()) {
      const std::size_t policies = loaded.policies->policies.size();
      // The implicit default mutation has no file: count only the ones written down.
      const auto mutations = std::count_if(loaded.policies->mutations.begin(), loaded.policies->mutations.end(),
                                           [](const mutation_settings& m) { return !m.where.file.empty(); });
      const std::size_t vm_policies = loaded.policies->vm_policies.size();
      const std::size_t exceptions = loaded.policies->exceptions.size();
      std::cout << "; loaded " << policies << (policies == 1 ? " policy" : " policies");
      if (vm_policies > 0) std::cout << ", " << vm_policies << (vm_policies == 1 ? " VM policy" : " VM policies");
      if (exceptions > 0) std::cout << ", " << exceptions << (exceptions == 1 ? " exception" : " exceptions");
      std::cout << " and " << mutations << (mutations == 1 ? " mutation" : " mutations");
    }
    std::cout << "\n";
  }
  return loaded.problems.has_errors() ? exit_failed : exit_ok;
}

}  // namespace

command add_check_command(CLI::App& app) {
  auto o = std::make_shared<check_options>();
  CLI::App* cmd = app.add_subcommand("check", "Check policy files and print every problem with its location");
  const std::map<std::string, check_format> formats{{"text", check_format::text},
                                                    {"json", check_format::json},
                                                    {"sarif", check_format::sarif},
                                                    {"github", check_format::github}};
  cmd->add_option("--format", o->format,
                  "text, json, sarif (SARIF 2.1.0, for code scanning) or github (GitHub Actions annotations)")
      ->transform(CLI::CheckedTransformer(formats))
      ->default_str("text");
  add_now_option(*cmd, o->now);
  cmd->add_option("paths", o->paths, "Policy files or directories")->required();
  cmd->footer("Exit status: 0 no errors, 1 errors, 2 usage.");
  return {cmd, [o] { return run_check(*o); }};
}

}  // namespace peergate::cli
