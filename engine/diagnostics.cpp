#include "engine/diagnostics.hpp"

#include <algorithm>
#include <tuple>
#include <boost/json.hpp>

namespace peergate {

namespace {

using enum diagnostic_code;
constexpr severity error = severity::error;
constexpr severity warning = severity::warning;

// One row per code; docs/policy-reference.md lists the same codes with the same severities
// (tests/engine/diagnostics_test.cpp checks it).
constexpr diagnostic_code_info catalogue[] = {
    {yaml_syntax, "yaml-syntax", error, "the file is not valid YAML"},
    {unreadable_file, "unreadable-file", error, "a path does not exist, or a file or directory cannot be read"},
    {empty_file, "empty-file", warning, "a file holds no YAML document with content"},
    {wrong_type, "wrong-type", error, "a value has the wrong YAML type"},
    {duplicate_key, "duplicate-key", error, "the same key twice in one mapping"},
    {unknown_field, "unknown-field", warning, "a key peergate does not know; it is ignored"},
    {missing_field, "missing-field", error, "a required field is absent"},
    {unknown_kind, "unknown-kind", error,
     "kind is not PeerPodPolicy, PeerPodVMPolicy, PeerPodMutation or PeerPodPolicyException"},
    {unknown_api_version, "unknown-api-version", error, "apiVersion is not peergate.dev/v1alpha1"},
    {invalid_name, "invalid-name", error, "a metadata.name, runtime class or extended resource name is malformed"},
    {reserved_name, "reserved-name", error, "metadata.name is the implicit mutation's name"},
    {empty_entry, "empty-entry", error, "an empty exemption, instance type or image entry"},
    {duplicate_name, "duplicate-name", error, "a metadata.name already used by another document"},
    {empty_list, "empty-list", error, "a list that must not be empty is empty"},
    {unknown_enum, "unknown-enum", error, "a word outside its set"},
    {duplicate_entry, "duplicate-entry", warning, "a validation action, or an exception's policy, listed twice"},
    {deny_with_warn, "deny-with-warn", error, "Deny and Warn in one validationActions"},
    {invalid_namespace_name, "invalid-namespace-name", error, "an exact namespace entry that is not a DNS-1123 label"},
    {invalid_glob, "invalid-glob", error,
     "a namespace glob, or an exception's object entry, with a character no such name has"},
    {invalid_regex, "invalid-regex", error, "RE2 rejects a pattern, or a list exceeds RE2's memory budget"},
    {regex_never_matches, "regex-never-matches", warning, "no namespace name can match the regex"},
    {unknown_placeholder, "unknown-placeholder", error, "an unknown {word} in spec.message"},
    {message_control_characters, "message-control-characters", warning, "spec.message contains line breaks or tabs"},
    {duplicate_mutation, "duplicate-mutation", error, "a second PeerPodMutation for one runtime class"},
    {allowed_but_excluded, "allowed-but-excluded", warning, "a policy allows a namespace its mutation excludes"},
    {environment_mismatch, "environment-mismatch", warning,
     "a document names a runtime class or resource other than TARGET_RUNTIMECLASS / POD_VM_EXTENDED_RESOURCE"},
    {invalid_limit, "invalid-limit", error, "maxVCPUs or maxGPUs is not a whole number from 0 to 4294967295"},
    {invalid_quantity, "invalid-quantity", error, "maxMemory is not a Kubernetes quantity, or is negative"},
    {memory_without_unit, "memory-without-unit", warning, "maxMemory is a bare number of at most 1Mi (bytes)"},
    {invalid_digest, "invalid-digest", error, "an initData digest is not sha256, sha384 or sha512 in lowercase hex"},
    {no_vm_limits, "no-vm-limits", warning, "a PeerPodVMPolicy's spec.vm sets no limit"},
    {vm_namespaces_without_peer_pods, "vm-namespaces-without-peer-pods", warning,
     "a PeerPodVMPolicy namespace entry where no loaded PeerPodPolicy allows peer pods"},
    {unknown_policy, "unknown-policy", error, "an exception names no loaded PeerPodPolicy or PeerPodVMPolicy"},
    {invalid_time, "invalid-time", error, "an exception's expires is not an RFC 3339 time with a zone"},
    {invalid_duration, "invalid-duration", error, "an exception's warnBefore is not a duration such as 168h"},
    {exception_expired, "exception-expired", warning, "an exception has expired: it applies to nothing"},
    {exception_far_expiry, "exception-far-expiry", warning, "an exception expires more than a year ahead"},
    {exception_already_allowed, "exception-already-allowed", warning,
     "an exception's namespace entry that the PeerPodPolicy it names already allows"},
    {internal_error, "internal-error", error, "loading failed unexpectedly (an exception)"},
};

constexpr bool catalogue_is_in_enum_order() {
  for (std::size_t i = 0; i < std::size(catalogue); ++i)
    if (static_cast<std::size_t>(catalogue[i].code) != i) return false;
  return std::size(catalogue) == static_cast<std::size_t>(internal_error) + 1;
}
static_assert(catalogue_is_in_enum_order(), "one row per diagnostic_code, in enum order");

}  // namespace

std::span<const diagnostic_code_info> diagnostic_catalogue() { return catalogue; }

const diagnostic_code_info& describe(diagnostic_code code) { return catalogue[static_cast<std::size_t>(code)]; }

std::string_view to_string(diagnostic_code code) { return describe(code).text; }

std::string_view to_string(severity level) { return level == severity::error ? "error" : "warning"; }

void diagnostics::add(diagnostic_code code, source_location where, std::string message, std::string source_line) {
  items_.push_back({describe(code).level, code, std::move(where), std::move(message), std::move(source_line)});
}

void diagnostics::append(const diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

void diagnostics::sort(const std::vector<std::string>& file_rank) {
  auto rank = [&](const diagnostic& d) {
    return static_cast<std::size_t>(std::find(file_rank.begin(), file_rank.end(), d.where.file) - file_rank.begin());
  };
  std::stable_sort(items_.begin(), items_.end(), [&](const diagnostic& a, const diagnostic& b) {
    return std::tuple(rank(a), a.where.line, a.where.column) < std::tuple(rank(b), b.where.line, b.where.column);
  });
}

std::size_t diagnostics::error_count() const {
  return std::count_if(items_.begin(), items_.end(), [](const diagnostic& d) { return d.level == severity::error; });
}

std::size_t diagnostics::warning_count() const { return items_.size() - error_count(); }

static std::string location_prefix(const source_location& where) {
  std::string out = where.file.empty() ? std::string("<input>") : where.file;
  if (where.line > 0) {
    out += ':' + std::to_string(where.line);
    if (where.column > 0) out += ':' + std::to_string(where.column);
  }
  return out;
}

std::string render_diagnostic(const diagnostic& d) {
  std::string out = location_prefix(d.where);
  out += d.level == severity::error ? ": error: " : ": warning: ";
  out += d.message;
  out += " [" + std::string(to_string(d.code)) + "]";
  out += '\n';
  if (!d.source_line.empty()) {
    out += "  " + d.source_line + "\n  ";
    // Keep tabs so the caret lines up under the same column as in the editor.
    const int col = std::max(1, d.where.column);
    for (int i = 1; i < col && i <= static_cast<int>(d.source_line.size()); ++i)
      out += d.source_line[i - 1] == '\t' ? '\t' : ' ';
    out += "^\n";
  }
  return out;
}

std::string diagnostics::render_text() const {
  std::string out;
  for (const auto& d : items_) out += render_diagnostic(d);
  return out;
}

std::string diagnostics::summary() const {
  auto plural = [](std::size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); };
  return plural(error_count(), "error") + ", " + plural(warning_count(), "warning");
}

std::string diagnostics::render_json() const {
  boost::json::array list;
  for (const auto& d : items_) {
    list.push_back(boost::json::object{
        {"severity", to_string(d.level)},
        {"code", to_string(d.code)},
        {"file", d.where.file},
        {"line", d.where.line},
        {"column", d.where.column},
        {"message", d.message},
    });
  }
  boost::json::object out{{"diagnostics", std::move(list)}, {"errors", error_count()}, {"warnings", warning_count()}};
  return boost::json::serialize(out);
}

}  // namespace peergate
