#pragma once
// Decides whether an allowed-namespace regex can match any namespace name at all, so the policy
// loader can warn about patterns such as `ML-.*`, `team_.*` or `.*\.prod` that silently allow
// nothing. Runs once per pattern at load time, never on the request path.

#include <string>
#include <string_view>

namespace peergate {

// True when some DNS-1123 label ([a-z0-9]([-a-z0-9]*[a-z0-9])?, 1..63 characters) is matched in
// full by `pattern` (RE2 syntax, default options, whole-string match). Exact: false means no
// label can ever match. Precondition: the pattern compiles with RE2; when it does not, or when
// it uses syntax the analysis does not model, the answer is true, so it never raises a false
// warning.
bool regex_can_match_dns1123_label(std::string_view pattern);

// The same question with its evidence, for messages and tests.
struct label_match_analysis {
  enum class verdict {
    matches,        // `example` is a label the pattern matches (checked with RE2 itself)
    never_matches,  // no label of 1..63 characters matches
    unknown,        // the pattern does not compile, or uses syntax the analysis does not model
  };
  verdict result = verdict::unknown;
  std::string example;  // the shortest matching label, when result == matches
};

label_match_analysis analyze_dns1123_label_match(std::string_view pattern);

}  // namespace peergate
