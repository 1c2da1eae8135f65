#include "cli/schema_command.hpp"

#include <iostream>

#include "engine/policy/schema.hpp"

namespace peergate::cli {

command add_schema_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("schema", "Print the JSON Schema of the policy and test documents");
  return {cmd, [] {
            std::cout << policy_schema();
            return exit_ok;
          }};
}

}  // namespace peergate::cli
