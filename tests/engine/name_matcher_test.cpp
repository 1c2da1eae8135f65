#include "engine/match/name_matcher.hpp"

#include <catch2/catch.hpp>

using namespace peergate;

namespace {
name_matcher make(std::initializer_list<name_pattern> patterns) {
  name_matcher m;
  for (const auto& p : patterns) REQUIRE_FALSE(m.add(p));
  REQUIRE_FALSE(m.compile());
  return m;
}
}  // namespace

TEST_CASE("exact names match only themselves") {
  auto m = make({{name_pattern::kind::exact, "confidential-ai"}});
  CHECK(m.matches("confidential-ai"));
  CHECK_FALSE(m.matches("confidential-ai2"));
  CHECK_FALSE(m.matches("confidential"));
  CHECK_FALSE(m.matches(""));
}

TEST_CASE("globs: * is any run, ? one character, the rest literal, whole name") {
  auto m = make({{name_pattern::kind::glob, "team-*"}, {name_pattern::kind::glob, "ml-??"}});
  CHECK(m.matches("team-"));
  CHECK(m.matches("team-a-b"));
  CHECK_FALSE(m.matches("xteam-a"));
  CHECK(m.matches("ml-ab"));
  CHECK_FALSE(m.matches("ml-abc"));
  CHECK_FALSE(m.matches("ml-a"));
}

TEST_CASE("glob metacharacters of RE2 are literal in globs") {
  auto m = make({{name_pattern::kind::glob, "a.b*"}, {name_pattern::kind::glob, "(x)+?"}});
  CHECK(m.matches("a.bc"));
  CHECK_FALSE(m.matches("axbc"));
  CHECK(m.matches("(x)+1"));
  CHECK(glob_to_regex("a.b*") == "a\\.b.*");
}

TEST_CASE("regexes must match the whole name") {
  auto m = make({{name_pattern::kind::regex, "ml-[a-z0-9-]+"}});
  CHECK(m.matches("ml-team-1"));
  CHECK_FALSE(m.matches("prod-ml-team"));
  CHECK_FALSE(m.matches("ml-team-1.x"));
  CHECK_FALSE(m.matches("ml-"));
}

TEST_CASE("an invalid regex is refused with RE2's reason and not added") {
  name_matcher m;
  auto error = m.add({name_pattern::kind::regex, "ml-("});
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("missing )"));
  CHECK(m.patterns().empty());
}

TEST_CASE("an empty matcher matches nothing") {
  name_matcher m;
  REQUIRE_FALSE(m.compile());
  CHECK_FALSE(m.matches("default"));
  CHECK_FALSE(m.matches(""));
}

TEST_CASE("many mixed entries: exact, glob and regex all answer") {
  name_matcher m;
  for (int i = 0; i < 3000; ++i) {
    m.add({name_pattern::kind::exact, "ns-" + std::to_string(i)});
    m.add({name_pattern::kind::glob, "team" + std::to_string(i) + "-*"});
    m.add({name_pattern::kind::regex, "ml" + std::to_string(i) + "-[a-z]+"});
  }
  REQUIRE_FALSE(m.compile());
  CHECK(m.matches("ns-2999"));
  CHECK(m.matches("team1234-x"));
  CHECK(m.matches("ml77-abc"));
  CHECK_FALSE(m.matches("ml77-123"));
  CHECK_FALSE(m.matches("ns-3000"));
}

TEST_CASE("display shows how people wrote the entry") {
  CHECK(name_pattern{name_pattern::kind::exact, "a"}.display() == "a");
  CHECK(name_pattern{name_pattern::kind::glob, "a-*"}.display() == "a-*");
  CHECK(name_pattern{name_pattern::kind::regex, "a.+"}.display() == "/a.+/");
}
