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

namespace {

// No case has initdata: nothing is ever digested.
const peergate::testing::table_digest_provider no_digests;

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

TEST_CASE("a peer pod in an allowed namespace passes; elsewhere Deny fails and Warn/Audit warns", "[audit][evaluate]") {
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
