#include "audit/render/render.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>

#include "audit/object_auditor.hpp"
#include "engine/json_text.hpp"
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
  allowedNamespaces: [peer-pods]
  message: "{kind} {name} may not run in {namespace} </script><b>&amp;"
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: rollout}
spec:
  validationActions: [Audit]
  allowedNamespaces: [nowhere]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec: {}
)yaml";

report sample_report() {
  object_auditor a(load_test_policies("render.yaml", policies_yaml), no_digests);
  a.begin_source("cluster.json");
  std::uint64_t line = 1;
  auto add = [&](const char* text) {
    input_item item;
    item.line = line++;
    item.where = "items[" + std::to_string(line - 2) + "]";
    item.value = json::parse(text);
    a.add(std::move(item));
  };
  add(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ok","namespace":"peer-pods"},"spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","resources":{"limits":{"kata.peerpods.io/vm":"1"}}}]}})");
  add(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"bad","namespace":"team-a"},"spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","resources":{"limits":{"kata.peerpods.io/vm":"1"}}}]}})");
  add(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"plain","namespace":"team-a"},"spec":{"containers":[{"name":"c"}]}})");
  add(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"sys","namespace":"kube-system"},"spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c"}]}})");
  input_item broken;
  broken.line = 99;
  broken.where = "items[9]";
  broken.error = "invalid JSON at line 99: syntax error";
  a.add(std::move(broken));
  return a.finish(1700000000);
}

std::string rendered(report_format f, const report& r, render_options o = {}) {
  std::ostringstream out;
  render(f, r, out, o);
  return out.str();
}

}  // namespace

