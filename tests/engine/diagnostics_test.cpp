#include "engine/diagnostics.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <string>

using namespace peergate;

namespace {

// The rows `| `code` | severity | ...` of the table in docs/policy-reference.md's section
// "Error catalogue of `peergate check`", as code -> severity.
std::map<std::string, std::string> documented_codes() {
  std::ifstream in(PEERGATE_SOURCE_DIR "/docs/policy-reference.md");
  REQUIRE(in);
  std::map<std::string, std::string> out;
  bool in_section = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) in_section = line.find("Error catalogue of `peergate check`") != std::string::npos;
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const auto code_end = line.find("` |", 3);
    REQUIRE(code_end != std::string::npos);
    const std::string code = line.substr(3, code_end - 3);
    const auto level_begin = code_end + 4;
    const std::string level = line.substr(level_begin, line.find(" |", level_begin) - level_begin);
    INFO(line);
    CHECK(out.emplace(code, level).second);  // each code once
  }
  return out;
}

}  // namespace

TEST_CASE("the catalogue in docs/policy-reference.md lists exactly the codes of the table, with their severity") {
  const auto documented = documented_codes();
  REQUIRE_FALSE(documented.empty());
  std::set<std::string> in_table;
  for (const diagnostic_code_info& info : diagnostic_catalogue()) {
    const std::string code(info.text);
    in_table.insert(code);
    INFO("code " << code);
    auto it = documented.find(code);
    CHECK(it != documented.end());
    if (it != documented.end()) CHECK(it->second == to_string(info.level));
  }
  for (const auto& [code, level] : documented) {
    INFO("documented code " << code << " is not in the table of engine/diagnostics.cpp");
    CHECK(in_table.contains(code));
  }
}

TEST_CASE("each code renders as its text and takes its severity from the table") {
  CHECK(to_string(diagnostic_code::duplicate_key) == "duplicate-key");
  CHECK(describe(diagnostic_code::unknown_field).level == severity::warning);
  diagnostics d;
  d.add(diagnostic_code::unknown_field, {"p.yaml", 3, 5}, "unknown field \"x\"", "  x: 1");
  d.add(diagnostic_code::duplicate_name, {"p.yaml", 0, 0}, "twice");
  CHECK(d.items()[0].level == severity::warning);
  CHECK(d.items()[1].level == severity::error);
  CHECK(d.render_text() == "p.yaml:3:5: warning: unknown field \"x\" [unknown-field]\n    x: 1\n      ^\n"
                           "p.yaml: error: twice [duplicate-name]\n");
  CHECK(d.summary() == "1 error, 1 warning");
}

TEST_CASE("sorting orders by the given file order, then line and column, keeping ties in order") {
  diagnostics d;
  d.add(diagnostic_code::wrong_type, {"b.yaml", 2, 1}, "b2");
  d.add(diagnostic_code::wrong_type, {"a.yaml", 9, 1}, "a9");
  d.add(diagnostic_code::wrong_type, {"b.yaml", 1, 4}, "b1");
  d.add(diagnostic_code::empty_file, {"a.yaml", 0, 0}, "a0");
  d.add(diagnostic_code::wrong_type, {"a.yaml", 9, 1}, "a9 second");
  d.sort({"b.yaml", "a.yaml"});
  std::vector<std::string> order;
  for (const auto& item : d.items()) order.push_back(item.message);
  CHECK(order == std::vector<std::string>{"b1", "b2", "a0", "a9", "a9 second"});
}
