// PeerPodPolicyException: loaded strictly against the policies it names, and applied by the chain
// per policy, by the time it is given (never a clock), on the record.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "engine/chain.hpp"
#include "engine/time_text.hpp"
#include "tests/support/policies.hpp"
#include "tests/support/vm_fixtures.hpp"

using namespace peergate;
namespace json = boost::json;
using peergate::testing::results_of;
using namespace std::chrono_literals;

using peergate::testing::load_test_policies;

namespace {

const char* policies_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: team-namespaces}
spec:
  allowedNamespaces: ["team-*"]
  exemptions: {groups: [platform-admins]}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: team-vm-limits}
spec:
  vm: {maxVCPUs: 4, maxGPUs: 0}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: no-images}
spec:
  vm: {images: []}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicyException
metadata: {name: ml-gpu-trial}
spec:
  policies: [team-vm-limits]
  namespaces: ["team-a", "ml-research"]
  objects: ["train", "trainer-*"]
  expires: "2027-01-31T00:00:00Z"
  reason: "OPS-1234: GPU trial"
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicyException
metadata: {name: research-move}
spec:
  policies: [team-namespaces, team-vm-limits]
  namespaces: [{regex: "ml-.+"}]
  expires: "2027-01-01T01:00:00+01:00"
  reason: "OPS-1240: moving to team-ml"
  warnBefore: 1h30m
)yaml";

policy_snapshot policies() {
  static const policy_snapshot loaded = load_test_policies("exceptions.yaml", policies_yaml);
  return loaded;
}

time_point at(std::string_view rfc3339) { return *parse_rfc3339(rfc3339, nullptr); }

decision admit_at(const admission_request& r, std::string_view now) {
  return run_admit(r, *policies(), evaluation_context{peergate::testing::empty_digest_table, at(now)});
}

// A peer pod named `name` (or made from `generate_name`) with 8 vCPUs and a GPU.
json::value pod(const std::string& name, const std::string& generate_name = {}) {
  json::value p = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{},
    "spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","image":"x","resources":{
      "limits":{"cpu":"8","memory":"8Gi","nvidia.com/gpu":"1"},"requests":{"cpu":"8","memory":"8Gi","nvidia.com/gpu":"1"}}}]}})");
  json::object& metadata = p.at("metadata").as_object();
  if (!name.empty()) metadata["name"] = name;
  if (!generate_name.empty()) metadata["generateName"] = generate_name;
  return p;
}

admission_request request_for(json::value object, std::string ns, std::string_view user = "alice") {
  admission_request r;
  r.uid = "u1";
  r.kind = kind_of_object(object.at("apiVersion").as_string(), object.at("kind").as_string());
  r.namespace_name = std::move(ns);
  r.user = {json::string(user), {"system:authenticated"}};
  r.object = std::move(object);
  return r;
}

const std::string* annotation(const decision& d, const std::string& key) {
  for (const auto& [k, v] : d.audit_annotations)
    if (k == key) return &v;
  return nullptr;
}

}  // namespace

TEST_CASE("an active exception skips every rule of the VM policy it names, and only that policy") {
  const decision d = admit_at(request_for(pod("train"), "team-a"), "2026-12-01T00:00:00Z");
  INFO(d.message);
  CHECK(d.allowed);
  CHECK(results_of(d, "team-vm-limits") == "vcpus=skip gpus=skip");
  CHECK(results_of(d, "team-namespaces") == "allowed-namespaces=pass");  // not named: evaluated
  CHECK(results_of(d, "no-images") == "image=pass");
  for (const finding& f : d.findings) {
    if (f.policy != "team-vm-limits") continue;
    CHECK(f.exception == "ml-gpu-trial");
    CHECK(f.message == "exempt by exception \"ml-gpu-trial\" until 2027-01-31T00:00:00Z: OPS-1234: GPU trial");
  }
  REQUIRE(annotation(d, "ml-gpu-trial"));
  CHECK(*annotation(d, "ml-gpu-trial") == "exempts team-vm-limits until 2027-01-31T00:00:00Z: OPS-1234: GPU trial");
  CHECK(d.warnings.empty());     // 61 days before, warnBefore 168h
  CHECK_FALSE(d.patch.empty());  // the mutation runs as usual
}