TEST_CASE("html escaping", "[audit][render]") {
  CHECK(html_escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
}

TEST_CASE("table: grouped by namespace, failures first, a summary, colours only when asked", "[audit][render]") {
  const report r = sample_report();
  const std::string plain = rendered(report_format::table, r);
  CHECK(plain.find('\033') == std::string::npos);
  CHECK_THAT(plain, Catch::Contains("namespace team-a\n  FAIL   Pod/bad  [enforced]"));
  CHECK_THAT(plain, Catch::Contains("  WARN   Pod/bad  [rollout] "));
  CHECK_THAT(plain,
             Catch::Contains(
                 "(no namespace)\n  ERROR  (unreadable item)  cluster.json:99 items[9]  [all policies] invalid JSON"));
  CHECK_THAT(plain, Catch::Contains("Summary: fail 2, error 3, warn 4, pass 3, skip 3"));
  // Namespaces ordered by their worst result: kube-system and team-a (fail) before the rest.
  CHECK(plain.find("namespace kube-system") < plain.find("(no namespace)"));
  CHECK(plain.find("Pod/plain") == std::string::npos);  // skip results only with --all
  CHECK_THAT(plain, Catch::Contains("namespaces: 3 (3 with findings); items read: 5"));
  render_options all;
  all.all = true;
  CHECK_THAT(rendered(report_format::table, r, all), Catch::Contains("SKIP   Pod/plain"));
  render_options color;
  color.color = true;
  CHECK_THAT(rendered(report_format::table, r, color), Catch::Contains("\033[1;31mFAIL"));
}

TEST_CASE("json: the full result set, consistent with the summary", "[audit][render]") {
  const report r = sample_report();
  const json::value v = json::parse(rendered(report_format::json, r));
  CHECK(v.at("kind") == "AuditReport");
  CHECK(v.at("generated") == "2023-11-14T22:13:20Z");
  const auto& objects = v.at("objects").as_array();
  REQUIRE(objects.size() == 5);
  std::map<std::string, std::int64_t> counted;
  for (const auto& o : objects)
    for (const auto& x : o.at("results").as_array()) ++counted[std::string(x.at("result").as_string())];
  for (const char* k : {"fail", "error", "warn", "pass", "skip"}) CHECK(v.at("summary").at(k).as_int64() == counted[k]);
  CHECK(v.at("summary").at("pods") == 4);
  CHECK(v.at("policies").as_array().size() == 3);
  CHECK(v.at("policies").as_array()[2].at("rule") == "accounting");
}

TEST_CASE("policyreport: a ClusterPolicyReport with the totals and a PolicyReport per namespace", "[audit][render]") {
  const report r = sample_report();
  const std::vector<YAML::Node> docs = YAML::LoadAll(rendered(report_format::policy_report, r));
  REQUIRE(docs.size() == 4);  // cluster + kube-system, peer-pods, team-a
  CHECK(docs[0]["kind"].as<std::string>() == "ClusterPolicyReport");
  CHECK(docs[0]["apiVersion"].as<std::string>() == "wgpolicyk8s.io/v1alpha2");
  CHECK(docs[0]["summary"]["fail"].as<int>() == 2);
  CHECK(docs[0]["summary"]["error"].as<int>() == 3);
  CHECK(docs[0]["results"].size() == 3);  // the unreadable item, once per policy: it has no namespace
  CHECK(docs[0]["results"][0]["properties"]["input"].as<std::string>() == "cluster.json:99 items[9]");
  const YAML::Node& team = docs[3];
  CHECK(team["kind"].as<std::string>() == "PolicyReport");
  CHECK(team["metadata"]["namespace"].as<std::string>() == "team-a");
  CHECK(team["metadata"]["name"].as<std::string>() == "peergate");
  CHECK(team["summary"]["skip"].as<int>() == 3);
  // Skip results are counted, not listed.
  for (const auto& x : team["results"]) CHECK(x["result"].as<std::string>() != "skip");
  const YAML::Node first = team["results"][0];
  CHECK(first["policy"].as<std::string>() == "enforced");
  CHECK(first["source"].as<std::string>() == "peergate");
  CHECK(first["result"].as<std::string>() == "fail");
  CHECK(first["severity"].as<std::string>() == "high");
  CHECK(first["timestamp"]["seconds"].as<long long>() == 1700000000);
  CHECK(first["timestamp"]["nanos"].as<int>() == 0);
  CHECK(first["scored"].as<bool>());
  CHECK(first["message"].as<std::string>() == "Pod bad may not run in team-a </script><b>&amp;");
  CHECK(first["resources"][0]["kind"].as<std::string>() == "Pod");
  CHECK(first["resources"][0]["name"].as<std::string>() == "bad");
  CHECK(first["properties"]["actions"].as<std::string>() == "Deny");
}

TEST_CASE("openreports: the PolicyReport results as openreports.io Reports and a ClusterReport", "[audit][render]") {
  const report r = sample_report();
  const std::vector<YAML::Node> policy_reports = YAML::LoadAll(rendered(report_format::policy_report, r));
  const std::vector<YAML::Node> open_reports = YAML::LoadAll(rendered(report_format::open_reports, r));
  REQUIRE(open_reports.size() == policy_reports.size());
  CHECK(open_reports[0]["kind"].as<std::string>() == "ClusterReport");
  for (std::size_t i = 0; i < open_reports.size(); ++i) {
    INFO("document " << i);
    CHECK(open_reports[i]["apiVersion"].as<std::string>() == "openreports.io/v1alpha1");
    if (i > 0) CHECK(open_reports[i]["kind"].as<std::string>() == "Report");
    CHECK(open_reports[i]["source"].as<std::string>() == "peergate");
    CHECK(YAML::Dump(open_reports[i]["metadata"]) == YAML::Dump(policy_reports[i]["metadata"]));
    CHECK(YAML::Dump(open_reports[i]["summary"]) == YAML::Dump(policy_reports[i]["summary"]));
    CHECK(YAML::Dump(open_reports[i]["results"]) == YAML::Dump(policy_reports[i]["results"]));
  }
}

TEST_CASE("html: self-contained, data embedded safely", "[audit][render]") {
  const report r = sample_report();
  const std::string page = rendered(report_format::html, r);
  CHECK_THAT(page, Catch::StartsWith("<!DOCTYPE html>"));
  for (const char* external : {"src=", "href=", "@import", "url(", "<link"}) {
    INFO(external);
    CHECK(page.find(external) == std::string::npos);
  }
  // The message holds "</script>": inside the embedded JSON it is escaped.
  const auto data = page.find("<script type=\"application/json\" id=\"peergate-data\">");
  REQUIRE(data != std::string::npos);
  const auto end = page.find("</script>", data);
  const std::string embedded = page.substr(data, end - data);
  CHECK_THAT(embedded, Catch::Contains("may not run in team-a \\u003c/script\\u003e\\u003cb\\u003e\\u0026amp;"));
  const json::value v = json::parse(embedded.substr(embedded.find('>') + 1));
  CHECK(v.at("rows").as_array().size() == 5);
  CHECK_THAT(page, Catch::Contains("id=\"count-fail\" data-count=\"2\">2</span>"));
  CHECK_THAT(page, Catch::Contains("<svg id=\"chart-namespaces\""));
  CHECK_THAT(page, Catch::Contains("<svg id=\"chart-policies\""));
}

TEST_CASE("report formats by name", "[audit][render]") {
  CHECK(parse_report_format("policyreport") == report_format::policy_report);
  CHECK(parse_report_format("openreports") == report_format::open_reports);
  CHECK(parse_report_format("html") == report_format::html);
  CHECK_FALSE(parse_report_format("xml"));
}

TEST_CASE("timestamps in RFC 3339, both ways", "[audit][render]") {
  CHECK(format_time_s(0) == "1970-01-01T00:00:00Z");
  CHECK(format_time_us(1700000000123456) == "2023-11-14T22:13:20.123456Z");
  std::int64_t us = 0;
  REQUIRE(parse_time_us("2023-11-14T22:13:20.123456Z", us));
  CHECK(us == 1700000000123456);
  REQUIRE(parse_time_us("2023-11-14T23:13:20.5+01:00", us));
  CHECK(us == 1700000000500000);
  CHECK_FALSE(parse_time_us("2023-11-14 nope", us));
  CHECK_FALSE(parse_time_us("2023-13-14T22:13:20Z", us));
}

namespace {

const char* vm_policies_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: enforced}
spec:
  allowedNamespaces: ["team-*"]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: team-vm-limits}
