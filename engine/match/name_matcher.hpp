#pragma once
// Matches a name (namespace, username, group) against a list of entries: exact names, globs
// (`*` any run, `?` one character) and RE2 patterns (whole-name match). Everything is compiled
// once: exact names in a hash set, globs and regexes together in one anchored RE2::Set, so the
// cost of a match does not grow with the number of entries.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
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

// Lets the exact-name set be probed with a string_view, without building a string per request.
struct transparent_string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class name_matcher {
 public:
  name_matcher();
  name_matcher(name_matcher&&) noexcept;
  name_matcher& operator=(name_matcher&&) noexcept;
  ~name_matcher();

  // Adds an entry; for a regex that RE2 rejects, returns RE2's reason and adds nothing.
  std::optional<std::string> add(name_pattern pattern);
  // Compiles the patterns; call once after the last add(). Returns an error only on RE2
  // failures that cannot be blamed on one pattern (memory budget).
  std::optional<std::string> compile();

  bool matches(std::string_view name) const;
  // Indexes into patterns() of every entry that matches `name` (for load-time checks; it scans
  // the exact entries, so it is not for the request path).
  std::vector<std::size_t> matching_patterns(std::string_view name) const;
  bool empty() const { return patterns_.empty(); }
  const std::vector<name_pattern>& patterns() const { return patterns_; }

 private:
  struct compiled;
  std::vector<name_pattern> patterns_;
  std::unordered_set<std::string, transparent_string_hash, std::equal_to<>> exact_;
  std::vector<std::string> regexes_;  // RE2 sources of globs and regexes, in order
  std::vector<std::size_t> set_index_;  // regexes_[i] is patterns_[set_index_[i]]
  std::unique_ptr<compiled> compiled_;
};

}  // namespace peergate
