// The CI formats' escaping and shape: GitHub workflow commands, XML text and attributes of the
// JUnit report, SARIF's rules and locations. The whole outputs, as their consumers read them,
// are checked by tests/cli/check_ci_formats.py and check_junit.py, and shown in the golden cases
// tests/golden/check/*-sarif, *-github and tests/golden/test/*-junit.
#include <catch2/catch.hpp>
#include <boost/json.hpp>
#include <sstream>

#include "cli/check_formats.hpp"
#include "cli/junit_report.hpp"

namespace json = boost::json;
using namespace peergate;
using namespace peergate::cli;

TEST_CASE("github: the escaping GitHub documents for messages and properties", "[cli][ci]") {
  CHECK(github_escape_data("100% of a:b, c\r\nd") == "100%25 of a:b, c%0D%0Ad");
  CHECK(github_escape_property("100% of a:b, c\r\nd") == "100%25 of a%3Ab%2C c%0D%0Ad");
  // %25 first: an escape in the input is not read back as the character it names.
  CHECK(github_escape_data("%0A") == "%250A");
}

TEST_CASE("github: one command per diagnostic, no line or column when unknown", "[cli][ci]") {
  diagnostics problems;
  problems.add(diagnostic_code::invalid_glob, {"dir/a, b.yaml", 3, 7}, "bad glob: x");
  problems.add(diagnostic_code::empty_file, {"empty.yaml", 0, 0}, "no document");
  problems.add(diagnostic_code::unknown_field, {"c.yaml", 4, 0}, "unknown");
  std::ostringstream out;
  render_github(problems, out);
  CHECK(out.str() == "::error file=dir/a%2C b.yaml,line=3,col=7,title=invalid-glob::bad glob: x\n"
                     "::warning file=empty.yaml,title=empty-file::no document\n"
                     "::warning file=c.yaml,line=4,title=unknown-field::unknown\n"
                     "1 error, 2 warnings\n");
}

TEST_CASE("sarif: a rule per catalogue code, results pointing at them", "[cli][ci]") {
  diagnostics problems;
  problems.add(diagnostic_code::duplicate_key, {"sub dir/p#1.yaml", 2, 5}, "twice");
  problems.add(diagnostic_code::unreadable_file, {"missing.yaml", 0, 0}, "no such file");
  std::ostringstream out;
  render_sarif(problems, out);
  const json::value log = json::parse(out.str());
  CHECK(log.at("version") == "2.1.0");
  const json::object& run = log.at("runs").as_array().at(0).as_object();
  const json::object& driver = run.at("tool").at("driver").as_object();
  CHECK(driver.at("name") == "peergate");
  CHECK(driver.at("version") == PEERGATE_VERSION);
  const json::array& rules = driver.at("rules").as_array();
  REQUIRE(rules.size() == diagnostic_catalogue().size());
  for (const diagnostic_code_info& info : diagnostic_catalogue()) {
    const json::value& rule = rules.at(static_cast<std::size_t>(info.code));
    CHECK(rule.at("id").as_string() == info.text);
    CHECK(rule.at("shortDescription").at("text").as_string() == info.description);
    CHECK(rule.at("defaultConfiguration").at("level") == (info.level == severity::error ? "error" : "warning"));
  }
  const json::array& results = run.at("results").as_array();
  REQUIRE(results.size() == 2);
  CHECK(results[0].at("ruleId") == "duplicate-key");
  CHECK(rules.at(results[0].at("ruleIndex").as_int64()).at("id") == "duplicate-key");
  const json::value& located = results[0].at("locations").at(0).at("physicalLocation");
  CHECK(located.at("artifactLocation").at("uri") == "sub%20dir/p%231.yaml");
  CHECK(located.at("region").at("startLine") == 2);
  CHECK(located.at("region").at("startColumn") == 5);
  // A whole-file problem: the artifact, no region.
  const json::object& whole = results[1].at("locations").at(0).at("physicalLocation").as_object();
  CHECK(whole.at("artifactLocation").at("uri") == "missing.yaml");
  CHECK_FALSE(whole.contains("region"));
}

TEST_CASE("ci paths: relative with '/', normalised", "[cli][ci]") {
  CHECK(ci_path("./policies/a.yaml") == "policies/a.yaml");
  CHECK(ci_path("../x/b.yaml") == "../x/b.yaml");
  CHECK(ci_path("/nowhere-near-the-working-directory/c.yaml") == "/nowhere-near-the-working-directory/c.yaml");
}

TEST_CASE("xml: text and attributes escaped, what XML cannot hold replaced", "[cli][ci]") {
  CHECK(xml_escape_text("a < b && c > \"d\" 'e'") == "a &lt; b &amp;&amp; c &gt; \"d\" 'e'");
  CHECK(xml_escape_attribute("a < b && \"d\" 'e'") == "a &lt; b &amp;&amp; &quot;d&quot; &apos;e&apos;");
  CHECK(xml_escape_text("line 1\nline 2\ttab\r") == "line 1\nline 2\ttab&#13;");
  CHECK(xml_escape_attribute("line 1\nline 2\ttab") == "line 1&#10;line 2&#9;tab");
  CHECK(xml_escape_text(std::string("nul\0bell\a", 9)) == "nul\xEF\xBF\xBD"
                                                          "bell\xEF\xBF\xBD");
  CHECK(xml_escape_text("caf\xC3\xA9 \xFF \xEF\xBF\xBE") == "caf\xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD");
}

TEST_CASE("junit: suites by file, failures with their diff, errors for suites that did not run", "[cli][ci]") {
  test_run run;
  run.suites.push_back(suite_result{
      .file = "a.yaml", .cases = {{"passes", true, {}}, {"fails <x>", false, {"allowed: expected true", "code"}}}});
  run.suites.push_back(suite_result{.file = "a.yaml", .cases = {{"second suite in a.yaml", true, {}}}});
  run.suites.push_back(
      suite_result{.file = "b.yaml", .error = "b.yaml: its policies do not load:", .error_details = "x\n"});
  std::ostringstream out;
  render_test_junit(run, out);
  CHECK(out.str() ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites name=\"peergate test\" tests=\"4\" failures=\"1\" errors=\"1\">\n"
        "  <testsuite name=\"a.yaml\" tests=\"3\" failures=\"1\" errors=\"0\">\n"
        "    <testcase classname=\"a.yaml\" name=\"passes\"/>\n"
        "    <testcase classname=\"a.yaml\" name=\"fails &lt;x&gt;\">\n"
        "      <failure message=\"allowed: expected true\" type=\"expectation\">allowed: expected "
        "true\ncode\n</failure>\n"
        "    </testcase>\n"
        "    <testcase classname=\"a.yaml\" name=\"second suite in a.yaml\"/>\n"
        "  </testsuite>\n"
        "  <testsuite name=\"b.yaml\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
        "    <testcase classname=\"b.yaml\" name=\"(suite)\">\n"
        "      <error message=\"b.yaml: its policies do not load:\">b.yaml: its policies do not load:\nx\n</error>\n"
        "    </testcase>\n"
        "  </testsuite>\n"
        "</testsuites>\n");
}
