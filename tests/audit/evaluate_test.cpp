#include "audit/evaluate.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "engine/policy/loader.hpp"
#include "tests/support/policies.hpp"
#include "tests/support/vm_fixtures.hpp"

using namespace peergate;
using namespace peergate::audit;
namespace json = boost::json;

using peergate::testing::load_test_policies;
using peergate::testing::no_digests;

namespace {

const char* policies_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: enforced}
spec:
  validationActions: [Deny]
  allowedNamespaces: [peer-pods, "team-*"]
  exemptions: {usernames: ["system:serviceaccount:*", "admin"], groups: [system:masters, "system:authenticated"]}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: rollout}
spec:
  validationActions: [Warn, Audit]
  allowedNamespaces: [peer-pods]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: other-class}
spec:
  runtimeClassNames: [kata-qemu]
  allowedNamespaces: [nowhere]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec:
  excludedNamespaces: {names: [kube-system]}
  unaccountedPeerPods: Warn
)yaml";

const policy_set& policies() {
  static const policy_snapshot loaded = load_test_policies("audit.yaml", policies_yaml);
  return *loaded;
}

json::value pod(const std::string& ns, const char* runtime_class = "kata-remote", bool counted = false) {
  json::value p = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},
    "spec":{"containers":[{"name":"c","image":"nginx"}]}})");
  if (!ns.empty()) p.at("metadata").as_object()["namespace"] = ns;
  if (runtime_class) p.at("spec").as_object()["runtimeClassName"] = runtime_class;
  if (counted)
    p.at("spec").at("containers").as_array()[0].as_object()["resources"] =
        json::parse(R"({"limits":{"kata.peerpods.io/vm":"1"}})");
  return p;
}

json::value deployment(const std::string& ns) {
  return json::parse(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":")" + ns +
      R"(","uid":"u-1","ownerReferences":[{"kind":"Other","name":"o"},{"kind":"Owner","name":"boss","uid":"u-0","controller":true}]},
    "spec":{"template":{"spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","image":"x"}]}}}})");
}

// Columns: enforced, rollout, other-class, peer-pods (accounting).
const column_outcome& at(const object_evaluation& e, std::size_t column) { return e.outcomes.at(column); }

}  // namespace

TEST_CASE("columns: policies in load order, then one accounting column per mutation", "[audit][evaluate]") {
  auto columns = columns_for(policies());
  REQUIRE(columns.size() == 4);
  CHECK(columns[0].policy == "enforced");
  CHECK(columns[0].actions == action_deny);
  CHECK(columns[1].actions == (action_warn | action_audit));
  CHECK(columns[3].policy == "peer-pods");
  CHECK(columns[3].rule == "accounting");
  CHECK(columns[3].actions == action_warn);
}

TEST_CASE("a peer pod in an allowed namespace passes, elsewhere Deny fails and Warn/Audit warns", "[audit][evaluate]") {
  auto ok = evaluate_object(pod("peer-pods", "kata-remote", true), policies(), no_digests, "default");
  REQUIRE(ok.evaluated);
  CHECK(at(ok, 0).outcome == result::pass);
  CHECK(at(ok, 1).outcome == result::pass);
  CHECK(at(ok, 2).outcome == result::skip);  // another runtime class's policy
  CHECK_THAT(at(ok, 2).message, Catch::Contains("not governed by this policy"));
  CHECK(at(ok, 3).outcome == result::pass);

  auto team = evaluate_object(pod("team-x", "kata-remote", true), policies(), no_digests, "default");
  CHECK(at(team, 0).outcome == result::pass);
  CHECK(at(team, 1).outcome == result::warn);
  CHECK(at(team, 1).actions == (action_warn | action_audit));

  auto bad = evaluate_object(pod("default", "kata-remote", true), policies(), no_digests, "default");
  CHECK(at(bad, 0).outcome == result::fail);
  CHECK(at(bad, 0).actions == action_deny);
  CHECK_THAT(at(bad, 0).message, Catch::Contains("not allowed in namespace \"default\""));
}

