// The peergate executable: builds the command line from the commands in cli/*_command.*, parses
// it and returns the exit status of the command that was chosen.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/audit_command.hpp"
#include "cli/certs_command.hpp"
#include "cli/check_command.hpp"
#include "cli/command.hpp"
#include "cli/manifests_command.hpp"
#include "cli/review_command.hpp"
#include "cli/schema_command.hpp"
#include "cli/test_command.hpp"
#include "cli/version_command.hpp"
#ifdef PEERGATE_HAVE_SERVER
#include "cli/serve_command.hpp"
#endif

namespace {

// The command line as a person would type it again (arguments with spaces or quotes quoted).
std::string command_line(int argc, char** argv) {
  std::string out = "peergate";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_of(" \t'\"$`\\;&|<>*?()") == std::string::npos;
    out += " " + (plain ? arg : "'" + arg + "'");
  }
  return out;
}

}  // namespace

// Each command reports its own failures; what none handles (std::bad_alloc) ends the process
// through std::terminate, which names the exception and exits non-zero.
// NOLINTNEXTLINE(bugprone-exception-escape)
int main(int argc, char** argv) {
  namespace cli = peergate::cli;
  CLI::App app{"peergate: admission policies and mutation for peer pods (kata-remote)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", PEERGATE_VERSION);

  // In the order `peergate --help` lists them.
  const std::vector<cli::command> commands = {
      cli::add_review_command(app), cli::add_check_command(app),
      cli::add_test_command(app),   cli::add_version_command(app),
      cli::add_schema_command(app), cli::add_audit_command(app),
      cli::add_certs_command(app),  cli::add_manifests_command(app, command_line(argc, argv)),
#ifdef PEERGATE_HAVE_SERVER
      cli::add_serve_command(app),
#endif
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end parsing too, successfully.
    return app.exit(e) == 0 ? cli::exit_ok : cli::exit_usage;
  }
  for (const cli::command& chosen : commands)
    if (*chosen.subcommand) return chosen.run();
  return cli::exit_usage;  // not reached: require_subcommand(1) makes parsing fail without one
}
