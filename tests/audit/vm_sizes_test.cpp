// The VM sizes peer pods ask for, summed per namespace: what the report model holds
// (report::vm_by_namespace, row::vm), the JSON that carries it, and the HTML chart drawn from it.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>

#include "audit/log_reader.hpp"
#include "audit/object_auditor.hpp"
#include "audit/render/render.hpp"
#include "tests/support/policies.hpp"
#include "tests/support/vm_fixtures.hpp"

using namespace peergate;
using namespace peergate::audit;
namespace json = boost::json;

using peergate::testing::load_test_policies;
using peergate::testing::no_digests;

namespace {

// No VM policy: the sizes are summed whatever policies are loaded. team-b is excluded from
// the mutation, so a template there asks for what its annotations say.
const char* policies_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: allowed}
spec:
  allowedNamespaces: ["team-*"]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec:
  excludedNamespaces: {names: [team-b]}
  unaccountedPeerPods: Ignore
)yaml";

policy_snapshot policies() {
  static const policy_snapshot loaded = load_test_policies("sizes.yaml", policies_yaml);
  return loaded;
}

constexpr const char* hypervisor = "io.katacontainers.config.hypervisor.";

struct sizes {
  const char* vcpus = nullptr;
  const char* memory = nullptr;
  const char* gpus = nullptr;
};

json::object annotations_of(const sizes& s) {
  json::object a;
  if (s.vcpus) a[std::string(hypervisor) + "default_vcpus"] = s.vcpus;
  if (s.memory) a[std::string(hypervisor) + "default_memory"] = s.memory;
  if (s.gpus) a[std::string(hypervisor) + "default_gpus"] = s.gpus;
  return a;
}

// A stored Pod with these sizing annotations, owned by `owner` (a ReplicaSet's uid) if given.
json::value pod(const std::string& ns, const std::string& name, const sizes& s, const std::string& owner_uid = "",
                const char* runtime_class = "kata-remote") {
  json::object metadata{{"name", name}, {"namespace", ns}, {"uid", "uid-" + ns + "-" + name}};
  json::object a = annotations_of(s);
  if (!a.empty()) metadata["annotations"] = std::move(a);
  if (!owner_uid.empty())
    metadata["ownerReferences"] = json::array{
        json::object{{"kind", "ReplicaSet"}, {"name", owner_uid}, {"uid", owner_uid}, {"controller", true}}};
  json::object spec{{"containers", json::array{json::object{{"name", "c"}, {"image", "x"}}}}};
  if (runtime_class) spec["runtimeClassName"] = runtime_class;
  return json::object{
      {"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", std::move(metadata)}, {"spec", std::move(spec)}};
}

// A ReplicaSet whose template asks for `cpu` per pod (the mutation writes it), annotated with `s`.
json::value replicaset(const std::string& ns, const std::string& uid, const char* cpu, const sizes& s = {}) {
  json::object container{{"name", "c"}, {"image", "x"}};
  if (cpu) container["resources"] = json::object{{"requests", json::object{{"cpu", cpu}}}};
  json::object template_metadata;
  json::object a = annotations_of(s);
  if (!a.empty()) template_metadata["annotations"] = std::move(a);
  return json::object{
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata", json::object{{"name", uid}, {"namespace", ns}, {"uid", uid}}},
      {"spec",
       json::object{{"template", json::object{{"metadata", std::move(template_metadata)},
                                              {"spec", json::object{{"runtimeClassName", "kata-remote"},
                                                                    {"containers", json::array{container}}}}}}}}};
}

report audit_of(const std::vector<json::value>& objects) {
  object_auditor a(policies(), no_digests);
  a.begin_source("cluster.json");
  std::uint64_t line = 1;
  for (const json::value& v : objects) {
    input_item item;
    item.line = line++;
    item.value = v;
    a.add(std::move(item));
  }
  return a.finish(1700000000);
}

const namespace_vm_totals* totals_of(const report& r, std::string_view ns) {
  for (const auto& t : r.vm_by_namespace)
    if (t.namespace_name == ns) return &t;
  return nullptr;
}

std::string rendered(report_format f, const report& r) {
  std::ostringstream out;
  render(f, r, out);
  return out.str();
}

// A cluster: team-a runs a ReplicaSet of two 2-vCPU pods (one sized before a template change)
// and a lone GPU pod; team-b a pod without sizes; the same pod twice; a runc pod with sizes.
report sample() {
  return audit_of({
      pod("team-a", "web-1", {"2", "4096", nullptr}, "rs-web"),
      pod("team-a", "web-2", {"6", "8192", nullptr}, "rs-web"),  // from before the template change
      replicaset("team-a", "rs-web", "2"), pod("team-a", "train", {"8", "32768", "2"}),
      pod("team-a", "train", {"8", "32768", "2"}),  // the same uid again: read once
      pod("team-b", "plain", {}), pod("team-b", "runc", {"64", "65536", nullptr}, "", nullptr),  // not a peer pod
      replicaset("team-c", "rs-idle", "16"),                                                     // no pods in the input
  });
}

}  // namespace

