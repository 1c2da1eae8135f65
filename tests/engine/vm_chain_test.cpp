// PeerPodVMPolicy through the chain: the VM that is checked is the one the pod will get (after
// the mutation step), templates are checked as the pods they create, and an UPDATE is checked
// only for what it raises or changes.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "engine/chain.hpp"
#include "tests/support/policies.hpp"
#include "tests/support/vm_fixtures.hpp"

using namespace peergate;
namespace json = boost::json;
using peergate::testing::results_of;

using peergate::testing::fixture_digests;
using peergate::testing::load_test_policies;
using peergate::testing::read_initdata_fixture;

namespace {

const char* policies_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: team-vm-limits}
spec:
  namespaces: ["team-*"]
  exemptions: {groups: [platform-admins]}
  vm:
    instanceTypes: ["Standard_DC2as_v5", "Standard_DC*as_v5"]
    maxVCPUs: 4
    maxMemory: 16Gi
    maxGPUs: 0
    images: []
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: dev-warn}
spec:
  validationActions: [Warn, Audit]
  namespaces: [{regex: "dev-.+"}]
  vm:
    maxVCPUs: 2
    maxMemory: 2Gi
  message: "{rule}: asked {requested}, limit {limit} ({policy}, {kind} {name} in {namespace})"
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec:
  excludedNamespaces: {presets: [upstream], names: [team-unmutated]}
)yaml";

policy_snapshot policies() {
  static const policy_snapshot loaded = load_test_policies("vm-chain.yaml", policies_yaml);
  return loaded;
}

// The fixture's digests, at a fixed time.
const peergate::evaluation_context& digests() {
  static const peergate::testing::table_digest_provider provider = fixture_digests();
  static const peergate::evaluation_context context{provider, peergate::testing::fixed_now};
  return context;
}

// A pod whose containers sum to `cpu` and `memory` (what the mutation writes as default_vcpus
// and default_memory), with optional VM annotations. Requests equal limits, as the apiserver
// defaults them before any webhook sees a pod.
json::value pod(const std::string& cpu, const std::string& memory, json::object annotations = {}) {
  json::value p = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"train"},
    "spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","image":"x","resources":{}}]}})");
  json::object& resources = p.at("spec").at("containers").at(0).at("resources").as_object();
  resources["limits"] = {{"cpu", cpu}, {"memory", memory}};
  resources["requests"] = resources["limits"];
  if (!annotations.empty()) p.at("metadata").as_object()["annotations"] = std::move(annotations);
  return p;
}

// A template with limits only: templates are not defaulted, the pods they create are (requests
// from limits), so it is sized by its limits.
json::value deployment(const std::string& cpu, int replicas = 1) {
  json::value d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"replicas":1,"template":{"metadata":{},"spec":{"runtimeClassName":"kata-remote",
      "containers":[{"name":"c","image":"x","resources":{}}]}}}})");
  d.at("spec").as_object()["replicas"] = replicas;
  d.at("spec").at("template").at("spec").at("containers").at(0).at("resources").as_object()["limits"] = {
      {"cpu", cpu}, {"memory", "1Gi"}};
  return d;
}

admission_request request_for(json::value object, std::string ns, operation op = operation::create) {
  admission_request r;
  r.uid = "u1";
  r.kind = kind_of_object(object.at("apiVersion").as_string(), object.at("kind").as_string());
  r.namespace_name = std::move(ns);
  r.op = op;
  r.user = {"alice", {"system:authenticated"}};
  r.object = std::move(object);
  return r;
}

admission_request update_of(json::value before, json::value after, std::string ns) {
  admission_request r = request_for(std::move(after), std::move(ns), operation::update);
  r.old_object = std::move(before);
  return r;
}

}  // namespace

TEST_CASE("vm chain: the sizes the mutation writes are the ones checked, with one finding per rule") {
  const decision d = run_admit(request_for(pod("8", "4Gi"), "team-a"), *policies(), digests());
  CHECK_FALSE(d.allowed);
  CHECK(d.code == 403);
  CHECK(d.message ==
        "[team-vm-limits] Pod \"train\" asks for a VM with 8 vCPUs in namespace \"team-a\"; at most 4 allowed");
  CHECK(d.patch.empty());  // a denial carries no patch
  CHECK(results_of(d, "team-vm-limits") == "instance-type=pass vcpus=violation memory=pass gpus=pass image=pass");

  const decision within = run_admit(request_for(pod("4", "16Gi"), "team-a"), *policies(), digests());
  CHECK(within.allowed);
  CHECK_FALSE(within.patch.empty());
  CHECK(results_of(within, "team-vm-limits") == "instance-type=pass vcpus=pass memory=pass gpus=pass image=pass");
}