TEST_CASE("no exemption by user applies to what already runs", "[audit][evaluate]") {
  // The policy exempts service accounts, admin and system:authenticated: who created an
  // existing object is not known, so it is judged on its namespace alone.
  auto bad = evaluate_object(pod("default"), policies(), no_digests, "default");
  CHECK(at(bad, 0).outcome == result::fail);
}

TEST_CASE("a policy whose exemptions match every user is skipped, as admission never applies it", "[audit][evaluate]") {
  const policy_snapshot loaded = load_test_policies("all-exempt.yaml", R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: toothless}
spec:
  allowedNamespaces: [peer-pods]
  exemptions: {usernames: ["*"]}
)yaml");
  auto e = evaluate_object(pod("default"), *loaded, no_digests, "default");
  CHECK(e.outcomes.at(0).outcome == result::skip);
  CHECK_THAT(e.outcomes.at(0).message, Catch::Contains("match any user, even none"));
}

TEST_CASE("objects that are not peer pods are skipped for every column", "[audit][evaluate]") {
  auto runc = evaluate_object(pod("default", nullptr), policies(), no_digests, "default");
  REQUIRE(runc.evaluated);
  for (const auto& o : runc.outcomes) {
    CHECK(o.outcome == result::skip);
    CHECK(o.message == "not a peer pod: no runtimeClassName");
  }
  auto other = evaluate_object(pod("default", "gvisor"), policies(), no_digests, "default");
  CHECK(at(other, 0).outcome == result::skip);
  CHECK_THAT(at(other, 3).message, Catch::Contains("not governed by this mutation"));
}

TEST_CASE("accounting: excluded namespaces, and pods that were never mutated", "[audit][evaluate]") {
  auto system = evaluate_object(pod("kube-system"), policies(), no_digests, "default");
  CHECK(at(system, 3).outcome == result::warn);
  CHECK_THAT(at(system, 3).message, Catch::Contains("skips namespace \"kube-system\""));
  auto system_counted = evaluate_object(pod("kube-system", "kata-remote", true), policies(), no_digests, "default");
  CHECK(at(system_counted, 3).outcome == result::pass);

  // Outside the excluded namespaces admission mutates; a Pod without the resource was not.
  auto unmutated = evaluate_object(pod("peer-pods"), policies(), no_digests, "default");
  CHECK(at(unmutated, 3).outcome == result::warn);
  CHECK_THAT(at(unmutated, 3).message, Catch::Contains("its spec does not request it"));
  // A template is fine: its pods are mutated when they are made.
  auto d = evaluate_object(deployment("peer-pods"), policies(), no_digests, "default");
  CHECK(at(d, 3).outcome == result::pass);
}

TEST_CASE("objects that cannot be evaluated are errors with the reason", "[audit][evaluate]") {
  auto number = evaluate_object(json::value(42), policies(), no_digests, "default");
  REQUIRE(number.evaluated);
  REQUIRE(number.outcomes.size() == 4);
  CHECK(number.outcomes[0].outcome == result::error);
  CHECK(number.outcomes[0].message == "the item is a JSON number, not a Kubernetes object");

  auto no_kind = evaluate_object(json::parse(R"({"metadata":{"name":"x"}})"), policies(), no_digests, "default");
  CHECK(no_kind.outcomes[3].message == "the item has no apiVersion or kind");
  CHECK(no_kind.name == "x");

  auto bad_rc = evaluate_object(pod("default", nullptr), policies(), no_digests, "default");
  json::value p = pod("default");
  p.at("spec").as_object()["runtimeClassName"] = 7;
  auto invalid = evaluate_object(p, policies(), no_digests, "default");
  for (const auto& o : invalid.outcomes) {
    CHECK(o.outcome == result::error);
    CHECK(o.message == "spec.runtimeClassName must be a string");
  }
}

TEST_CASE("kinds without pods are not audited", "[audit][evaluate]") {
  auto svc = evaluate_object(json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}})"), policies(),
                             no_digests, "default");
  CHECK_FALSE(svc.evaluated);
  CHECK(svc.kind == "Service");
  CHECK(svc.outcomes.empty());
}

