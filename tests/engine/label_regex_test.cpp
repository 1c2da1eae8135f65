#include "engine/match/label_regex.hpp"

#include <re2/re2.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using peergate::analyze_dns1123_label_match;
using peergate::label_match_analysis;
using peergate::regex_can_match_dns1123_label;
using verdict = label_match_analysis::verdict;

bool is_dns1123_label(const std::string& s) {
  static const RE2 label("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return s.size() <= 63 && RE2::FullMatch(s, label);
}

// Every label over `alphabet` up to `max_length` characters, shortest first.
std::vector<std::string> all_labels(std::string_view alphabet, std::size_t max_length) {
  std::vector<std::string> words{""}, labels;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i].size() == max_length) continue;
    for (char c : alphabet) words.push_back(words[i] + c);
  }
  for (const std::string& w : words)
    if (!w.empty() && is_dns1123_label(w)) labels.push_back(w);
  return labels;
}

struct row {
  std::string_view pattern;
  bool can_match;
};

// Mistakes policy authors make, and the patterns they meant.
const row cases[] = {
    // Never a namespace name: the loader must warn.
    {"ML-.*", false},  // namespace names are lowercase
    {"[A-Z]+", false},
    {"team_.*", false},  // no underscores
    {"kube_system", false},
    {".*\\.prod", false},  // no dots in a label
    {"team\\s.*", false},  // no spaces
    {"-foo", false},       // cannot start with a dash
    {"foo-", false},       // cannot end with a dash
    {"a-", false},
    {"-a", false},
    {"-.*", false},
    {"\\W+", false},   // only dashes
    {"a{64}", false},  // 64 characters is one too many
    {"[a-z]{64}", false},
    {"(?:[a-z]{21}){3}x", false},
    {"(?:a-){31}aa", false},  // 64 with dashes
    {"", false},              // matches only the empty string
    {"x{0}", false},
    {"^$", false},
    {"[^a-z0-9-]+", false},
    {"(?i)[^a-z0-9-]", false},    // folding happens before negation
    {"(?i:TEAM)-[A-Z]+", false},  // the flag ends with its group
    {"[[:upper:]]+", false},
    {"\\Qprod.\\E", false},  // quoted dot is a dot
    {"\\x2d", false},        // a dash alone
    {"a^b", false},          // anchors in the middle
    {"a$b", false},
    {"\\Aa\\z\\Ab", false},
    {"a\\B-", false},  // a-z then '-' is a word boundary
    {"foo\\b\\B", false},
    {"(?:\\b\\B?){1000}", false},          // only the empty string
    {"(?i)[^\\x{212A}a-jl-z0-9]", false},  // KELVIN SIGN folds to k before negation
    {"(?i)[^\\x{17F}a-rt-z0-9]", false},   // and LONG S to s
    // Some namespace name matches: no warning.
    {"^prod$", true},
    {"\\Aprod\\z", true},
    {"(?m)^prod$", true},
    {"(ML|ml)-.*", true},  // one valid branch is enough
    {"a|-", true},
    {"(?i)ML-.*", true},
    {"(?i)TEAM-[A-Z]+", true},
    {"(?:a(?i)B|C)", true},             // (?i) lasts until its group closes, across '|'
    {"(?i)\\x{212A}ube-system", true},  // KELVIN SIGN folds to k
    {"[^\\x{212A}a-jl-z0-9]", true},    // k, without folding
    {"[a-z]{63}", true},
    {"(?:a-){31}a", true},  // 63 with dashes
    {"[a-z]{1,1000}", true},
    {"(?:a?){1000}", true},
    {".*", true},
    {"(?s).+", true},
    {"(?U)a+?", true},
    {"\\d+", true},
    {"team-.*", true},
    {"ml-[a-z0-9-]+", true},
    {"[a-z0-9]([-a-z0-9]*[a-z0-9])?", true},
    {"(?P<team>[a-z]+)-(?:dev|prod)", true},
    {"[[:lower:]]+", true},
    {"(?i)[[:upper:]]+", true},
    {"\\141", true},  // octal 'a'
    {"\\x{61}\\x2d\\x{62}", true},
    {"\\Qprod\\E", true},
    {"\\bfoo\\b", true},
    {"a\\b-\\bb", true},
    {"[\\w-]+", true},
    {"[^_\\W]", true},
};

}  // namespace

TEST_CASE("label_regex: patterns that can or cannot match a namespace name", "[label_regex]") {
  for (const row& r : cases) {
    CAPTURE(r.pattern);
    CHECK(regex_can_match_dns1123_label(r.pattern) == r.can_match);
    // The analysis must be decided, not give up, on all of these.
    label_match_analysis a = analyze_dns1123_label_match(r.pattern);
    CHECK(a.result == (r.can_match ? verdict::matches : verdict::never_matches));
    if (a.result == verdict::matches) {
      CAPTURE(a.example);
      CHECK(is_dns1123_label(a.example));
      CHECK(RE2::FullMatch(a.example, RE2(std::string(r.pattern))));
    }
  }
}

