#include "engine/chain.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "engine/json_patch.hpp"
#include "engine/policy/loader.hpp"
#include "tests/support/policies.hpp"
#include "tests/support/vm_fixtures.hpp"

using namespace peergate;
namespace json = boost::json;

using peergate::testing::load_test_policies;
using peergate::testing::no_digests;

namespace {

const char* policies_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: deny-elsewhere}
spec:
  allowedNamespaces: [peer-pods, "team-*", {regex: "ml-[0-9]+"}]
  exemptions: {usernames: ["system:serviceaccount:ci:*"], groups: [system:masters]}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: warn-audit}
spec:
  validationActions: [Warn, Audit]
  allowedNamespaces: [peer-pods]
  message: "{kind} {name}: {runtimeClassName} not in {namespace} ({policy})"
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec: {}
)yaml";

policy_snapshot policies() {
  static const policy_snapshot loaded = load_test_policies("chain.yaml", policies_yaml);
  return loaded;
}

json::value pod(const std::string& ns, const char* runtime_class = "kata-remote") {
  json::value p = json::parse(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"web"},
    "spec":{"containers":[{"name":"c","image":"nginx",
      "resources":{"requests":{"cpu":"2","memory":"4Gi"},"limits":{"cpu":"3","memory":"5Gi"}}}],
      "overhead":{"cpu":"250m","memory":"120Mi"}}})");
  p.at("metadata").as_object()["namespace"] = ns;
  if (runtime_class) p.at("spec").as_object()["runtimeClassName"] = runtime_class;
  return p;
}

admission_request request_for(json::value object, std::string ns, operation op = operation::create) {
  admission_request r;
  r.uid = "u1";
  r.kind = peergate::kind_of_object(object.at("apiVersion").as_string(), object.at("kind").as_string());
  r.namespace_name = std::move(ns);
  r.op = op;
  r.user = {"alice", {"system:authenticated"}};
  r.object = std::move(object);
  return r;
}

json::value workload(const std::string& kind, const std::string& api) {
  json::value pod_template = json::parse(
      R"({"metadata":{},"spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","image":"x"}]}})");
  json::object obj{{"apiVersion", api}, {"kind", kind}, {"metadata", {{"name", "w"}}}};
  if (kind == "CronJob")
    obj["spec"] = {{"schedule", "* * * * *"}, {"jobTemplate", {{"spec", {{"template", pod_template}}}}}};
  else obj["spec"] = {{"template", pod_template}};
  return obj;
}

}  // namespace

TEST_CASE("a peer pod in an allowed namespace passes and is mutated by admit") {
  auto d = run_admit(request_for(pod("peer-pods"), "peer-pods"), *policies(), no_digests);
  CHECK(d.allowed);
  CHECK(d.warnings.empty());
  REQUIRE_FALSE(d.patch.empty());
  json::value after = pod("peer-pods");
  std::string error;
  REQUIRE(json_patch::apply(after, d.patch.operations(), &error));
  CHECK(after.at("metadata").at("annotations").at("io.katacontainers.config.hypervisor.default_vcpus") == "3");
  CHECK(after.at("spec").at("containers").at(0).at("resources") ==
        json::parse(R"({"requests":{"kata.peerpods.io/vm":"1"},"limits":{"kata.peerpods.io/vm":"1"}})"));
  CHECK(after.at("spec").at("overhead") == pod("x").at("spec").at("overhead"));
}

TEST_CASE("globs and regexes allow their namespaces") {
  CHECK(run_validate(request_for(pod("team-a"), "team-a"), *policies(), no_digests).allowed);
  CHECK(run_validate(request_for(pod("ml-42"), "ml-42"), *policies(), no_digests).allowed);
  CHECK_FALSE(run_validate(request_for(pod("ml-x"), "ml-x"), *policies(), no_digests).allowed);
}

TEST_CASE("a peer pod elsewhere is denied (403) with every denying policy's message, plus warn and audit") {
  auto d = run_admit(request_for(pod("default"), "default"), *policies(), no_digests);
  CHECK_FALSE(d.allowed);
  CHECK(d.code == 403);
  CHECK(d.patch.empty());
  CHECK_THAT(d.message, Catch::StartsWith("[deny-elsewhere] Pod \"web\" uses runtimeClassName \"kata-remote\", which "
                                          "is not allowed in namespace \"default\""));
  CHECK_THAT(d.message, Catch::Contains("allowed: peer-pods, team-*, /ml-[0-9]+/"));
  REQUIRE(d.warnings.size() == 1);
  CHECK(d.warnings[0] == "[warn-audit] Pod web: kata-remote not in default (warn-audit)");
  REQUIRE(d.audit_annotations.size() == 1);
  CHECK(d.audit_annotations[0].first == "warn-audit");
  CHECK(d.audit_annotations[0].second == "Pod web: kata-remote not in default (warn-audit)");
}

