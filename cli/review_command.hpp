#pragma once
// `peergate review`: the admission chain on an AdmissionReview or a bare object (JSON or YAML),
// printing the response the webhook would send, or a summary.

#include "cli/command.hpp"

namespace peergate::cli {

// Exit status: 0 allowed, 1 denied, 2 bad input or usage.
command add_review_command(CLI::App& app);

}  // namespace peergate::cli