TEST_CASE("label_regex: the example is a shortest matching label", "[label_regex]") {
  CHECK(analyze_dns1123_label_match("[a-z]{63}").example == std::string(63, 'a'));
  CHECK(analyze_dns1123_label_match("(ML|ml)-.*").example == "ml-a");
  CHECK(analyze_dns1123_label_match("(?i)TEAM|x").example == "x");
  CHECK(analyze_dns1123_label_match("[a-z]+-[0-9]+").example == "a-0");
}

TEST_CASE("label_regex: unknown syntax and invalid patterns never warn", "[label_regex]") {
  // \p classes are read as "any character"; negating that would be unsafe, so it gives up.
  for (std::string_view p : {"[^\\pL]", "[^\\p{Greek}]+", "\\PL"}) {
    CAPTURE(p);
    CHECK(regex_can_match_dns1123_label(p));
  }
  CHECK(analyze_dns1123_label_match("[^\\pL]").result == verdict::unknown);
  // Not valid RE2 (the precondition): answered "can match" so no misleading warning is added.
  for (std::string_view p : {"(", "a**", "x{2}{3}", "\\8", "(?=a)", "(?P=n)", "a{1001}", "[z-a]"}) {
    CAPTURE(p);
    CHECK(analyze_dns1123_label_match(p).result == verdict::unknown);
    CHECK(regex_can_match_dns1123_label(p));
  }
  // Absurd nesting gives up before spending stack or time.
  std::string deep = std::string(5000, '(') + "_" + std::string(5000, ')');
  CHECK(analyze_dns1123_label_match(deep).result == verdict::unknown);
  std::string nested = std::string(150, '(') + "_" + std::string(150, ')');
  CHECK(analyze_dns1123_label_match(nested).result == verdict::never_matches);
}

// Random patterns from a grammar of the syntax the analysis models, checked against RE2 itself:
// an example must be a label RE2 matches with no shorter label matching, and "never matches" must
// agree with a brute force over short labels.
TEST_CASE("label_regex: agrees with RE2 on random patterns", "[label_regex]") {
  static const char* const atoms[] = {"a",
                                      "b",
                                      "A",
                                      "K",
                                      "s",
                                      "-",
                                      "_",
                                      ".",
                                      "0",
                                      "\\d",
                                      "\\w",
                                      "\\W",
                                      "\\D",
                                      "\\s",
                                      "\\S",
                                      "[a-]",
                                      "[^a]",
                                      "[^-]",
                                      "[[:upper:]]",
                                      "[^[:alpha:]]",
                                      "\\b",
                                      "\\B",
                                      "^",
                                      "$",
                                      "\\A",
                                      "\\z",
                                      "\\x{212A}",
                                      "\\x2d",
                                      "\\-",
                                      "\\141",
                                      "[\\w-]",
                                      "[A-Z0-9]",
                                      "\\Qa-\\E",
                                      "é",
                                      "[^\\W]",
                                      "[^\\D-]",
                                      "(?i)",
                                      "(?-i)",
                                      "k",
                                      "\\x{17F}",
                                      "[^\\x{17F}]",
                                      "[^a-z]",
                                      "[^[:^lower:]]"};
  static const char* const groups[] = {"(?:", "(?i:", "(", "(?-i:"};
  static const char* const quantifiers[] = {"*", "+", "?", "{0,2}", "{2}", "{1,}", "*?", "{3}"};
  std::mt19937 rng(20240601);
  auto pick = [&rng](const auto& list) -> std::string { return list[rng() % std::size(list)]; };
  auto generate = [&](auto& self, int depth) -> std::string {
    unsigned r = rng() % 10;
    if (depth > 3 || r < 4) return pick(atoms);
    if (r < 6) return self(self, depth + 1) + self(self, depth + 1);
    if (r < 7) return self(self, depth + 1) + "|" + self(self, depth + 1);
    if (r < 8) return pick(groups) + self(self, depth + 1) + ")";
    return "(?:" + self(self, depth + 1) + ")" + pick(quantifiers);
  };
  const std::vector<std::string> labels = all_labels("abks0-", 4);
  RE2::Options quiet;
  quiet.set_log_errors(false);
  int decided = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string pattern = generate(generate, 0) + generate(generate, 0);
    RE2 re(pattern, quiet);
    if (!re.ok()) continue;
    CAPTURE(pattern);
    label_match_analysis a = analyze_dns1123_label_match(pattern);
    REQUIRE(a.result != verdict::unknown);
    ++decided;
    // The shortest label of the brute force that RE2 matches, if any.
    std::string shortest;
    for (const std::string& l : labels) {
      if (RE2::FullMatch(l, re)) {
        shortest = l;
        break;
      }
    }
    CAPTURE(shortest);
    if (a.result == verdict::matches) {
      CAPTURE(a.example);
      REQUIRE(is_dns1123_label(a.example));
      REQUIRE(RE2::FullMatch(a.example, re));
      REQUIRE((shortest.empty() || shortest.size() >= a.example.size()));
    } else {
      REQUIRE(shortest.empty());
    }
  }
  CHECK(decided > 1000);
}
