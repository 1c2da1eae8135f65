#include "audit/log_reader.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "audit/log_line.hpp"
#include "tests/support/log_request.hpp"

using namespace peergate;
using namespace peergate::audit;

namespace {

// Lines as the writer makes them (format_log_lines), so reader and writer agree by construction.
std::string line(std::int64_t second, const char* user, const char* ns, const char* name, const char* policy,
                 validation_actions actions, const char* generate_name = "") {
  const std::string uid = "uid-" + std::to_string(second);
  log_request r;
  r.uid = uid;
  r.user = user;
  r.operation = "CREATE";
  r.kind = "Pod";
  r.namespace_name = ns;
  r.name = name;
  r.generate_name = generate_name;
  const std::vector<finding> f{{policy, rule_kind::allowed_namespaces, actions, finding_result::violation,
                                std::string("msg ") + std::to_string(second)}};
  return format_log_lines(r, f, std::chrono::system_clock::time_point(std::chrono::seconds(second)));
}

report read(const std::string& text) {
  log_auditor a;
  a.begin_source("audit.log");
  std::istringstream in(text);
  read_log(in, a);
  return a.finish(1700000000);
}

}  // namespace

TEST_CASE("log lines about the same object, user and policy are one row with a count", "[audit][log-reader]") {
  const report r = read(line(1700000100, "alice", "team-a", "web", "rollout", {.audit = true}) +
                        line(1700000300, "alice", "team-a", "web", "rollout", {.audit = true}) +
                        line(1700000200, "alice", "team-a", "web", "rollout", {.audit = true}) +
                        line(1700000400, "bob", "team-a", "web", "rollout", {.audit = true}) +
                        line(1700000500, "bob", "team-b", "", "enforced", {.deny = true}, "job-") +
                        line(1700000600, "carol", "team-b", "x", "rollout", {.warn = true}));
  CHECK(r.origin == report_origin::log);
  CHECK(r.log_lines == 6);
  CHECK(format_time_us(r.period_from_us) == "2023-11-14T22:15:00.000000Z");
  CHECK(format_time_us(r.period_to_us) == "2023-11-14T22:23:20.000000Z");
  REQUIRE(r.rows.size() == 4);
  const row& alice = r.rows[0];
  CHECK(r.str(alice.user) == "alice");
  CHECK(alice.results.size() == 1);
  CHECK(alice.results[0].count == 3);
  CHECK(alice.results[0].outcome == result::warn);
  CHECK(alice.results[0].actions == action_audit);
  CHECK(r.str(alice.results[0].message) == "msg 1700000300");  // the latest wording
  CHECK(format_time_us(alice.first_seen_us) == "2023-11-14T22:15:00.000000Z");
  const row& job = r.rows[2];
  CHECK(r.object_label(job) == "Pod/job-*");
  CHECK(job.results[0].outcome == result::fail);

  const report_summary s = summarize(r);
  CHECK(s.total[result::fail] == 1);
  CHECK(s.total[result::warn] == 5);
  REQUIRE(s.by_user.size() == 3);
  CHECK(s.by_user[0].first == "alice");
  CHECK(s.by_user[0].second[result::warn] == 3);
  CHECK(s.by_namespace.size() == 2);
  REQUIRE(r.columns.size() == 2);
  CHECK(r.columns[0].policy == "rollout");
  CHECK(r.columns[0].actions == (action_audit | action_warn));
}

TEST_CASE("unreadable lines are error rows, dropped-line markers are counted", "[audit][log-reader]") {
  const report r = read(
      line(1700000100, "alice", "team-a", "web", "rollout", {.audit = true}) + "not json\n\n" +
      "{\"time\":\"yesterday\",\"action\":\"deny\"}\n" + "{\"time\":\"2023-11-14T22:15:00Z\",\"action\":\"maybe\"}\n" +
      format_dropped_line(42, std::chrono::system_clock::time_point(std::chrono::seconds(1700000200))));
  CHECK(r.log_lines == 1);
  CHECK(r.dropped_lines == 42);
  REQUIRE(r.rows.size() == 4);
  std::vector<std::string> errors;
  for (const auto& row : r.rows)
    if (row.results[0].outcome == result::error)
      errors.push_back(r.position_label(row) + " " + std::string(r.str(row.results[0].message)));
  REQUIRE(errors.size() == 3);
  CHECK_THAT(errors[0], Catch::StartsWith("audit.log:2 not a JSON line"));
  CHECK(errors[1] == "audit.log:4 no \"time\" in RFC 3339 form");
  CHECK(errors[2] == "audit.log:5 unknown action \"maybe\" (deny, warn or audit)");
}