TEST_CASE("each peer Pod counts once with its own sizes, folded into its owner or not", "[audit][vm-sizes]") {
  const report r = sample();
  REQUIRE(r.vm_by_namespace.size() == 2);  // team-c has no Pod, so no peer pods
  const namespace_vm_totals* a = totals_of(r, "team-a");
  REQUIRE(a);
  CHECK(a->peer_pods == 3);
  CHECK(a->sized_pods == 3);
  CHECK(a->vcpus == 2 + 6 + 8);  // the pods' own sizes, not 2 x the template's 2 vCPUs
  CHECK(a->memory_mib == 4096 + 8192 + 32768);
  CHECK(a->gpus == 2);
  const namespace_vm_totals* b = totals_of(r, "team-b");
  REQUIRE(b);
  CHECK(b->peer_pods == 1);  // the runc pod is not one
  CHECK(b->sized_pods == 0);
  CHECK(b->vcpus == 0);
  CHECK(totals_of(r, "team-c") == nullptr);
  CHECK(r.duplicates == 1);
}

TEST_CASE("a row keeps the VM each of its pods asks for: a Pod's own, a template's as mutated", "[audit][vm-sizes]") {
  const report r = sample();
  for (const row& x : r.rows) {
    INFO(r.object_label(x));
    if (x.name == "rs-web") {
      CHECK(x.pods == 2);
      CHECK(x.vm.vcpus == 2);  // from the template's resources, as the mutation writes it
      CHECK(x.vm.sized);
    } else if (x.name == "rs-idle") {
      CHECK(x.vm.vcpus == 16);
    } else if (x.name == "train") {
      CHECK(x.vm.memory_mib == 32768);
      CHECK(x.vm.gpus == 2);
    } else if (x.name == "plain") {
      CHECK(x.vm.peer_pod);
      CHECK_FALSE(x.vm.sized);
    } else if (x.name == "runc") {
      CHECK_FALSE(x.vm.peer_pod);
    }
  }
  // Where the mutation does not run, a template asks for its own annotations only.
  const report excluded = audit_of({replicaset("team-b", "rs-b", "4", {"1", nullptr, nullptr})});
  REQUIRE(excluded.rows.size() == 1);
  CHECK(excluded.rows[0].vm.vcpus == 1);
}

TEST_CASE("json: the sums per namespace and each object's VM per pod", "[audit][vm-sizes]") {
  const json::value v = json::parse(rendered(report_format::json, sample()));
  const json::array& totals = v.at("vmByNamespace").as_array();
  REQUIRE(totals.size() == 2);
  CHECK(totals[0] ==
        json::parse(R"({"namespace":"team-a","peerPods":3,"sizedPods":3,"vcpus":16,"memoryMiB":45056,"gpus":2})"));
  CHECK(totals[1] ==
        json::parse(R"({"namespace":"team-b","peerPods":1,"sizedPods":0,"vcpus":0,"memoryMiB":0,"gpus":0})"));
  std::map<std::string, json::value> per_pod;
  for (const auto& o : v.at("objects").as_array())
    if (const auto* vm = o.as_object().if_contains("vmPerPod")) per_pod[std::string(o.at("name").as_string())] = *vm;
  CHECK(per_pod.size() == 3);  // rs-web, rs-idle, train: plain asks for no size, runc is no peer pod
  CHECK(per_pod.at("rs-web") == json::parse(R"({"vcpus":2,"memoryMiB":0,"gpus":0})"));
  CHECK(per_pod.at("train") == json::parse(R"({"vcpus":8,"memoryMiB":32768,"gpus":2})"));
}

TEST_CASE("html: a chart of the requested VM sizes per namespace", "[audit][vm-sizes]") {
  const std::string page = rendered(report_format::html, sample());
  const auto chart = page.find("<svg id=\"chart-vm-sizes\"");
  REQUIRE(chart != std::string::npos);
  CHECK_THAT(page, Catch::Contains("<figcaption>Requested VM sizes per namespace</figcaption>"));
  // Only namespaces whose peer pods ask for a size have a bar: team-b's pod asks for none.
  CHECK_THAT(page, Catch::Contains("data-namespace=\"team-a\" data-vcpus=\"16\" data-memory-mib=\"45056\" "
                                   "data-gpus=\"2\""));
  CHECK(page.find("data-namespace=\"team-b\"") == std::string::npos);
  CHECK_THAT(page, Catch::Contains(">44 GiB</text>"));
  CHECK_THAT(page, Catch::Contains("In all: 16 vCPUs, 44 GiB, 2 GPUs, asked by 3 of 4 peer pods"));
  CHECK_THAT(page, Catch::Contains("1 peer pod asks for no size"));
}

TEST_CASE("html: memory in MiB below a GiB, in GiB with a decimal otherwise", "[audit][vm-sizes]") {
  const std::string page = rendered(
      report_format::html, audit_of({pod("a", "p", {"1", "512", nullptr}), pod("b", "q", {"1", "1536", nullptr})}));
  CHECK_THAT(page, Catch::Contains(">512 MiB</text>"));
  CHECK_THAT(page, Catch::Contains(">1.5 GiB</text>"));
  CHECK_THAT(page, Catch::Contains("In all: 2 vCPUs, 2 GiB, 0 GPUs, asked by 2 of 2 peer pods"));
}

TEST_CASE("no chart without a peer pod that asks for a size, nor for a log report", "[audit][vm-sizes]") {
  const report unsized = audit_of({pod("team-a", "p", {}), replicaset("team-a", "rs", "4")});
  CHECK(unsized.vm_by_namespace.size() == 1);
  CHECK(rendered(report_format::html, unsized).find("chart-vm-sizes") == std::string::npos);

  log_auditor log;
  log.begin_source("audit.log");
  const report from_log = log.finish(1700000000);
  CHECK(from_log.vm_by_namespace.empty());
  CHECK(rendered(report_format::html, from_log).find("chart-vm-sizes") == std::string::npos);
  CHECK(rendered(report_format::json, from_log).find("vmByNamespace") == std::string::npos);
}