TEST_CASE("identity, the default namespace and the controller owner are read", "[audit][evaluate]") {
  auto e = evaluate_object(pod(""), policies(), no_digests, "fallback");
  CHECK(e.namespace_name == "fallback");
  CHECK(at(e, 0).outcome == result::fail);
  CHECK_THAT(at(e, 0).message, Catch::Contains("namespace \"fallback\""));

  auto d = evaluate_object(deployment("peer-pods"), policies(), no_digests, "default");
  CHECK(d.kind == "Deployment");
  CHECK(d.api_version == "apps/v1");
  CHECK(d.uid == "u-1");
  REQUIRE(d.owner);
  CHECK(d.owner->kind == "Owner");  // the controller, not the first reference
  CHECK(d.owner->uid == "u-0");

  json::value generated = pod("peer-pods", "kata-remote", true);
  generated.at("metadata").as_object().erase("name");
  generated.at("metadata").as_object()["generateName"] = "web-";
  auto g = evaluate_object(generated, policies(), no_digests, "default");
  CHECK(g.name == "web-");
  CHECK(g.generated_name);
  CHECK(at(g, 0).outcome == result::pass);
}

namespace {

const char* vm_policies_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: enforced}
spec:
  allowedNamespaces: ["team-*", kube-system]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: team-vm-limits}
spec:
  validationActions: [Deny]
  namespaces: ["team-*", kube-system]
  vm:
    maxMemory: 16Gi
    maxVCPUs: 4
    maxGPUs: 0
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: vm-images}
spec:
  validationActions: [Warn]
  vm:
    images: []
    instanceTypes: ["Standard_DC*as_v5"]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: other-class-vm}
spec:
  runtimeClassNames: [kata-qemu]
  vm: {maxVCPUs: 1}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec:
  excludedNamespaces: {names: [kube-system]}
)yaml";

const policy_set& vm_policies() {
  static const policy_snapshot loaded = load_test_policies("vm.yaml", vm_policies_yaml);
  return *loaded;
}

// The columns of vm_policies(), by label.
enum vm_column : std::size_t {
  enforced_ns,
  limits_vcpus,
  limits_memory,
  limits_gpus,
  images_instance_type,
  images_image,
  other_vcpus,
  accounting,
  vm_column_count
};

constexpr std::string_view hypervisor = "io.katacontainers.config.hypervisor.";

// A stored peer pod with these hypervisor annotations (names without the prefix).
json::value annotated_pod(const std::string& ns, std::initializer_list<std::pair<const char*, const char*>> annotations,
                          const char* runtime_class = "kata-remote") {
  json::value p = pod(ns, runtime_class, true);
  json::object a;
  for (const auto& [key, value] : annotations) a[std::string(hypervisor) + key] = value;
  p.at("metadata").as_object()["annotations"] = std::move(a);
  return p;
}

// A Deployment whose containers ask for `cpu` and `memory`, and one GPU.
json::value sized_deployment(const std::string& ns, const char* cpu, const char* memory) {
  json::value d = deployment(ns);
  d.at("spec").at("template").at("spec").at("containers").as_array()[0].as_object()["resources"] =
      json::object{{"requests", json::object{{"cpu", cpu}, {"memory", memory}, {"nvidia.com/gpu", "1"}}},
                   {"limits", json::object{{"nvidia.com/gpu", "1"}}}};
  return d;
}

}  // namespace

TEST_CASE("a VM policy has one column per limit it sets, between the namespace policies and accounting",
          "[audit][evaluate][vm]") {
  const auto columns = columns_for(vm_policies());
  REQUIRE(columns.size() == vm_column_count);
  std::vector<std::pair<std::string, std::string>> named;
  for (const auto& c : columns) named.emplace_back(c.policy, c.rule);
  // Rule order, not the order the limits are written in (maxMemory came first).
  CHECK(named == std::vector<std::pair<std::string, std::string>>{{"enforced", "allowed-namespaces"},
                                                                  {"team-vm-limits", "vcpus"},
                                                                  {"team-vm-limits", "memory"},
                                                                  {"team-vm-limits", "gpus"},
                                                                  {"vm-images", "instance-type"},
                                                                  {"vm-images", "image"},
                                                                  {"other-class-vm", "vcpus"},
                                                                  {"peer-pods", "accounting"}});
  CHECK(columns[limits_gpus].actions == action_deny);
  CHECK(columns[images_image].actions == action_warn);
  // Every evaluation has as many outcomes as there are columns, also when it is an error.
  CHECK(evaluate_object(json::value(1), vm_policies(), no_digests, "default").outcomes.size() == vm_column_count);
  CHECK(evaluate_object(pod("team-a"), vm_policies(), no_digests, "default").outcomes.size() == vm_column_count);
}

