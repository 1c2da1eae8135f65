#include "audit/object_auditor.hpp"

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
metadata: {name: allowed}
spec:
  allowedNamespaces: [peer-pods]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec:
  unaccountedPeerPods: Ignore
)yaml";

policy_snapshot policies() {
  static const policy_snapshot loaded = load_test_policies("audit.yaml", policies_yaml);
  return loaded;
}

struct ref {
  std::string kind, name, uid;
};

json::value object(const std::string& api, const std::string& kind, const std::string& ns, const std::string& name,
                   const std::string& uid, std::optional<ref> owner = std::nullopt, bool peer = true) {
  json::object spec;
  json::object pod_spec{{"containers", json::array{json::object{{"name", "c"}, {"image", "x"}}}}};
  if (peer) pod_spec["runtimeClassName"] = "kata-remote";
  if (kind == "Pod") spec = std::move(pod_spec);
  else if (kind == "CronJob") spec["jobTemplate"] = {{"spec", {{"template", {{"spec", std::move(pod_spec)}}}}}};
  else spec["template"] = {{"spec", std::move(pod_spec)}};
  json::object metadata{{"name", name}, {"namespace", ns}};
  if (!uid.empty()) metadata["uid"] = uid;
  if (owner) {
    json::object r{{"kind", owner->kind}, {"name", owner->name}, {"controller", true}};
    if (!owner->uid.empty()) r["uid"] = owner->uid;
    metadata["ownerReferences"] = json::array{r};
  }
  return json::object{{"apiVersion", api}, {"kind", kind}, {"metadata", metadata}, {"spec", spec}};
}

void add(object_auditor& a, json::value v, std::uint64_t line = 1) {
  input_item item;
  item.line = line;
  item.value = std::move(v);
  a.add(std::move(item));
}

const row* find(const report& r, const std::string& kind, const std::string& name) {
  for (const auto& row : r.rows)
    if (r.str(row.kind) == kind && row.name == name) return &row;
  return nullptr;
}

}  // namespace

TEST_CASE("pods fold into ReplicaSets and those into their Deployment, counting pods", "[audit][auditor]") {
  object_auditor a(policies(), no_digests);
  a.begin_source("list.json");
  // kubectl lists pods before their owners.
  add(a, object("v1", "Pod", "team", "web-1-a", "p1", ref{"ReplicaSet", "web-1", "rs1"}));
  add(a, object("v1", "Pod", "team", "web-1-b", "p2", ref{"ReplicaSet", "web-1", "rs1"}));
  add(a, object("v1", "Pod", "team", "web-2-a", "p3", ref{"ReplicaSet", "web-2", "rs2"}));
  add(a, object("apps/v1", "Deployment", "team", "web", "d1"));
  add(a, object("apps/v1", "ReplicaSet", "team", "web-1", "rs1", ref{"Deployment", "web", "d1"}));
  add(a, object("apps/v1", "ReplicaSet", "team", "web-2", "rs2", ref{"Deployment", "web", "d1"}));
  report r = a.finish(1700000000);
  REQUIRE(r.rows.size() == 1);
  const row& web = r.rows[0];
  CHECK(r.str(web.kind) == "Deployment");
  CHECK(web.pods == 3);
  CHECK(r.folded == 5);
  CHECK(r.items_read == 6);
  CHECK(web.results[0].outcome == result::fail);
  CHECK_THAT(r.message(web, web.results[0]), Catch::StartsWith("Deployment \"web\""));
}

TEST_CASE("jobs fold into their CronJob, owners are matched by name when there is no uid", "[audit][auditor]") {
  object_auditor a(policies(), no_digests);
  add(a, object("v1", "Pod", "peer-pods", "nightly-1-x", "", ref{"Job", "nightly-1", ""}));
  add(a, object("batch/v1", "Job", "peer-pods", "nightly-1", "", ref{"CronJob", "nightly", ""}));
  add(a, object("batch/v1", "CronJob", "peer-pods", "nightly", ""));
  report r = a.finish(0);
  REQUIRE(r.rows.size() == 1);
  CHECK(r.str(r.rows[0].kind) == "CronJob");
  CHECK(r.rows[0].pods == 1);
  CHECK(r.rows[0].results[0].outcome == result::pass);
}

TEST_CASE("an owner that is not in the input, or another object of the same name, is no owner", "[audit][auditor]") {
  object_auditor a(policies(), no_digests);
  add(a, object("v1", "Pod", "team", "lonely", "p1", ref{"ReplicaSet", "gone", "rs-gone"}));
  add(a, object("v1", "Pod", "team", "stale", "p2", ref{"ReplicaSet", "web", "rs-old"}));
  add(a, object("apps/v1", "ReplicaSet", "team", "web", "rs-new"));
  add(a, object("v1", "Pod", "other", "elsewhere", "p3", ref{"ReplicaSet", "web", ""}));  // another namespace
  report r = a.finish(0);
  CHECK(r.rows.size() == 4);
  CHECK(r.folded == 0);
  REQUIRE(find(r, "Pod", "lonely"));
  CHECK(find(r, "Pod", "lonely")->pods == 1);
  CHECK(find(r, "ReplicaSet", "web")->pods == 0);
}