TEST_CASE("pods without the runtime class, and other runtime classes, are untouched") {
  for (const char* rc : {static_cast<const char*>(nullptr), "runc", "kata"}) {
    auto d = run_admit(request_for(pod("default", rc), "default"), *policies(), no_digests);
    CHECK(d.allowed);
    CHECK(d.patch.empty());
    CHECK(d.warnings.empty());
  }
}

TEST_CASE("exempt users and groups skip the policy, with glob usernames") {
  auto r = request_for(pod("default"), "default");
  r.user = {"system:serviceaccount:ci:deployer", {}};
  auto d = run_validate(r, *policies(), no_digests);
  CHECK(d.allowed);  // exempt from deny-elsewhere, still warned by warn-audit
  CHECK(d.warnings.size() == 1);
  r.user = {"bob", {"system:authenticated", "system:masters"}};
  CHECK(run_validate(r, *policies(), no_digests).allowed);
}

TEST_CASE("pod templates of every workload kind are evaluated") {
  const std::pair<const char*, const char*> kinds[] = {{"Deployment", "apps/v1"},  {"ReplicaSet", "apps/v1"},
                                                       {"StatefulSet", "apps/v1"}, {"DaemonSet", "apps/v1"},
                                                       {"Job", "batch/v1"},        {"CronJob", "batch/v1"}};
  for (auto [kind, api] : kinds) {
    INFO(kind);
    auto denied = run_admit(request_for(workload(kind, api), "default"), *policies(), no_digests);
    CHECK_FALSE(denied.allowed);
    CHECK_THAT(denied.message, Catch::Contains(std::string(kind) + " \"w\""));
    auto allowed = run_admit(request_for(workload(kind, api), "team-x"), *policies(), no_digests);
    CHECK(allowed.allowed);
    CHECK(allowed.patch.empty());  // workloads are validated, never mutated
  }
}

TEST_CASE("other kinds, DELETE, CONNECT and subresources are allowed untouched") {
  json::value cm = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})");
  CHECK(run_admit(request_for(cm, "default"), *policies(), no_digests).findings.empty());
  for (operation op : {operation::remove, operation::connect}) {
    auto d = run_admit(request_for(pod("default"), "default", op), *policies(), no_digests);
    CHECK(d.allowed);
    CHECK(d.patch.empty());
  }
  auto status = request_for(pod("default"), "default", operation::update);
  status.sub_resource = "status";
  CHECK(run_admit(status, *policies(), no_digests).allowed);
}

TEST_CASE("UPDATE: introducing the runtime class is checked, keeping it is not") {
  auto introduce = request_for(workload("Deployment", "apps/v1"), "default", operation::update);
  introduce.old_object = workload("Deployment", "apps/v1");
  introduce.old_object.at("spec").at("template").at("spec").as_object().erase("runtimeClassName");
  CHECK_FALSE(run_admit(introduce, *policies(), no_digests).allowed);

  auto keep = request_for(workload("Deployment", "apps/v1"), "default", operation::update);
  keep.old_object = workload("Deployment", "apps/v1");
  auto d = run_admit(keep, *policies(), no_digests);
  CHECK(d.allowed);
  CHECK(d.warnings.empty());

  auto no_old = request_for(workload("Deployment", "apps/v1"), "default", operation::update);
  CHECK_FALSE(run_admit(no_old, *policies(), no_digests).allowed);
}

TEST_CASE("UPDATE of a pod is never mutated") {
  auto r = request_for(pod("peer-pods"), "peer-pods", operation::update);
  CHECK(run_mutate(r, *policies()).patch.empty());
}

TEST_CASE("the namespace comes from the request, else the object, a mismatch is refused") {
  auto from_object = request_for(pod("default"), "");
  CHECK_FALSE(run_validate(from_object, *policies(), no_digests).allowed);
  CHECK(run_validate(request_for(pod("peer-pods"), ""), *policies(), no_digests).allowed);
  auto mismatch = request_for(pod("peer-pods"), "default");
  auto d = run_validate(mismatch, *policies(), no_digests);
  CHECK_FALSE(d.allowed);
  CHECK(d.code == 400);
  CHECK_THAT(d.message, Catch::Contains("differs"));
  json::value no_ns = pod("x");
  no_ns.at("metadata").as_object().erase("namespace");
  auto none = run_validate(request_for(no_ns, ""), *policies(), no_digests);
  CHECK_FALSE(none.allowed);
  CHECK(none.code == 400);
}

