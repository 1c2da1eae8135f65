#pragma once
// `peergate test`: policy test suites (kind PeerPodPolicyTest), like `kyverno test` and
// `gator verify`: policies to load, cases with an object or review, and expected outcomes.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "engine/time_text.hpp"

namespace peergate::cli {

struct test_totals {
  int passed = 0;
  int failed = 0;
  int broken_suites = 0;  // suites that could not be read at all
};

struct case_result {
  std::string name;  // the case's name, else "case N"
  bool passed = false;
  std::vector<std::string> diff;  // one line per mismatch; empty when it passed
};

// One PeerPodPolicyTest document, or a file that could not be read as suites at all.
struct suite_result {
  std::string file;
  // Set when the suite could not run: the one-line reason ("suite.yaml: its policies do not
  // load:") and the located diagnostics under it, if any.
  std::string error;
  std::string error_details;
  // Warnings about the suite itself (ignored keys), as `peergate check` prints them.
  std::string notes;
  std::vector<case_result> cases;
};

// What a run without any suite reports (the text format prefixes "ERROR ").
inline constexpr std::string_view no_suite_found_text = "no PeerPodPolicyTest found in the given paths";

struct test_run {
  std::vector<suite_result> suites;  // in the order of their files (sorted) and documents
  bool no_suite_found = false;       // no PeerPodPolicyTest in the given paths
  test_totals totals;
};

// Runs every suite found in `paths` (files, or directories searched for *.yaml/*.yml files
// holding a PeerPodPolicyTest). Cases are decided at `now` (a case may set its own).
test_run run_policy_tests(const std::vector<std::string>& paths, time_point now);

// One line per case and a diff for each failure, then the totals.
void render_test_text(const test_run& run, std::ostream& out);

}  // namespace peergate::cli