TEST_CASE("a row shows the worst of its owner and what it folded, and says where it comes from", "[audit][auditor]") {
  object_auditor a(policies(), no_digests);
  // The Deployment's template no longer asks for a peer pod, an old pod still is one.
  add(a, object("v1", "Pod", "team", "api-old-x", "p1", ref{"ReplicaSet", "api-old", "rs1"}));
  add(a, object("apps/v1", "ReplicaSet", "team", "api-old", "rs1", ref{"Deployment", "api", "d1"}, false));
  add(a, object("apps/v1", "Deployment", "team", "api", "d1", std::nullopt, false));
  report r = a.finish(0);
  REQUIRE(r.rows.size() == 1);
  CHECK(r.rows[0].results[0].outcome == result::fail);
  CHECK_THAT(r.message(r.rows[0], r.rows[0].results[0]), Catch::StartsWith("via Pod/api-old-x: Pod \"api-old-x\""));
  CHECK(r.rows[0].results[1].outcome == result::skip);  // accounting is off: Ignore
}

TEST_CASE("the same object given twice is audited once", "[audit][auditor]") {
  object_auditor a(policies(), no_digests);
  a.begin_source("a.json");
  add(a, object("v1", "Pod", "team", "p", "uid-1"));
  a.begin_source("b.json");
  add(a, object("v1", "Pod", "team", "p", "uid-1"));
  report r = a.finish(0);
  CHECK(r.rows.size() == 1);
  CHECK(r.duplicates == 1);
  CHECK(r.sources == std::vector<std::string>{"a.json", "b.json"});
}

TEST_CASE("unreadable items and inputs are error rows with their position", "[audit][auditor]") {
  object_auditor a(policies(), no_digests);
  a.begin_source("list.json");
  input_item bad;
  bad.line = 12;
  bad.where = "items[3]";
  bad.error = "invalid JSON at line 13: syntax error";
  a.add(std::move(bad));
  add(a, json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}})"));
  a.add_unreadable("dir/broken.yaml", 0, "unreadable input: truncated");
  report r = a.finish(0);
  REQUIRE(r.rows.size() == 2);
  CHECK(r.ignored_kinds.at("Service") == 1);
  const row& first = r.rows[0].line == 12 ? r.rows[0] : r.rows[1];
  CHECK(r.position_label(first) == "list.json:12 items[3]");
  CHECK(r.object_label(first) == "(unreadable item)");
  REQUIRE(first.results.size() == 2);
  for (const auto& x : first.results) CHECK(x.outcome == result::error);
  const row& second = &first == &r.rows[0] ? r.rows[1] : r.rows[0];
  CHECK(r.position_label(second) == "dir/broken.yaml");
  const report_summary s = summarize(r);
  CHECK(s.total[result::error] == 4);
  CHECK(s.by_column[0][result::error] == 2);
}

TEST_CASE("rows come out by namespace, kind and name", "[audit][auditor]") {
  object_auditor a(policies(), no_digests);
  add(a, object("v1", "Pod", "b", "z", "1"));
  add(a, object("v1", "Pod", "a", "y", "2"));
  add(a, object("apps/v1", "Deployment", "a", "x", "3"));
  report r = a.finish(0);
  REQUIRE(r.rows.size() == 3);
  CHECK(r.object_label(r.rows[0]) == "Deployment/x");
  CHECK(r.object_label(r.rows[1]) == "Pod/y");
  CHECK(r.object_label(r.rows[2]) == "Pod/z");
  const report_summary s = summarize(r);
  CHECK(s.namespaces == 2);
  CHECK(s.pods == 2);
}

TEST_CASE("messages are stored once per wording, the row's name put back when read", "[audit][auditor]") {
  report r;
  // Built whole: GCC 12 at -O3 warns falsely about a default-constructed row's name assigned later.
  const row a{.name = "web"};
  const row b{.name = "db"};
  const auto ma = r.intern_message("Pod \"web\" may not run in team-a", a.name);
  const auto mb = r.intern_message("Pod \"db\" may not run in team-a", b.name);
  CHECK(ma == mb);  // one stored text for both
  CHECK(r.message(a, {0, result::fail, 0, ma, 1}) == "Pod \"web\" may not run in team-a");
  CHECK(r.message(b, {0, result::fail, 0, mb, 1}) == "Pod \"db\" may not run in team-a");
  // The name anywhere, several times, inside other words: read back exactly.
  const auto many = r.intern_message("Pod \"web\" in web-ns: web, webweb", a.name);
  CHECK(r.message(a, {0, result::fail, 0, many, 1}) == "Pod \"web\" in web-ns: web, webweb");
  // A placeholder character already in a message cannot be confused with the name.
  const auto odd = r.intern_message(std::string("odd \x01 web"), a.name);
  CHECK(r.message(a, {0, result::fail, 0, odd, 1}) == "odd ? web");
}
