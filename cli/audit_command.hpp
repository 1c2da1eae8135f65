#pragma once
// `peergate audit`: reports over what already exists (kubectl output, manifests) or over the
// lines of the server's audit log (--from-log). See docs/audit.md.

#include <CLI/CLI.hpp>

namespace peergate::cli {

// Registers the `audit` subcommand and returns it. When it is chosen, it runs during
// app.parse() and stores its exit status in `exit_code_out`: 0 nothing reached --fail-on,
// 1 something did, 2 bad input or usage.
CLI::App* add_audit_command(CLI::App& app, int& exit_code_out);

}  // namespace peergate::cli