TEST_CASE("each limit of a VM policy is its own result: Deny fails, Warn warns, passes say what was asked",
          "[audit][evaluate][vm]") {
  const auto e = evaluate_object(annotated_pod("team-a", {{"default_vcpus", "8"},
                                                          {"default_memory", "4096"},
                                                          {"machine_type", "Standard_DC8as_v5"},
                                                          {"image", "my-image"}}),
                                 vm_policies(), no_digests, "default");
  REQUIRE(e.outcomes.size() == vm_column_count);
  CHECK(at(e, enforced_ns).outcome == result::pass);

  CHECK(at(e, limits_vcpus).outcome == result::fail);
  CHECK(at(e, limits_vcpus).actions == action_deny);
  CHECK(at(e, limits_vcpus).message ==
        "Pod \"web\" asks for a VM with 8 vCPUs in namespace \"team-a\"; at most 4 allowed");
  CHECK(at(e, limits_memory).outcome == result::pass);
  CHECK(at(e, limits_memory).message == "asks for 4096 MiB of memory; at most 16Gi allowed");
  CHECK(at(e, limits_gpus).outcome == result::pass);
  CHECK(at(e, limits_gpus).message == "no default_gpus: no size asked");

  CHECK(at(e, images_instance_type).outcome == result::pass);
  CHECK(at(e, images_instance_type).message ==
        "asks for instance type \"Standard_DC8as_v5\"; allowed: Standard_DC*as_v5");
  CHECK(at(e, images_image).outcome == result::warn);
  CHECK(at(e, images_image).actions == action_warn);
  CHECK_THAT(at(e, images_image).message,
             Catch::Contains("image \"my-image\"") && Catch::Contains("no image override"));

  CHECK(at(e, other_vcpus).outcome == result::skip);
  CHECK(at(e, other_vcpus).message == "runtimeClassName \"kata-remote\" is not governed by this VM policy");
}

TEST_CASE("a VM policy skips namespaces it does not cover, and objects that are not its peer pods",
          "[audit][evaluate][vm]") {
  // enforced denies it there, but the VM policy does not cover peer-pods.
  const auto elsewhere =
      evaluate_object(annotated_pod("peer-pods", {{"default_vcpus", "64"}}), vm_policies(), no_digests, "default");
  CHECK(at(elsewhere, enforced_ns).outcome == result::fail);
  for (vm_column c : {limits_vcpus, limits_memory, limits_gpus}) {
    CHECK(at(elsewhere, c).outcome == result::skip);
    CHECK(at(elsewhere, c).message == "namespace \"peer-pods\" is not covered by this VM policy");
  }
  CHECK(at(elsewhere, images_image).outcome == result::pass);  // no namespaces: every one
  CHECK(at(elsewhere, images_image).message == "no image override");

  const auto runc = evaluate_object(pod("team-a", nullptr), vm_policies(), no_digests, "default");
  for (vm_column c : {limits_vcpus, images_instance_type, other_vcpus}) {
    CHECK(at(runc, c).outcome == result::skip);
    CHECK(at(runc, c).message == "not a peer pod: no runtimeClassName");
  }
  CHECK_FALSE(runc.vm.peer_pod);

  const auto qemu =
      evaluate_object(annotated_pod("team-a", {{"default_vcpus", "2"}}, "kata-qemu"), vm_policies(), no_digests, "x");
  CHECK(at(qemu, other_vcpus).outcome == result::fail);
  CHECK(at(qemu, limits_vcpus).message == "runtimeClassName \"kata-qemu\" is not governed by this VM policy");
  CHECK(qemu.vm.peer_pod);  // a runtime class a policy names is a peer pod's
}