TEST_CASE("within warnBefore: one warning, at expires: no longer applies") {
  const decision soon = admit_at(request_for(pod("train"), "team-a"), "2027-01-30T23:59:59Z");
  CHECK(soon.allowed);
  REQUIRE(soon.warnings.size() == 1);
  CHECK(soon.warnings[0] == "exception \"ml-gpu-trial\" for policy \"team-vm-limits\" expires 2027-01-31T00:00:00Z");
  CHECK(admit_at(request_for(pod("train"), "team-a"), "2027-01-24T00:00:00Z").warnings.size() == 1);  // 168h
  CHECK(admit_at(request_for(pod("train"), "team-a"), "2027-01-23T23:59:59Z").warnings.empty());

  const decision expired = admit_at(request_for(pod("train"), "team-a"), "2027-01-31T00:00:00Z");
  CHECK_FALSE(expired.allowed);
  CHECK(results_of(expired, "team-vm-limits") == "vcpus=violation gpus=violation");
  CHECK_FALSE(annotation(expired, "ml-gpu-trial"));
  CHECK(expired.warnings.empty());
}

TEST_CASE("an exception covers its namespaces and objects only, generateName counts as the name") {
  CHECK_FALSE(admit_at(request_for(pod("train"), "team-b"), "2026-12-01T00:00:00Z").allowed);
  CHECK_FALSE(admit_at(request_for(pod("notebook"), "team-a"), "2026-12-01T00:00:00Z").allowed);
  const decision generated = admit_at(request_for(pod("", "trainer-7d9c5b8f6d-"), "team-a"), "2026-12-01T00:00:00Z");
  CHECK(generated.allowed);
  CHECK(results_of(generated, "team-vm-limits") == "vcpus=skip gpus=skip");
}

TEST_CASE("one annotation per exception used, naming every policy it exempted, the first loaded wins") {
  // ml-research: both exceptions cover "train" for team-vm-limits; ml-gpu-trial is first.
  const decision d = admit_at(request_for(pod("train"), "ml-research"), "2026-12-31T23:00:00Z");
  INFO(d.message);
  CHECK(d.allowed);
  CHECK(results_of(d, "team-namespaces") == "allowed-namespaces=skip");
  REQUIRE(annotation(d, "ml-gpu-trial"));
  REQUIRE(annotation(d, "research-move"));
  CHECK(*annotation(d, "research-move") ==
        "exempts team-namespaces until 2027-01-01T01:00:00+01:00: OPS-1240: moving to team-ml");
  // research-move ends within its 1h30m: one warning for the one policy it exempted here.
  REQUIRE(d.warnings.size() == 1);
  CHECK(d.warnings[0] ==
        "exception \"research-move\" for policy \"team-namespaces\" expires 2027-01-01T01:00:00+01:00");

  const decision other = admit_at(request_for(pod("notebook"), "ml-x"), "2026-12-01T00:00:00Z");
  CHECK(other.allowed);
  REQUIRE(annotation(other, "research-move"));
  CHECK(*annotation(other, "research-move") ==
        "exempts team-namespaces, team-vm-limits until 2027-01-01T01:00:00+01:00: OPS-1240: moving to team-ml");
  CHECK(other.warnings.empty());
}

TEST_CASE("a user exemption comes first: the exception is not used") {
  admission_request r = request_for(pod("notebook"), "ml-x");
  r.user.groups.push_back("platform-admins");
  const decision d = admit_at(r, "2026-12-01T00:00:00Z");
  CHECK(results_of(d, "team-namespaces") == "allowed-namespaces=skip");
  for (const finding& f : d.findings)
    if (f.policy == "team-namespaces") CHECK(f.exception.empty());
}

TEST_CASE("the same request decided at two times: the engine reads no clock") {
  const admission_request r = request_for(pod("train"), "team-a");
  for (int i = 0; i < 2; ++i) {
    CHECK(admit_at(r, "2027-01-30T00:00:00Z").allowed);
    CHECK_FALSE(admit_at(r, "2027-02-01T00:00:00Z").allowed);
  }
}

namespace {

load_result load_at(const std::string& exception_spec, std::string_view now = "2026-12-01T00:00:00Z") {
  const std::string policy = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: team-namespaces}
spec: {allowedNamespaces: ["team-*", research]}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec: {}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicyException
metadata: {name: e}
spec:
)yaml" + exception_spec;
  return load_policy_texts({{{"e.yaml", policy}}, {}}, mutation_defaults{}, at(now));
}