TEST_CASE("the lines of one request about one policy are one decision with its actions", "[audit][log-reader]") {
  log_request r = peergate::testing::sample_log_request();
  r.uid = "req-1";
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const std::vector<finding> both{
      {"rollout", rule_kind::allowed_namespaces, {.warn = true, .audit = true}, finding_result::violation, "m"},
      {"enforced", rule_kind::allowed_namespaces, {.deny = true, .audit = true}, finding_result::violation, "no"}};
  std::string text = format_log_lines(r, both, at);
  r.uid = "req-2";
  text += format_log_lines(r, both, at + std::chrono::seconds(5));
  const report rep = read(text);
  CHECK(rep.log_lines == 8);
  REQUIRE(rep.rows.size() == 2);
  const report_summary s = summarize(rep);
  CHECK(s.total[result::warn] == 2);  // two requests, not four lines
  CHECK(s.total[result::fail] == 2);
  for (const auto& row : rep.rows) {
    CHECK(row.results[0].count == 2);
    if (rep.columns[row.results[0].column].policy == "rollout") {
      CHECK(row.results[0].actions == (action_warn | action_audit));
    } else {
      CHECK(row.results[0].actions == (action_deny | action_audit));
      CHECK(row.results[0].outcome == result::fail);
    }
  }
}

TEST_CASE("VM policy findings are read back per policy and rule", "[audit][log-reader][vm]") {
  // One request over two limits of a Deny VM policy, and a Warn+Audit VM policy: the lines
  // serve --audit-log writes for them (format_log_lines), twice.
  log_request r = peergate::testing::sample_log_request();
  r.uid = "req-1";
  r.name = "";
  r.generate_name = "train-";
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const std::vector<finding> findings{
      {"team-vm-limits", rule_kind::vm_vcpus, {.deny = true}, finding_result::violation, "8 vCPUs"},
      {"team-vm-limits", rule_kind::vm_memory, {.deny = true}, finding_result::pass, ""},
      {"team-vm-limits", rule_kind::vm_gpus, {.deny = true}, finding_result::violation, "2 GPUs"},
      {"vm-images", rule_kind::vm_image, {.warn = true, .audit = true}, finding_result::violation, "image"}};
  std::string text = format_log_lines(r, findings, at);
  r.uid = "req-2";
  text += format_log_lines(r, findings, at + std::chrono::seconds(60));
  const report rep = read(text);
  CHECK(rep.log_lines == 8);  // a request: vcpus, gpus, and image twice (warn, audit)
  std::map<std::string, const row*> by_label;
  for (const auto& row : rep.rows) by_label[rep.column_label(row.results.at(0).column)] = &row;
  REQUIRE(by_label.size() == 3);
  const row* vcpus = by_label.at("team-vm-limits (vcpus)");
  const row* gpus = by_label.at("team-vm-limits (gpus)");
  const row* image = by_label.at("vm-images (image)");
  for (const row* x : {vcpus, gpus, image}) CHECK(x->results[0].count == 2);
  CHECK(vcpus->results[0].outcome == result::fail);
  CHECK(rep.object_label(*vcpus) == "Pod/train-*");
  CHECK(rep.str(vcpus->results[0].message) == "8 vCPUs");
  CHECK(rep.str(gpus->results[0].message) == "2 GPUs");
  CHECK(image->results[0].outcome == result::warn);
  CHECK(image->results[0].actions == (action_warn | action_audit));  // two lines, one decision

  // The columns keep the rule words the writer wrote, so every format shows them.
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& c : rep.columns) columns.emplace_back(c.policy, c.rule);
  CHECK(columns == std::vector<std::pair<std::string, std::string>>{
                       {"team-vm-limits", "vcpus"}, {"team-vm-limits", "gpus"}, {"vm-images", "image"}});
  const report_summary s = summarize(rep);
  CHECK(s.total[result::fail] == 4);
  CHECK(s.total[result::warn] == 2);
}
