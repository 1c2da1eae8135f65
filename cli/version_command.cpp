#include "cli/version_command.hpp"

#include <iostream>

namespace peergate::cli {

command add_version_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("version", "Print the version");
  return {cmd, [] {
            std::cout << "peergate " << PEERGATE_VERSION << "\n";
            return exit_ok;
          }};
}

}  // namespace peergate::cli
