// expect.results of `peergate test`: the words read into the engine's enums with located
// mistakes, and the comparison with a decision's findings. The output as people read it is in
// the golden cases tests/golden/test/results-*.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include "cli/input.hpp"
#include "cli/result_expectations.hpp"
#include "cli/suite_source.hpp"
#include "tests/support/policies.hpp"

namespace json = boost::json;
using namespace peergate;
using namespace peergate::cli;

namespace {

const char* const policies_yaml = R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: team-namespaces}
spec: {allowedNamespaces: ["team-*"]}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: team-vm-limits}
spec:
  vm: {instanceTypes: [a], maxVCPUs: 4, maxMemory: 1Gi, maxGPUs: 0, images: [], initData: {digests: []}}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: small-vm}
spec:
  vm: {maxVCPUs: 2, images: []}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec: {unaccountedPeerPods: Warn}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: quiet}
spec: {runtimeClassName: kata-qemu, unaccountedPeerPods: Ignore}
)";

struct read_outcome {
  std::vector<result_expectation> expectations;
  diagnostics problems;
};

// Reads `results` as written in a suite file (the value of a `results:` key on line 1).
read_outcome read(const std::string& results_yaml) {
  const std::string text = "results: " + results_yaml + "\n";
  const parsed_documents parsed = parse_documents(text);
  REQUIRE(parsed.error.empty());
  REQUIRE(parsed.documents.size() == 1);
  const std::vector<value_locator> places = locate_documents("suite.yaml", text, 1);
  static const policy_snapshot policies = testing::load_test_policies("p.yaml", policies_yaml);
  read_outcome out;
  out.expectations = read_result_expectations(parsed.documents[0].at("results"), places[0]["results"], "results",
                                              *policies, out.problems);
  return out;
}

finding found(std::string policy, rule_kind rule, finding_result result, std::string message = {}) {
  return {std::move(policy), rule, {}, result, std::move(message)};
}

}  // namespace

TEST_CASE("results: the engine's words become its enums") {
  const read_outcome r = read(
      "[{policy: team-vm-limits, rule: vcpus, result: violation}, {policy: team-namespaces, rule: allowed-namespaces, "
      "result: skip}, {policy: quiet, rule: mutation, result: error}]");
  CHECK(r.problems.items().empty());
  REQUIRE(r.expectations.size() == 3);
  CHECK(r.expectations[0].policy == "team-vm-limits");
  CHECK(r.expectations[0].rule == rule_kind::vm_vcpus);
  CHECK(r.expectations[0].result == finding_result::violation);
  CHECK(r.expectations[1].rule == rule_kind::allowed_namespaces);
  CHECK(r.expectations[1].result == finding_result::skip);
  CHECK(r.expectations[2].rule == rule_kind::mutation);
  CHECK(r.expectations[2].result == finding_result::error);
}

TEST_CASE("results: every rule and result word the engine writes is read back") {
  for (rule_kind rule : all_rule_kinds) {
    const std::string policy = rule == rule_kind::allowed_namespaces                          ? "team-namespaces"
                               : rule == rule_kind::mutation || rule == rule_kind::accounting ? "peer-pods"
                                                                                              : "team-vm-limits";
    for (finding_result result :
         {finding_result::pass, finding_result::violation, finding_result::skip, finding_result::error}) {
      const read_outcome r =
          read("[{policy: " + policy + ", rule: " + to_string(rule) + ", result: " + to_string(result) + "}]");
      INFO(r.problems.render_text());
      CHECK(r.problems.items().empty());
      REQUIRE(r.expectations.size() == 1);
      CHECK(r.expectations[0].rule == rule);
      CHECK(r.expectations[0].result == result);
    }
  }
}

