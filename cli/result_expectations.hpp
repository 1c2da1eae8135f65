#pragma once
// `expect.results` of a PeerPodPolicyTest case: the result that each listed (policy, rule) must
// have, in the engine's own words (to_string of rule_kind and finding_result):
//
//   results: [{policy: team-vm-limits, rule: vcpus, result: violation}]
//
// The words are read into the engine's enums once, when the suite is read, so a misspelt word
// is a located error of the suite (the suite does not run), not a case that fails for a reason
// that has nothing to do with the policy under test. Findings that are not listed are ignored,
// as Kyverno's `results` ignore the rules they do not name.

#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "cli/suite_source.hpp"
#include "engine/admission.hpp"
#include "engine/policy/model.hpp"

namespace peergate::cli {

struct result_expectation {
  std::string policy;  // a PeerPodPolicy, PeerPodVMPolicy or PeerPodMutation name
  rule_kind rule = rule_kind::allowed_namespaces;
  finding_result result = finding_result::pass;
};

// Reads the value of `expect.results` (`where` is its place in the suite, `path` its name in
// messages: "spec.cases[2].expect.results"). Every mistake is added
// to `problems`: a value of the wrong type, a missing key, an unknown rule or result word, a
// policy name that `policies` does not hold, a rule that the named policy never reports (errors);
// an unknown key in an entry (a warning; the key is ignored). The entries read without error are
// returned.
std::vector<result_expectation> read_result_expectations(const boost::json::value& results, const value_locator& where,
                                                         const std::string& path, const policy_set& policies,
                                                         diagnostics& problems);

// One line per expectation that the findings do not meet, in the order listed:
//   results team-vm-limits/vcpus: expected pass, got violation (Pod "p" asks for ...)
//   results team-vm-limits/gpus: expected pass, got no finding
std::vector<std::string> compare_results(const std::vector<result_expectation>& expected,
                                         const std::vector<finding>& findings);

}  // namespace peergate::cli