TEST_CASE("accounting: a peer pod in an excluded namespace without the extended resource is warned") {
  auto r = request_for(pod("kube-system"), "kube-system");
  r.user.groups.push_back("system:masters");  // exempt from the namespace policies
  auto d = run_admit(r, *policies(), no_digests);
  CHECK(d.allowed);
  CHECK(d.patch.empty());  // the mutation skips excluded namespaces
  REQUIRE(d.warnings.size() == 2);
  CHECK_THAT(d.warnings[1], Catch::StartsWith("[peer-pods] peer pod not counted against kata.peerpods.io/vm"));
  CHECK_THAT(d.warnings[1], Catch::Contains("\"kube-system\""));

  json::value counted = pod("kube-system");
  counted.at("spec").at("containers").at(0).at("resources").at("limits").as_object()["kata.peerpods.io/vm"] = "1";
  auto ok = run_admit(request_for(counted, "kube-system"), *policies(), no_digests);
  for (const auto& w : ok.warnings) CHECK_THAT(w, !Catch::Contains("not counted"));
}

TEST_CASE("accounting action follows unaccountedPeerPods") {
  auto load_with = [](const std::string& action) {
    return load_test_policies("m.yaml", "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodMutation\n"
                                        "metadata: {name: m}\nspec: {unaccountedPeerPods: " +
                                            action + "}\n");
  };
  auto req = request_for(pod("kube-system"), "kube-system");
  auto deny = run_admit(req, *load_with("Deny"), no_digests);
  CHECK_FALSE(deny.allowed);
  CHECK_THAT(deny.message, Catch::StartsWith("[m] peer pod not counted"));
  auto audit = run_admit(req, *load_with("Audit"), no_digests);
  CHECK(audit.allowed);
  CHECK(audit.warnings.empty());
  CHECK(audit.audit_annotations.size() == 1);
  auto ignore = run_admit(req, *load_with("Ignore"), no_digests);
  CHECK(ignore.warnings.empty());
  CHECK(ignore.audit_annotations.empty());
}

TEST_CASE("a peer pod that cannot be mutated is refused with a clear message, not a crash") {
  json::value empty = pod("peer-pods");
  empty.at("spec").as_object()["containers"] = json::array{};
  auto d = run_admit(request_for(empty, "peer-pods"), *policies(), no_digests);
  CHECK_FALSE(d.allowed);
  CHECK(d.code == 400);
  CHECK_THAT(d.message, Catch::Contains("container"));

  json::value bad = pod("peer-pods");
  bad.at("spec").at("containers").at(0).at("resources").at("limits").as_object()["cpu"] = "2x";
  auto d2 = run_admit(request_for(bad, "peer-pods"), *policies(), no_digests);
  CHECK_FALSE(d2.allowed);
  CHECK_THAT(d2.message, Catch::Contains("2x"));
}

TEST_CASE("mutating the admitted result again changes nothing (reinvocationPolicy IfNeeded)") {
  json::value p = pod("peer-pods");
  auto first = run_mutate(request_for(p, "peer-pods"), *policies());
  std::string error;
  REQUIRE(json_patch::apply(p, first.patch.operations(), &error));
  auto second = run_mutate(request_for(p, "peer-pods"), *policies());
  CHECK(second.patch.empty());
}

TEST_CASE("warnings are one line, at most 256 characters, without duplicates") {
  std::string many;
  for (int i = 0; i < 40; ++i) many += "ns-" + std::to_string(i) + ", ";
  const policy_snapshot policies =
      load_test_policies("w.yaml", "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\n"
                                   "metadata: {name: w}\nspec:\n  validationActions: [Warn]\n"
                                   "  message: \"line one\\nline two {name} " +
                                       std::string(300, 'x') +
                                       "\"\n"
                                       "  allowedNamespaces: [" +
                                       many + "last]\n");
  auto d = run_validate(request_for(pod("default"), "default"), *policies, no_digests);
  REQUIRE(d.warnings.size() == 1);
  CHECK(d.warnings[0].find('\n') == std::string::npos);
  CHECK_THAT(d.warnings[0], Catch::StartsWith("[w] line one line two web"));
  std::size_t chars = 0;
  for (unsigned char c : d.warnings[0]) chars += (c & 0xC0) != 0x80;
  CHECK(chars == 256);
}

TEST_CASE("a namespace mismatch only matters for peer pods") {
  auto ordinary = request_for(pod("other", nullptr), "default");
  CHECK(run_admit(ordinary, *policies(), no_digests).allowed);
  auto peer = request_for(pod("other"), "default");
  auto d = run_admit(peer, *policies(), no_digests);
  CHECK_FALSE(d.allowed);
  CHECK(d.code == 400);
}
