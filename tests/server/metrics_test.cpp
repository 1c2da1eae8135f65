#include <catch2/catch.hpp>

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
  CHECK(has_line(text, R"(peergate_build_info{version="1.2.3"} 1)"));
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
