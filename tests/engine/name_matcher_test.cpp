#include "engine/match/name_matcher.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

using namespace peergate;

namespace {
name_matcher make(std::vector<name_pattern> patterns) {
  name_matcher_build built = name_matcher::build(std::move(patterns));
  REQUIRE(built.errors.empty());
  REQUIRE(built.matcher);
  return *built.matcher;
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

TEST_CASE("a list with invalid regexes builds no matcher and names each bad pattern with RE2's reason") {
  name_matcher_build built = name_matcher::build({{name_pattern::kind::regex, "ml-("},
                                                  {name_pattern::kind::exact, "team-a"},
                                                  {name_pattern::kind::regex, "ok-.*"},
                                                  {name_pattern::kind::regex, "[z-a]"}});
  CHECK_FALSE(built.matcher);
  REQUIRE(built.errors.size() == 2);
  CHECK(built.errors[0].pattern == std::optional<std::size_t>(0));
  CHECK_THAT(built.errors[0].reason, Catch::Contains("missing )"));
  CHECK(built.errors[1].pattern == std::optional<std::size_t>(3));
  CHECK(regex_syntax_error("ml-(") == built.errors[0].reason);
  CHECK_FALSE(regex_syntax_error("ml-[a-z]+"));
}

TEST_CASE("an empty matcher matches nothing, built or default") {
  for (const name_matcher& m : {make({}), name_matcher()}) {
    CHECK(m.empty());
    CHECK_FALSE(m.matches("default"));
    CHECK_FALSE(m.matches(""));
  }
}

TEST_CASE("a copy answers as the original (the compiled state is shared and never changes)") {
  const name_matcher original = make({{name_pattern::kind::exact, "a"}, {name_pattern::kind::glob, "b-*"}});
  name_matcher copy = original;
  copy = make({});
  CHECK(original.matches("b-1"));
  CHECK_FALSE(copy.matches("b-1"));
  CHECK(original.matching_patterns("b-1") == std::vector<std::size_t>{1});
}

TEST_CASE("many mixed entries: exact, glob and regex all answer") {
  std::vector<name_pattern> patterns;
  for (int i = 0; i < 3000; ++i) {
    patterns.push_back({name_pattern::kind::exact, "ns-" + std::to_string(i)});
    patterns.push_back({name_pattern::kind::glob, "team" + std::to_string(i) + "-*"});
    patterns.push_back({name_pattern::kind::regex, "ml" + std::to_string(i) + "-[a-z]+"});
  }
  const name_matcher m = make(std::move(patterns));
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

// A few globs are matched by glob_matches, more (or any with a regex) by RE2::Set: the two must
// agree. Random globs and names over a small alphabet (so that stars, '?', repeats and RE2's
// metacharacters meet often), each glob asked through a list of its own and through the same glob
// as the RE2 regex glob_to_regex makes of it.
TEST_CASE("glob_matches agrees with RE2 on random globs and names") {
  std::mt19937 random(7);
  const std::string glob_bytes = "ab-.*?*[\\\n\xe9";
  const std::string name_bytes = "ab-.*?[\\\n\xe9";
  const auto text = [&random](const std::string& alphabet, std::size_t longest) {
    std::string out;
    for (std::size_t n = random() % (longest + 1); n > 0; --n) out += alphabet[random() % alphabet.size()];
    return out;
  };
  std::size_t matched = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string glob = text(glob_bytes, 7);
    const name_matcher direct = make({{name_pattern::kind::glob, glob}});
    const name_matcher through_re2 = make({{name_pattern::kind::regex, glob_to_regex(glob)}});
    // With a regex beside it the glob is still tried first, the set after it.
    const name_matcher mixed = make({{name_pattern::kind::glob, glob}, {name_pattern::kind::regex, "q+"}});
    REQUIRE(mixed.matches("qq"));
    for (int j = 0; j < 20; ++j) {
      const std::string name = text(name_bytes, 9);
      INFO("glob \"" << glob << "\", name \"" << name << "\"");
      const bool expected = through_re2.matches(name);
      REQUIRE(glob_matches(glob, name) == expected);
      REQUIRE(direct.matches(name) == expected);
      REQUIRE(mixed.matches(name) == expected);  // no name here is made of 'q's
      matched += expected ? 1 : 0;
    }
  }
  CHECK(matched > 3000);  // the random cases are not all misses
}

TEST_CASE("lists past the direct-glob limit answer as short ones") {
  std::vector<name_pattern> many;
  for (int i = 0; i < 12; ++i) many.push_back({name_pattern::kind::glob, "team-" + std::to_string(i) + "-*"});
  const name_matcher long_list = make(many);
  for (int i = 0; i < 12; ++i) {
    const name_matcher short_list = make({many[static_cast<std::size_t>(i)]});
    const std::string name = "team-" + std::to_string(i) + "-x";
    CHECK(long_list.matches(name));
    CHECK(short_list.matches(name));
    CHECK_FALSE(short_list.matches("team-" + std::to_string(i)));
  }
  CHECK_FALSE(long_list.matches("team-12-x"));
}