TEST_CASE("vm chain: validate reads the annotations of a pod another webhook mutated") {
  json::object annotations{{"io.katacontainers.config.hypervisor.default_vcpus", "4"},
                           {"io.katacontainers.config.hypervisor.default_memory", "32768"}};
  const decision d = run_validate(request_for(pod("1", "1Gi", annotations), "team-a"), *policies(), digests());
  CHECK_FALSE(d.allowed);
  CHECK(d.message == "[team-vm-limits] Pod \"train\" asks for a VM with 32Gi of memory in namespace \"team-a\"; "
                     "at most 16Gi allowed");
}

TEST_CASE("vm chain: machine_type and sizes are both checked, [] forbids an image override") {
  json::object annotations{{"io.katacontainers.config.hypervisor.machine_type", "Standard_NC24ads_A100_v4"},
                           {"io.katacontainers.config.hypervisor.image", "my-image"},
                           {"io.katacontainers.config.hypervisor.default_gpus", "1"}};
  const decision d = run_admit(request_for(pod("8", "1Gi", annotations), "team-a"), *policies(), digests());
  CHECK_FALSE(d.allowed);
  CHECK(results_of(d, "team-vm-limits") ==
        "instance-type=violation vcpus=violation memory=pass gpus=violation image=violation");
  CHECK(d.message.find("asks for a VM of instance type \"Standard_NC24ads_A100_v4\" in namespace \"team-a\"; "
                       "allowed: Standard_DC2as_v5, Standard_DC*as_v5") != std::string::npos);
  CHECK(d.message.find("with image \"my-image\" in namespace \"team-a\"; no image override allowed") !=
        std::string::npos);

  json::object allowed_type{{"io.katacontainers.config.hypervisor.machine_type", "Standard_DC4as_v5"}};
  CHECK(run_admit(request_for(pod("2", "1Gi", allowed_type), "team-a"), *policies(), digests()).allowed);
}

TEST_CASE("vm chain: a bad value is a violation with its reason, never a pass") {
  for (const char* value : {"two", "-1", "+4", " 4", "1.5", "", "99999999999"}) {
    INFO(value);
    json::object annotations{{"io.katacontainers.config.hypervisor.default_vcpus", value}};
    // Excluded from the mutation, so the annotation stays as written.
    const decision d =
        run_validate(request_for(pod("1", "1Gi", annotations), "team-unmutated"), *policies(), digests());
    CHECK_FALSE(d.allowed);
    CHECK(d.message.find("asks for a VM with an invalid default_vcpus") != std::string::npos);
  }
}

TEST_CASE("vm chain: a VM policy applies only in its namespaces and not to exempt users") {
  const decision elsewhere = run_admit(request_for(pod("64", "1Gi"), "prod"), *policies(), digests());
  CHECK(elsewhere.allowed);
  CHECK(results_of(elsewhere, "team-vm-limits").empty());

  admission_request admin = request_for(pod("64", "1Gi"), "team-a");
  admin.user.groups.push_back("platform-admins");
  const decision exempt = run_admit(admin, *policies(), digests());
  CHECK(exempt.allowed);
  CHECK(results_of(exempt, "team-vm-limits") == "instance-type=skip vcpus=skip memory=skip gpus=skip image=skip");
}

TEST_CASE("vm chain: Warn and Audit give one warning per rule and one audit annotation per policy") {
  const decision d = run_admit(request_for(pod("3", "3Gi"), "dev-x"), *policies(), digests());
  CHECK(d.allowed);
  REQUIRE(d.warnings.size() == 2);
  CHECK(d.warnings[0] == "[dev-warn] vcpus: asked 3, limit 2 (dev-warn, Pod train in dev-x)");
  CHECK(d.warnings[1] == "[dev-warn] memory: asked 3Gi, limit 2Gi (dev-warn, Pod train in dev-x)");
  REQUIRE(d.audit_annotations.size() == 1);
  CHECK(d.audit_annotations[0].first == "dev-warn");
  CHECK(d.audit_annotations[0].second ==
        "vcpus: asked 3, limit 2 (dev-warn, Pod train in dev-x); memory: asked 3Gi, limit 2Gi (dev-warn, Pod "
        "train in dev-x)");
}

