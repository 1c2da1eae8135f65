#pragma once
// `peergate certs` and `peergate manifests`: from nothing to a webhook in a cluster.
// See docs/operations.md.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace peergate::cli {

// Each registers its subcommand and returns it. When chosen, it runs during app.parse() and
// stores its exit status in `exit_code_out`: 0 done, 1 the policies have errors (manifests),
// 2 bad input or usage. `command_line` is written into the manifests' header comment.
CLI::App* add_certs_command(CLI::App& app, int& exit_code_out);
CLI::App* add_manifests_command(CLI::App& app, int& exit_code_out, std::string command_line);

}  // namespace peergate::cli
