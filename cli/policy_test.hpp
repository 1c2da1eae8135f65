#pragma once
// `peergate test`: policy test suites (kind PeerPodPolicyTest), like `kyverno test` and
// `gator verify`: policies to load, cases with an object or review, and expected outcomes.

#include <iosfwd>
#include <string>
#include <vector>

#include "engine/time_text.hpp"

namespace peergate::cli {

struct test_totals {
  int passed = 0;
  int failed = 0;
  int broken_suites = 0;  // suites that could not be read at all
};

// Runs every suite found in `paths` (files, or directories searched for *.yaml/*.yml files
// holding a PeerPodPolicyTest), writing one line per case and a diff for each failure. Cases are
// decided at `now`.
test_totals run_policy_tests(const std::vector<std::string>& paths, time_point now, std::ostream& out);

}  // namespace peergate::cli
