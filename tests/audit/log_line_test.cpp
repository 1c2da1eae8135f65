#include "audit/log_line.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>

#include "tests/support/log_request.hpp"

using namespace peergate;
using namespace peergate::audit;
namespace json = boost::json;
using peergate::testing::sample_log_request;

namespace {

const std::chrono::system_clock::time_point fixed_time{std::chrono::microseconds(1700000000123456)};

}  // namespace

TEST_CASE("a line per Warn or Audit violation and per denial, with the request's fields", "[audit][log-line]") {
  const std::vector<finding> findings{
      {"enforced", rule_kind::allowed_namespaces, {.deny = true}, finding_result::violation, "not here"},
      // One finding of a [Warn, Audit] policy: a line per action, as the format has always had.
      {"rollout",
       rule_kind::allowed_namespaces,
       {.warn = true, .audit = true},
       finding_result::violation,
       "soon not here"},
      {"other", rule_kind::allowed_namespaces, {.deny = true}, finding_result::pass, ""},
      {"peer-pods", rule_kind::mutation, {}, finding_result::skip, "excluded"},
  };
  log_request r = sample_log_request();
  r.denied = true;
  r.message = "[enforced] not here";
  std::size_t count = 0;
  const std::string text = format_log_lines(r, findings, fixed_time, &count);
  CHECK(count == 3);
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        R"({"time":"2023-11-14T22:13:20.123456Z","uid":"705ab4f5-6393-11e8-b7cc-42010a800002","user":"alice",)"
        R"("operation":"CREATE","kind":"Pod","namespace":"team-a","name":"web","policy":"enforced",)"
        R"("rule":"allowed-namespaces","action":"deny","message":"not here"})");
  CHECK(json::parse(lines[1]).at("action") == "warn");
  CHECK(json::parse(lines[2]).at("action") == "audit");
}

TEST_CASE("generateName stands in for a missing name, a denial without a finding is logged", "[audit][log-line]") {
  log_request r = sample_log_request();
  r.name = "";
  r.generate_name = "web-7c5d-";
  r.denied = true;
  r.message = "spec.runtimeClassName must be a string";
  const std::string text = format_log_lines(r, {}, fixed_time);
  const json::value v = json::parse(text);
  CHECK(v.at("generateName") == "web-7c5d-");
  CHECK_FALSE(v.as_object().contains("name"));
  CHECK(v.at("policy") == "");
  CHECK(v.at("action") == "deny");
  CHECK(v.at("message") == "spec.runtimeClassName must be a string");

  const std::vector<finding> refused{{"peer-pods", rule_kind::mutation, {}, finding_result::error, "no containers"}};
  CHECK(json::parse(format_log_lines(r, refused, fixed_time)).at("policy") == "peer-pods");

  // Allowed without a Warn or Audit violation: nothing to log.
  const std::vector<finding> passed{
      {"enforced", rule_kind::allowed_namespaces, {.deny = true}, finding_result::pass, ""}};
  CHECK(format_log_lines(sample_log_request(), passed, fixed_time).empty());
}

TEST_CASE("the reader reads back what the writer formats", "[audit][log-line]") {
  log_request r = sample_log_request();
  r.name = "";
  r.generate_name = "web-7c5d-";
  const std::vector<finding> findings{
      {"peer-pods", rule_kind::accounting, {.audit = true}, finding_result::violation, "not \"counted\"\n"}};
  const std::string text = format_log_lines(r, findings, fixed_time);
  const parsed_log_line p = parse_log_line(text.substr(0, text.size() - 1));
  REQUIRE(p.what == parsed_log_line::kind::entry);
  CHECK(p.entry.time_us == 1700000000123456);
  CHECK(p.entry.uid == "705ab4f5-6393-11e8-b7cc-42010a800002");
  CHECK(p.entry.user == "alice");
  CHECK(p.entry.operation == "CREATE");
  CHECK(p.entry.kind == "Pod");
  CHECK(p.entry.namespace_name == "team-a");
  CHECK(p.entry.name.empty());
  CHECK(p.entry.generate_name == "web-7c5d-");
  CHECK(p.entry.policy == "peer-pods");
  CHECK(p.entry.rule == "accounting");
  CHECK(p.entry.action == policy_action::audit);
  CHECK(p.entry.message == "not \"counted\"\n");

  const std::string marker = format_dropped_line(12, fixed_time);
  const parsed_log_line m = parse_log_line(marker);
  REQUIRE(m.what == parsed_log_line::kind::dropped_marker);
  CHECK(m.dropped == 12);

  CHECK(parse_log_line("  \r").what == parsed_log_line::kind::blank);
  const parsed_log_line bad = parse_log_line(R"({"time":"2024-05-01T00:00:00Z","action":"block"})");
  CHECK(bad.what == parsed_log_line::kind::unreadable);
  CHECK(bad.problem == "unknown action \"block\" (deny, warn or audit)");
}