TEST_CASE("vm chain: a template is checked as the pods it creates") {
  const decision big = run_admit(request_for(deployment("6"), "team-a"), *policies(), digests());
  CHECK_FALSE(big.allowed);
  CHECK(big.message ==
        "[team-vm-limits] Deployment \"web\" asks for a VM with 6 vCPUs in namespace \"team-a\"; at most 4 allowed");
  CHECK(run_admit(request_for(deployment("4"), "team-a"), *policies(), digests()).allowed);
  // Where the mutation does not run, its sizes are not written: only the template's annotations count.
  CHECK(run_admit(request_for(deployment("6"), "team-unmutated"), *policies(), digests()).allowed);
}

TEST_CASE("vm chain: an UPDATE is checked only for what it raises or changes") {
  // The limit was lowered after this Deployment was admitted: scaling it must still work.
  const decision scaled =
      run_admit(update_of(deployment("6", 1), deployment("6", 5), "team-a"), *policies(), digests());
  CHECK(scaled.allowed);
  CHECK(results_of(scaled, "team-vm-limits").empty());
  // Lowering is never blocked either.
  CHECK(run_admit(update_of(deployment("8"), deployment("6"), "team-a"), *policies(), digests()).allowed);
  // Raising is checked, and only the raised rule.
  const decision raised = run_admit(update_of(deployment("4"), deployment("6"), "team-a"), *policies(), digests());
  CHECK_FALSE(raised.allowed);
  CHECK(results_of(raised, "team-vm-limits") == "vcpus=violation");
  // Becoming a peer pod is a new VM: every rule.
  json::value runc = deployment("6");
  runc.at("spec").at("template").at("spec").as_object().erase("runtimeClassName");
  const decision introduced = run_admit(update_of(runc, deployment("6"), "team-a"), *policies(), digests());
  CHECK_FALSE(introduced.allowed);
  CHECK(results_of(introduced, "team-vm-limits") ==
        "instance-type=pass vcpus=violation memory=pass gpus=pass image=pass");
}

TEST_CASE("vm chain: a runtime class named only by a VM policy is still evaluated") {
  const auto loaded = load_test_policies("only-vm.yaml", R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: gpu-limits}
spec:
  runtimeClassNames: [kata-remote-gpu]
  vm: {maxGPUs: 1}
)yaml");
  json::object annotations{{"io.katacontainers.config.hypervisor.default_gpus", "2"}};
  json::value p = pod("1", "1Gi", annotations);
  p.at("spec").as_object()["runtimeClassName"] = "kata-remote-gpu";
  const decision d = run_admit(request_for(p, "anywhere"), *loaded, digests());
  CHECK_FALSE(d.allowed);
  CHECK(d.message ==
        "[gpu-limits] Pod \"train\" asks for a VM with 2 GPUs in namespace \"anywhere\"; at most 1 allowed");
}

TEST_CASE("vm chain: initdata is decoded, digested and compared with the allowed list") {
  const std::string sha256 = peergate::testing::coreutils_digest("initdata.toml.sha256");
  const auto loaded = load_test_policies("initdata.yaml", R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: initdata-allowlist}
spec:
  vm:
    initData: {digests: ["sha256:)yaml" + sha256 + R"yaml("]}
)yaml");
  auto with_initdata = [](const std::string& fixture) {
    std::string b64 = read_initdata_fixture(fixture);
    while (!b64.empty() && b64.back() == '\n') b64.pop_back();
    return pod("1", "1Gi", {{"io.katacontainers.config.hypervisor.cc_init_data", b64}});
  };
  CHECK(run_admit(request_for(with_initdata("initdata.b64"), "team-a"), *loaded, digests()).allowed);
  const decision truncated = run_admit(request_for(with_initdata("truncated.b64"), "team-a"), *loaded, digests());
  CHECK_FALSE(truncated.allowed);
  CHECK(truncated.message.find("asks for a VM with an invalid cc_init_data in namespace \"team-a\"") !=
        std::string::npos);
  const decision not_gzip = run_admit(request_for(with_initdata("not-gzip.b64"), "team-a"), *loaded, digests());
  CHECK_FALSE(not_gzip.allowed);
}
