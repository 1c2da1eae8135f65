#pragma once
// Diagnostics are values: every problem found while loading policies or reading input is
// collected with where it came from, so a policy author sees all of them at once.

#include <string>
#include <string_view>
#include <vector>

namespace peergate {

// 1-based line and column; 0 means "unknown" (for example a whole-file problem).
struct source_location {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class severity { error, warning };

struct diagnostic {
  severity level = severity::error;
  std::string code;  // stable identifier from the catalogue in docs/policy-reference.md, e.g. "duplicate-key"
  source_location where;
  std::string message;
  std::string source_line;  // the offending line's text, for the caret snippet; may be empty
};

class diagnostics {
 public:
  void add(severity level, std::string code, source_location where, std::string message,
           std::string source_line = {});
  void error(std::string code, source_location where, std::string message, std::string source_line = {}) {
    add(severity::error, std::move(code), std::move(where), std::move(message), std::move(source_line));
  }
  void warning(std::string code, source_location where, std::string message, std::string source_line = {}) {
    add(severity::warning, std::move(code), std::move(where), std::move(message), std::move(source_line));
  }
  void append(const diagnostics& other);
  // Orders the items from index `first` on by line, then column (stable).
  void sort_from(std::size_t first);

  const std::vector<diagnostic>& items() const { return items_; }
  std::size_t error_count() const;
  std::size_t warning_count() const;
  bool has_errors() const { return error_count() != 0; }

  // "path:line:col: error: text [code]" then the source line and a caret under the column.
  std::string render_text() const;
  // {"diagnostics":[{...}], "errors":N, "warnings":M}
  std::string render_json() const;
  // "N errors, M warnings" (singular forms when 1).
  std::string summary() const;

 private:
  std::vector<diagnostic> items_;
};

std::string render_diagnostic(const diagnostic& d);

}  // namespace peergate