spec:
  validationActions: [Deny]
  vm: {maxVCPUs: 4, maxGPUs: 0}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata: {name: vm-images}
spec:
  validationActions: [Warn]
  vm: {images: []}
)yaml";

// One pod over both limits of team-vm-limits and with its own image.
report vm_report() {
  object_auditor a(load_test_policies("vm.yaml", vm_policies_yaml), no_digests);
  a.begin_source("cluster.json");
  input_item item;
  item.line = 1;
  item.value = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"train","namespace":"team-a",
    "annotations":{"io.katacontainers.config.hypervisor.default_vcpus":"8","io.katacontainers.config.hypervisor.default_gpus":"1",
    "io.katacontainers.config.hypervisor.image":"mine"}},
    "spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","resources":{"limits":{"kata.peerpods.io/vm":"1"}}}]}})");
  a.add(std::move(item));
  return a.finish(1700000000);
}

}  // namespace

TEST_CASE("every format names the rule of each VM policy column", "[audit][render][vm]") {
  const report r = vm_report();
  // enforced, team-vm-limits vcpus and gpus, vm-images image, the default mutation's accounting
  REQUIRE(r.columns.size() == 5);
  CHECK(r.column_label(0) == "enforced");
  CHECK(r.column_label(1) == "team-vm-limits (vcpus)");
  CHECK(r.column_label(2) == "team-vm-limits (gpus)");
  CHECK(r.column_label(3) == "vm-images (image)");

  const std::string table = rendered(report_format::table, r);
  CHECK_THAT(table, Catch::Contains("1 object (1 pod) in 1 namespace, 4 policies (5 rules)\n"));
  CHECK_THAT(table,
             Catch::Contains("  FAIL   Pod/train  [team-vm-limits (vcpus)] Pod \"train\" asks for a VM with 8 vCPUs"));
  CHECK_THAT(table,
             Catch::Contains("  FAIL   Pod/train  [team-vm-limits (gpus)] Pod \"train\" asks for a VM with 1 GPU"));
  CHECK_THAT(table, Catch::Contains("  WARN   Pod/train  [vm-images (image)] Pod \"train\" asks for a VM with image"));
  CHECK_THAT(table, Catch::Contains("\n  team-vm-limits (gpus)           Deny"));

  const json::value v = json::parse(rendered(report_format::json, r));
  const auto& results = v.at("objects").as_array().at(0).at("results").as_array();
  REQUIRE(results.size() == 5);
  CHECK(results[1].at("policy") == "team-vm-limits");
  CHECK(results[1].at("rule") == "vcpus");
  CHECK(results[1].at("result") == "fail");
  CHECK(results[2].at("rule") == "gpus");
  CHECK(results[3].at("rule") == "image");
  CHECK(results[3].at("result") == "warn");
  CHECK(v.at("policies").as_array()[2].at("rule") == "gpus");

  const std::vector<YAML::Node> docs = YAML::LoadAll(rendered(report_format::policy_report, r));
  REQUIRE(docs.size() == 2);
  std::vector<std::pair<std::string, std::string>> listed;
  for (const auto& x : docs[1]["results"])
    listed.emplace_back(x["policy"].as<std::string>() + " " + x["rule"].as<std::string>(),
                        x["result"].as<std::string>());
  CHECK(listed == std::vector<std::pair<std::string, std::string>>{{"enforced allowed-namespaces", "pass"},
                                                                   {"team-vm-limits vcpus", "fail"},
                                                                   {"team-vm-limits gpus", "fail"},
                                                                   {"vm-images image", "warn"},
                                                                   {"peer-pods-default accounting", "pass"}});
  CHECK(docs[1]["results"][1]["severity"].as<std::string>() == "high");
  CHECK(docs[1]["results"][3]["severity"].as<std::string>() == "medium");

  const std::string page = rendered(report_format::html, r);
  CHECK_THAT(page, Catch::Contains("\"columns\":[\"enforced\",\"team-vm-limits (vcpus)\",\"team-vm-limits (gpus)\","
                                   "\"vm-images (image)\",\"peer-pods-default (accounting)\"]"));
  CHECK_THAT(page, Catch::Contains("team-vm-limits (gpus) (Deny)"));
}