TEST_CASE("a VM policy whose exemptions match every user is skipped per limit", "[audit][evaluate][vm]") {
  const policy_snapshot loaded = load_test_policies("all-exempt-vm.yaml", R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: toothless}
spec:
  exemptions: {usernames: ["*"]}
  vm: {maxVCPUs: 1, maxGPUs: 0}
)yaml");
  const auto e = evaluate_object(annotated_pod("team-a", {{"default_vcpus", "8"}}), *loaded, no_digests, "default");
  REQUIRE(e.outcomes.size() == 3);  // vcpus, gpus, accounting
  for (std::size_t c : {0, 1}) {
    CHECK(e.outcomes[c].outcome == result::skip);
    CHECK_THAT(e.outcomes[c].message, Catch::Contains("match any user, even none"));
  }
}

TEST_CASE("a bad size annotation is a violation of its limit, and counts as no size", "[audit][evaluate][vm]") {
  const auto e = evaluate_object(annotated_pod("team-a", {{"default_vcpus", "two"}, {"default_memory", "2048"}}),
                                 vm_policies(), no_digests, "default");
  CHECK(at(e, limits_vcpus).outcome == result::fail);
  CHECK_THAT(at(e, limits_vcpus).message, Catch::Contains("an invalid default_vcpus \"two\""));
  CHECK(e.vm.peer_pod);
  CHECK(e.vm.sized);
  CHECK(e.vm.vcpus == 0);
  CHECK(e.vm.memory_mib == 2048);
}

TEST_CASE("a template is checked and sized as the mutation will size its pods", "[audit][evaluate][vm]") {
  // 4500m rounds up to 5 vCPUs; 1.5Gi is 1536 MiB; the GPU request counts.
  const auto d = evaluate_object(sized_deployment("team-a", "4500m", "1.5Gi"), vm_policies(), no_digests, "default");
  CHECK(at(d, limits_vcpus).outcome == result::fail);
  CHECK(at(d, limits_vcpus).message ==
        "Deployment \"d\" asks for a VM with 5 vCPUs in namespace \"team-a\"; at most 4 allowed");
  CHECK(at(d, limits_memory).message == "asks for 1536 MiB of memory; at most 16Gi allowed");
  CHECK(at(d, limits_gpus).outcome == result::fail);
  CHECK(d.vm.peer_pod);
  CHECK(d.vm.sized);
  CHECK(d.vm.vcpus == 5);
  CHECK(d.vm.memory_mib == 1536);
  CHECK(d.vm.gpus == 1);

  // The mutation skips kube-system: its pods keep the template's annotations, here none.
  const auto system = evaluate_object(sized_deployment("kube-system", "8", "64Gi"), vm_policies(), no_digests, "x");
  CHECK(at(system, limits_vcpus).outcome == result::pass);
  CHECK(at(system, limits_vcpus).message == "no default_vcpus: no size asked");
  CHECK(system.vm.peer_pod);
  CHECK_FALSE(system.vm.sized);
}

TEST_CASE("a stored pod is sized by its own annotations, not by its resources", "[audit][evaluate][vm]") {
  // What admission wrote is what the adaptor reads; a pod admitted without the mutation has
  // resources but no sizes.
  json::value p = annotated_pod("team-a", {{"default_vcpus", "2"}, {"default_gpus", "0"}});
  p.at("spec").at("containers").as_array()[0].as_object()["resources"] =
      json::parse(R"({"requests":{"cpu":"16","memory":"64Gi"}})");
  const auto e = evaluate_object(p, vm_policies(), no_digests, "default");
  CHECK(at(e, limits_vcpus).outcome == result::pass);
  CHECK(at(e, limits_vcpus).message == "asks for 2 vCPUs; at most 4 allowed");
  CHECK(at(e, limits_gpus).message == "asks for 0 GPUs; at most 0 allowed");
  CHECK(e.vm.vcpus == 2);
  CHECK(e.vm.memory_mib == 0);
  CHECK(e.vm.sized);
}
