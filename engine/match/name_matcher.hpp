#pragma once
// Matches a name (namespace, username, group) against a list of entries: exact names, globs
// (`*` any run, `?` one character) and RE2 patterns (whole-name match). A matcher is built from
// its whole list in one step and never changes afterwards: exact names in a hash set, globs and
// regexes together in one anchored RE2::Set, so the cost of a match does not grow with the
// number of entries. A few globs (the usual `team-*`) are first tried glob by glob: that costs
// tens of instructions where RE2::Set::Match costs hundreds; without a regex the set is skipped.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peergate {

struct name_pattern {
  enum class kind { exact, glob, regex };
  kind type = kind::exact;
  std::string text;

  // How people wrote it: `team-a`, `team-*`, `/ml-[a-z]+/`.
  std::string display() const;
};

// Converts a glob to an equivalent RE2 pattern (literal characters quoted).
std::string glob_to_regex(std::string_view glob);

// Whether `name` matches `glob` whole (`*` any run of bytes, `?` one byte), as the RE2 pattern of
// glob_to_regex does: a short list of globs is matched with it rather than through RE2.
bool glob_matches(std::string_view glob, std::string_view name);

// RE2's reason when `pattern` is not a regex the matcher accepts, or nullopt. The policy reader
// checks each regex entry with it, so a document with other errors still reports its regexes.
std::optional<std::string> regex_syntax_error(std::string_view pattern);

// Why a list could not be built: one pattern RE2 rejects (`pattern` is its index), or the list
// as a whole (`pattern` is nullopt: the globs and regexes together exceed RE2's memory budget).
struct pattern_error {
  std::optional<std::size_t> pattern;
  std::string reason;
};

class name_matcher;
struct name_matcher_build;

class name_matcher {
 public:
  // The matcher of the empty list: it matches nothing.
  name_matcher();

  // The matcher of `patterns`, or the reason of every pattern RE2 rejects.
  static name_matcher_build build(std::vector<name_pattern> patterns);

  bool matches(std::string_view name) const;
  // Indexes into patterns() of every entry that matches `name` (for load-time checks; it scans
  // the exact entries, so it is not for the request path).
  std::vector<std::size_t> matching_patterns(std::string_view name) const;
  bool empty() const { return patterns().empty(); }
  const std::vector<name_pattern>& patterns() const;

 private:
  struct compiled;
  explicit name_matcher(std::shared_ptr<const compiled> state);
  // Immutable once built; shared by copies of the matcher (and of the policy set holding it).
  std::shared_ptr<const compiled> state_;
};

// Either a matcher or every reason it could not be built.
struct name_matcher_build {
  std::optional<name_matcher> matcher;
  std::vector<pattern_error> errors;  // empty exactly when `matcher` is set
};

}  // namespace peergate