std::string codes(const load_result& r) {
  std::string out;
  for (const auto& d : r.problems.items()) out += std::string(out.empty() ? "" : " ") + std::string(to_string(d.code));
  return out;
}

}  // namespace

TEST_CASE("loading: a valid exception and its defaults") {
  const load_result r = load_at(
      "  policies: [team-namespaces]\n  namespaces: [ml-x]\n  expires: \"2027-01-31T00:00:00Z\"\n  reason: x\n");
  INFO(r.problems.render_text());
  REQUIRE(r.ok());
  CHECK(r.problems.items().empty());
  REQUIRE(r.policies->exceptions.size() == 1);
  const policy_exception& e = r.policies->exceptions[0];
  CHECK(e.warn_before == 168h);
  CHECK(e.expires_text == "2027-01-31T00:00:00Z");
  CHECK_FALSE(e.objects);
}

TEST_CASE("loading: what makes an exception an error, located at the entry") {
  const load_result unknown = load_at("  policies: [team-namespace, peer-pods]\n  namespaces: [ml-x]\n  expires: "
                                      "\"2027-01-31T00:00:00Z\"\n  reason: x\n");
  CHECK_FALSE(unknown.ok());
  CHECK(codes(unknown) == "unknown-policy unknown-policy");
  CHECK(unknown.problems.items()[0].where.line == 15);
  CHECK(unknown.problems.items()[0].where.column == 14);
  CHECK(unknown.problems.items()[1].message.find("a PeerPodMutation") != std::string::npos);

  CHECK(codes(load_at("  policies: [team-namespaces]\n  namespaces: [ml-x]\n  reason: x\n")) == "missing-field");
  CHECK(codes(load_at("  policies: [team-namespaces]\n  namespaces: [ml-x]\n  expires: \"2027-01-31T00:00:00Z\"\n")) ==
        "missing-field");
  CHECK(codes(load_at("  policies: [team-namespaces]\n  namespaces: [ml-x]\n  expires: \"2027-01-31T00:00:00\"\n"
                      "  reason: x\n")) == "invalid-time");
  CHECK(codes(load_at("  policies: [team-namespaces]\n  namespaces: [ml-x]\n  expires: \"2027-01-31T00:00:00Z\"\n"
                      "  reason: x\n  warnBefore: 7d\n")) == "invalid-duration");
  CHECK(codes(load_at("  policies: []\n  namespaces: []\n  expires: \"2027-01-31T00:00:00Z\"\n  reason: x\n")) ==
        "empty-list empty-list");
}

TEST_CASE("loading: warnings judged at the time of loading, none without one") {
  const std::string expired =
      "  policies: [team-namespaces]\n  namespaces: [ml-x]\n  expires: \"2026-12-01T00:00:00Z\"\n  reason: x\n";
  CHECK(codes(load_at(expired)) == "exception-expired");
  CHECK(load_at(expired).ok());
  CHECK(codes(load_at(expired, "2026-11-30T23:59:59Z")).empty());
  const std::string far =
      "  policies: [team-namespaces]\n  namespaces: [ml-x]\n  expires: \"2028-01-01T00:00:00Z\"\n  reason: x\n";
  CHECK(codes(load_at(far)) == "exception-far-expiry");
  CHECK(codes(load_at(far, "2027-01-01T00:00:00Z")).empty());
  // Without a time: neither warning.
  const load_result untimed = load_policy_texts(
      {{{"e.yaml", "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\nmetadata: {name: p}\n"
                   "spec: {allowedNamespaces: []}\n---\napiVersion: peergate.dev/v1alpha1\n"
                   "kind: PeerPodPolicyException\nmetadata: {name: e}\nspec: {policies: [p], namespaces: [a], "
                   "expires: \"2000-01-01T00:00:00Z\", reason: x}\n"}},
       {}},
      mutation_defaults{});
  CHECK(untimed.ok());
  CHECK(untimed.problems.items().empty());

  const load_result allowed =
      load_at("  policies: [team-namespaces]\n  namespaces: [research, \"team-*\", team-a, \"ml-*\"]\n"
              "  expires: \"2027-01-31T00:00:00Z\"\n  reason: x\n");
  CHECK(codes(allowed) == "exception-already-allowed exception-already-allowed exception-already-allowed");
}
