#pragma once
// `peergate audit`: reports over what already exists (kubectl output, manifests) or over the
// lines of the server's audit log (--from-log). See docs/audit.md.

#include "cli/command.hpp"

namespace peergate::cli {

// Exit status: 0 nothing reached --fail-on, 1 something did, 2 bad input or usage.
command add_audit_command(CLI::App& app);

}  // namespace peergate::cli