TEST_CASE("results: mistakes are located errors, each entry on its own") {
  const read_outcome r =
      read("[{policy: team-vm-limits, rule: vcpu, result: violation}, {policy: team-vm-limits, rule: vcpus, result: "
           "Violation}, {policy: nobody, rule: vcpus, result: pass}, {policy: small-vm, rule: gpus, result: pass}, "
           "{policy: quiet, rule: accounting, result: pass}, {policy: team-vm-limits, rule: vcpus}, x, {policy: "
           "team-vm-limits, rule: 4, result: pass}, {policy: team-vm-limits, rule: vcpus, result: pass}]");
  REQUIRE(r.expectations.size() == 1);  // the last entry
  std::vector<std::string> texts;
  for (const diagnostic& d : r.problems.items()) {
    CHECK(d.level == severity::error);
    CHECK(d.where.file == "suite.yaml");
    CHECK(d.where.line == 1);
    CHECK(d.source_line.starts_with("results: ["));
    texts.push_back(d.message);
  }
  REQUIRE(texts.size() == 8);
  CHECK(texts[0].starts_with("unknown rule \"vcpu\" (expected allowed-namespaces, accounting, mutation,"));
  CHECK(texts[1] == "unknown result \"Violation\" (expected pass, violation, skip, error)");
  CHECK(texts[2] ==
        "no loaded policy or mutation is named \"nobody\" (loaded: team-namespaces, team-vm-limits, small-vm, "
        "peer-pods, quiet)");
  CHECK(texts[3] == "PeerPodVMPolicy \"small-vm\" never reports rule \"gpus\" (its rules: vcpus, image)");
  CHECK(texts[4] == "PeerPodMutation \"quiet\" never reports rule \"accounting\" (its rules: mutation)");
  CHECK(texts[5] == "results[5].result is required");
  CHECK(texts[6] == "results[6] must be a mapping {policy, rule, result}, not a string");
  CHECK(texts[7] == "results[7].rule must be a string, not a number");
  // Each points at its own word: the column of "vcpu" in the first entry.
  const std::string line = r.problems.items()[0].source_line;
  CHECK(r.problems.items()[0].where.column == static_cast<int>(line.find("vcpu,")) + 1);
}

TEST_CASE("results: an unknown key is a warning and the entry is kept") {
  const read_outcome r = read("[{policy: team-vm-limits, rule: vcpus, result: pass, message: x}]");
  REQUIRE(r.problems.items().size() == 1);
  CHECK(r.problems.items()[0].level == severity::warning);
  CHECK(r.problems.items()[0].code == diagnostic_code::unknown_field);
  CHECK(r.expectations.size() == 1);
}

TEST_CASE("results: not a list") {
  const read_outcome r = read("{policy: team-vm-limits, rule: vcpus, result: pass}");
  REQUIRE(r.problems.items().size() == 1);
  CHECK(r.problems.items()[0].message == "results must be a list of {policy, rule, result}, not a mapping");
}

TEST_CASE("results: a listed (policy, rule) must have exactly the result, others are ignored") {
  const std::vector<finding> findings = {
      found("team-namespaces", rule_kind::allowed_namespaces, finding_result::pass),
      found("team-vm-limits", rule_kind::vm_vcpus, finding_result::violation, "Pod \"p\" asks for 8 vCPUs"),
      found("team-vm-limits", rule_kind::vm_image, finding_result::pass),
  };
  CHECK(compare_results({{"team-vm-limits", rule_kind::vm_vcpus, finding_result::violation}}, findings).empty());
  CHECK(compare_results({}, findings).empty());
  CHECK(compare_results({{"team-vm-limits", rule_kind::vm_vcpus, finding_result::pass}}, findings) ==
        std::vector<std::string>{
            "results team-vm-limits/vcpus: expected pass, got violation (Pod \"p\" asks for 8 vCPUs)"});
  CHECK(compare_results({{"team-vm-limits", rule_kind::vm_memory, finding_result::pass},
                         {"team-namespaces", rule_kind::allowed_namespaces, finding_result::skip}},
                        findings) ==
        std::vector<std::string>{"results team-vm-limits/memory: expected pass, got no finding",
                                 "results team-namespaces/allowed-namespaces: expected skip, got pass"});
  // The same rule of another policy does not count.
  CHECK(compare_results({{"other", rule_kind::vm_vcpus, finding_result::violation}}, findings).size() == 1);
}

TEST_CASE("results: locators that cannot be paired with YAML documents name the file only") {
  // Two documents asked for, one in the text: yaml-cpp's reading does not match the runner's.
  const std::vector<value_locator> places = locate_documents("suite.json", "{\"a\": 1, \"b\": 2}\n", 2);
  REQUIRE(places.size() == 2);
  const source_location at = places[1]["b"].where();
  CHECK(at.file == "suite.json");
  CHECK(at.line == 0);
}
