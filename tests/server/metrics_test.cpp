#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "webhook/server/metrics.hpp"

using namespace peergate::webhook::server;
using namespace std::chrono_literals;

namespace {
bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}
}  // namespace

TEST_CASE("metrics render in the Prometheus text format") {
  metrics m("1.2.3");
  m.record_admission(endpoint::admit, decision_label::denied, 300us);
  m.record_admission(endpoint::admit, decision_label::allowed, 3ms);
  m.record_admission(endpoint::mutate, decision_label::allowed, 20s);  // past the last bucket
  using peergate::finding, peergate::rule_kind, peergate::finding_result;
  const finding denied{"ns-policy", rule_kind::allowed_namespaces, {.deny = true}, finding_result::violation, "no"};
  m.record_finding(denied);
  m.record_finding(denied);
  m.record_finding(
      {"warn-audit", rule_kind::allowed_namespaces, {.warn = true, .audit = true}, finding_result::violation, "no"});
  m.record_finding({"we\"ird\\name", rule_kind::allowed_namespaces, {.warn = true}, finding_result::pass, ""});
  m.record_policy_reload(true);
  m.record_policy_reload(false);
  m.set_policies_loaded({.policies = 3, .vm_policies = 2, .mutations = 1});
  m.set_certificate_expiry(1900000000);
  m.record_http_response(200);
  m.record_http_response(418);
  m.connection_opened();
  m.connection_timed_out(connection_phase::header);
  const std::string text = m.render();

  CHECK(has_line(text, "# TYPE peergate_admission_requests_total counter"));
  CHECK(has_line(text, R"(peergate_admission_requests_total{endpoint="admit",decision="denied"} 1)"));
  CHECK(has_line(text, R"(peergate_admission_requests_total{endpoint="validate",decision="error"} 0)"));
  CHECK(has_line(text, "# TYPE peergate_admission_duration_seconds histogram"));
  CHECK(has_line(text, R"(peergate_admission_duration_seconds_bucket{endpoint="admit",le="0.00025"} 0)"));
  CHECK(has_line(text, R"(peergate_admission_duration_seconds_bucket{endpoint="admit",le="0.0005"} 1)"));
  CHECK(has_line(text, R"(peergate_admission_duration_seconds_bucket{endpoint="admit",le="0.005"} 2)"));
  CHECK(has_line(text, R"(peergate_admission_duration_seconds_bucket{endpoint="admit",le="+Inf"} 2)"));
  CHECK(has_line(text, R"(peergate_admission_duration_seconds_count{endpoint="admit"} 2)"));
  CHECK(has_line(text, R"(peergate_admission_duration_seconds_sum{endpoint="admit"} 0.0033)"));
  CHECK(has_line(text, R"(peergate_admission_duration_seconds_bucket{endpoint="mutate",le="2.5"} 0)"));
  CHECK(has_line(text, R"(peergate_admission_duration_seconds_bucket{endpoint="mutate",le="+Inf"} 1)"));
  CHECK(has_line(
      text,
      R"(peergate_policy_results_total{policy="ns-policy",rule="allowed-namespaces",action="deny",result="violation"} 2)"));
  // One finding of a [Warn, Audit] policy counts under both actions; a pass has no action.
  CHECK(has_line(
      text,
      R"(peergate_policy_results_total{policy="warn-audit",rule="allowed-namespaces",action="warn",result="violation"} 1)"));
  CHECK(has_line(
      text,
      R"(peergate_policy_results_total{policy="warn-audit",rule="allowed-namespaces",action="audit",result="violation"} 1)"));
  CHECK(has_line(
      text,
      R"(peergate_policy_results_total{policy="we\"ird\\name",rule="allowed-namespaces",action="none",result="pass"} 1)"));
  CHECK(has_line(text, R"(peergate_policy_reloads_total{result="success"} 1)"));
  CHECK(has_line(text, R"(peergate_policy_reloads_total{result="failure"} 1)"));
  CHECK(has_line(text, R"(peergate_policies_loaded{kind="PeerPodPolicy"} 3)"));
  CHECK(has_line(text, R"(peergate_policies_loaded{kind="PeerPodVMPolicy"} 2)"));
  CHECK(has_line(text, R"(peergate_policies_loaded{kind="PeerPodMutation"} 1)"));
  CHECK(has_line(text, "peergate_tls_certificate_expiry_timestamp_seconds 1900000000"));
  CHECK(has_line(text, R"(peergate_http_responses_total{code="200"} 1)"));
  CHECK(has_line(text, R"(peergate_http_responses_total{code="other"} 1)"));
  CHECK(has_line(text, "peergate_connections_active 1"));
  CHECK(has_line(text, R"(peergate_connection_timeouts_total{phase="header"} 1)"));
  CHECK(text.find(R"(peergate_build_info{version="1.2.3",compiler=")") != std::string::npos);
  CHECK(text.find(R"(",boost="1_81",openssl="3.)") != std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("policy results of a VM policy are counted by rule") {
  metrics m("1.2.3");
  using peergate::finding, peergate::rule_kind, peergate::finding_result;
  // One request: the VM policy checks three limits, one of them violated; a second request
  // violates the same rule again.
  const peergate::validation_actions deny{.deny = true};
  m.record_finding({"team-vm", rule_kind::vm_vcpus, deny, finding_result::violation, "8 vCPUs; at most 4"});
  m.record_finding({"team-vm", rule_kind::vm_memory, deny, finding_result::pass, ""});
  m.record_finding({"team-vm", rule_kind::vm_initdata, deny, finding_result::pass, ""});
  m.record_finding({"team-vm", rule_kind::vm_vcpus, deny, finding_result::violation, "6 vCPUs; at most 4"});
  m.record_finding({"peer-pods", rule_kind::mutation, {}, finding_result::pass, ""});
  const std::string text = m.render();

  CHECK(has_line(text, "# HELP peergate_policy_results_total Policy findings, by policy, rule, action and result."));
  CHECK(has_line(text,
                 R"(peergate_policy_results_total{policy="team-vm",rule="vcpus",action="deny",result="violation"} 2)"));
  CHECK(
      has_line(text, R"(peergate_policy_results_total{policy="team-vm",rule="memory",action="none",result="pass"} 1)"));
  CHECK(has_line(text,
                 R"(peergate_policy_results_total{policy="team-vm",rule="initdata",action="none",result="pass"} 1)"));
  CHECK(has_line(text,
                 R"(peergate_policy_results_total{policy="peer-pods",rule="mutation",action="none",result="pass"} 1)"));
  // Nothing is counted for a rule that reported nothing: no zero series per policy and rule.
  CHECK(text.find(R"(rule="gpus")") == std::string::npos);
  CHECK(text.find(R"(rule="vcpus",action="none")") == std::string::npos);
}

TEST_CASE("the policy set's hash and load time are exported once a set was loaded") {
  metrics m("1.2.3");
  // Before any load there is no hash to show: no peergate_policies_info series at all.
  CHECK(m.render(process_stats{}).find("peergate_policies_info") == std::string::npos);
  m.set_policies_info("0123456789ab", 1700000000.5);
  const std::string text = m.render(process_stats{});
  CHECK(has_line(text, "# TYPE peergate_policies_info gauge"));
  CHECK(has_line(text, R"(peergate_policies_info{hash="0123456789ab"} 1)"));
  CHECK(has_line(text, "# TYPE peergate_policies_loaded_timestamp_seconds gauge"));
  CHECK(has_line(text, "peergate_policies_loaded_timestamp_seconds 1700000000.5"));
}

TEST_CASE("process metrics carry the names and types of the Prometheus client libraries") {
  metrics m("1.2.3");
  process_stats p;
  p.cpu_seconds = 1.25;
  p.resident_bytes = 4096 * 10;
  p.virtual_bytes = 123456789;
  p.start_time_seconds = 1700000000.25;
  p.open_fds = 12;
  const std::string text = m.render(p);
  CHECK(has_line(text, "# TYPE process_cpu_seconds_total counter"));
  CHECK(has_line(text, "process_cpu_seconds_total 1.25"));
  CHECK(has_line(text, "# TYPE process_resident_memory_bytes gauge"));
  CHECK(has_line(text, "process_resident_memory_bytes 40960"));
  CHECK(has_line(text, "process_virtual_memory_bytes 123456789"));
  CHECK(has_line(text, "process_start_time_seconds 1700000000.25"));
  CHECK(has_line(text, "process_open_fds 12"));
  // A value that could not be read is left out, not exported as 0.
  CHECK(text.find("process_max_fds") == std::string::npos);
}

TEST_CASE("/proc texts parse into process stats") {
  // A command name with spaces and a parenthesis, as prctl allows.
  const std::string stat =
      "4242 (peer gate) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 "
      "250 50 0 0 20 0 3 0 12345 987654321 2500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto fields = parse_proc_self_stat(stat);
  REQUIRE(fields);
  CHECK(fields->utime_ticks == 250);
  CHECK(fields->stime_ticks == 50);
  CHECK(fields->start_ticks == 12345);
  CHECK(fields->vsize_bytes == 987654321);
  CHECK(fields->rss_pages == 2500);
  CHECK_FALSE(parse_proc_self_stat("4242 (cut short) S 1 2 3"));
  CHECK_FALSE(parse_proc_self_stat("no parenthesis"));

  const auto boot = parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1699990000\nprocesses 77\n");
  REQUIRE(boot);
  CHECK(*boot == 1699990000);
  CHECK_FALSE(parse_boot_time("cpu 1 2 3\n"));

  process_stats p;
  apply_proc_stat(p, *fields, 100, 4096, boot);
  CHECK(p.cpu_seconds == Approx(3.0));
  CHECK(p.resident_bytes == 2500.0 * 4096);
  CHECK(p.virtual_bytes == 987654321.0);
  CHECK(p.start_time_seconds == Approx(1699990000 + 123.45));

  const std::string limits = "Limit                     Soft Limit           Hard Limit           Units     \n"
                             "Max cpu time              unlimited            unlimited            seconds   \n"
                             "Max open files            1024                 524288               files     \n";
  CHECK(parse_max_open_files(limits) == 1024.0);
  CHECK_FALSE(parse_max_open_files("Max open files            unlimited            unlimited            files\n"));
}

TEST_CASE("the process metrics of this very process are read from /proc") {
  const process_stats p = read_process_stats();
  REQUIRE(p.open_fds);
  CHECK(*p.open_fds >= 3);  // at least stdin, stdout, stderr
  REQUIRE(p.max_fds);
  CHECK(*p.max_fds >= *p.open_fds);
  REQUIRE(p.resident_bytes);
  CHECK(*p.resident_bytes > 0);
  REQUIRE(p.virtual_bytes);
  CHECK(*p.virtual_bytes >= *p.resident_bytes);
  REQUIRE(p.start_time_seconds);
  CHECK(*p.start_time_seconds > 1.5e9);  // after 2017: a Unix time, not seconds since boot
  REQUIRE(p.cpu_seconds);
  CHECK(*p.cpu_seconds >= 0);
}

TEST_CASE("policy results from many threads: every series counted, none lost while the table grows") {
  metrics m("1.2.3");
  using peergate::finding, peergate::rule_kind, peergate::finding_result;
  // 300 series: the lookup table grows several times while four threads count.
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("policy-" + std::to_string(i));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m, &names, t] {
      for (std::size_t n = 0; n < names.size(); ++n) {
        const std::string& name = names[(n + static_cast<std::size_t>(t) * 77) % names.size()];
        m.record_finding({name, rule_kind::allowed_namespaces, {.deny = true}, finding_result::violation, "no"});
        m.record_finding({name, rule_kind::allowed_namespaces, {}, finding_result::pass, ""});
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string text = m.render();
  for (const std::string& name : names) {
    CHECK(has_line(text, R"(peergate_policy_results_total{policy=")" + name +
                             R"(",rule="allowed-namespaces",action="deny",result="violation"} 4)"));
    CHECK(has_line(text, R"(peergate_policy_results_total{policy=")" + name +
                             R"(",rule="allowed-namespaces",action="none",result="pass"} 4)"));
  }
  // Rendered in label order, as before: policy-0 < policy-1 < policy-10 < ...
  CHECK(text.find(R"({policy="policy-0",)") < text.find(R"({policy="policy-1",)"));
  CHECK(text.find(R"({policy="policy-1",)") < text.find(R"({policy="policy-10",)"));
  CHECK(text.find(R"(policy="policy-0",rule="allowed-namespaces",action="deny")") <
        text.find(R"(policy="policy-0",rule="allowed-namespaces",action="none")"));
}

TEST_CASE("exception uses are counted per exception and policy") {
  metrics m("1.2.3");
  m.record_exception_use("lab", "ns-policy");
  m.record_exception_use("lab", "ns-policy");
  m.record_exception_use("lab", "other");
  const std::string text = m.render();
  CHECK(has_line(text, R"(peergate_exception_uses_total{exception="lab",policy="ns-policy"} 2)"));
  CHECK(has_line(text, R"(peergate_exception_uses_total{exception="lab",policy="other"} 1)"));
}
