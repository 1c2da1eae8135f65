#pragma once
// Diagnostics are values: every problem found while loading policies or reading input is
// collected with where it came from, so a policy author sees all of them at once. The codes are a
// closed set with one table (code, text, severity, description), which the catalogue in
// docs/policy-reference.md is checked against.

#include <span>
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

enum class diagnostic_code {
  yaml_syntax,
  unreadable_file,
  empty_file,
  wrong_type,
  duplicate_key,
  unknown_field,
  missing_field,
  unknown_kind,
  unknown_api_version,
  invalid_name,
  reserved_name,
  empty_entry,
  duplicate_name,
  empty_list,
  unknown_enum,
  duplicate_entry,
  deny_with_warn,
  invalid_namespace_name,
  invalid_glob,
  invalid_regex,
  regex_never_matches,
  unknown_placeholder,
  message_control_characters,
  duplicate_mutation,
  allowed_but_excluded,
  environment_mismatch,
  invalid_limit,
  invalid_quantity,
  memory_without_unit,
  invalid_digest,
  no_vm_limits,
  vm_namespaces_without_peer_pods,
  unknown_policy,
  invalid_time,
  invalid_duration,
  exception_expired,
  exception_far_expiry,
  exception_already_allowed,
  internal_error,
};

struct diagnostic_code_info {
  diagnostic_code code;
  std::string_view text;  // stable identifier shown in brackets, e.g. "duplicate-key"
  severity level;
  std::string_view description;  // one line, for people
};

// Every code, in the order of the catalogue in docs/policy-reference.md.
std::span<const diagnostic_code_info> diagnostic_catalogue();
const diagnostic_code_info& describe(diagnostic_code code);
std::string_view to_string(diagnostic_code code);
std::string_view to_string(severity level);

struct diagnostic {
  severity level = severity::error;  // always describe(code).level
  diagnostic_code code = diagnostic_code::internal_error;
  source_location where;
  std::string message;
  std::string source_line;  // the offending line's text, for the caret snippet; may be empty
};

class diagnostics {
 public:
  // The severity is the code's, from the table.
  void add(diagnostic_code code, source_location where, std::string message, std::string source_line = {});
  void append(const diagnostics& other);
  // Orders the items by `file_rank` (files not ranked last), then line, then column (stable).
  void sort(const std::vector<std::string>& file_rank);

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
