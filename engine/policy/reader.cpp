#include "engine/policy/reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <span>
#include <sstream>

#include "engine/kubernetes_names.hpp"
#include "engine/match/label_regex.hpp"
#include "engine/policy/presets.hpp"
#include "engine/time_text.hpp"
#include "engine/yaml_documents.hpp"

namespace peergate {

void source_lines::add(const std::string& path, std::string_view text) {
  std::vector<std::string>& lines = files_[path];
  lines.clear();
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
}

std::string source_lines::line(const source_location& at) const {
  auto it = files_.find(at.file);
  if (it == files_.end() || at.line < 1 || at.line > static_cast<int>(it->second.size())) return {};
  return it->second[static_cast<std::size_t>(at.line - 1)];
}

namespace {

constexpr std::string_view policy_kind = "PeerPodPolicy";
constexpr std::string_view mutation_kind = "PeerPodMutation";
constexpr std::string_view vm_policy_kind = "PeerPodVMPolicy";
constexpr std::string_view exception_kind = "PeerPodPolicyException";
constexpr std::string_view expected_kinds = "PeerPodPolicy, PeerPodVMPolicy, PeerPodMutation or PeerPodPolicyException";
constexpr std::string_view test_kind = "PeerPodPolicyTest";

using enum diagnostic_code;

std::string node_type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`: the optimal string
// alignment form of the Damerau-Levenshtein distance, which counts the usual typos as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The known field `key` was most likely meant to be: at most two edits away, and at most a third
// of the field's length (so "spec" never suggests "name"), the first of the nearest on a tie.
std::optional<std::string_view> nearest_field(std::string_view key, std::initializer_list<std::string_view> known) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (std::string_view candidate : known) {
    const std::size_t distance = edit_distance(key, candidate);
    if (distance < best_distance && distance * 3 <= candidate.size()) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// Reads one file's documents, reporting every problem with its location.
class document_reader {
 public:
  document_reader(const std::string& path, diagnostic_reporter& out) : path_(path), out_(out) {}

  // Marks are relative to the current document (see yaml_documents.hpp).
  source_location where(const YAML::Mark& mark) const {
    if (mark.is_null()) return {path_, 0, 0};
    return {path_, line_offset_ + mark.line + 1, mark.column + 1};
  }
  void set_line_offset(int offset) { line_offset_ = offset; }
  source_location where(const YAML::Node& node) const { return where(node.Mark()); }

  void report(diagnostic_code code, const source_location& at, std::string message) {
    if (describe(code).level == severity::error) ++errors_;
    out_.report(code, at, std::move(message));
  }
  void report(diagnostic_code code, const YAML::Node& at, std::string message) {
    report(code, where(at), std::move(message));
  }

  // The location of a character inside a scalar: its mark points at the opening quote, if any.
  source_location where_in_scalar(const YAML::Node& node, std::size_t offset) const {
    source_location at = where(node);
    const std::string line = out_.lines().line(at);
    if (at.column >= 1 && at.column <= static_cast<int>(line.size()) &&
        (line[at.column - 1] == '"' || line[at.column - 1] == '\''))
      ++at.column;
    at.column += static_cast<int>(offset);
    return at;
  }

  // Checks a mapping: duplicate keys are errors (yaml-cpp keeps them silently), unknown keys are
  // warnings (most often typos, so the nearest known key is suggested). Returns false when `node`
  // is not a mapping.
  bool check_mapping(const YAML::Node& node, std::string_view path, std::initializer_list<std::string_view> known) {
    if (!node.IsMap()) {
      report(wrong_type, node, std::string(path) + " must be a mapping, not " + node_type_name(node));
      return false;
    }
    std::map<std::string, YAML::Mark> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) {
        report(wrong_type, kv.first, std::string(path) + ": keys must be strings");
        continue;
      }
      const std::string key = kv.first.Scalar();
      if (auto it = seen.find(key); it != seen.end()) {
        report(duplicate_key, kv.first,
               "duplicate key \"" + key + "\" in " + std::string(path) + " (first defined on line " +
                   std::to_string(where(it->second).line) + "); YAML keeps only one of them");
        continue;
      }
      seen.emplace(key, kv.first.Mark());
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        std::string message = "unknown field \"" + key + "\" in " + std::string(path) + " (known: " + list + ")";
        if (auto meant = nearest_field(key, known)) message += " (did you mean \"" + std::string(*meant) + "\"?)";
        report(unknown_field, kv.first, message + "; it is ignored");
      }
    }
    return true;
  }

  // A scalar string, or nullopt with an error.
  std::optional<std::string> string_value(const YAML::Node& node, std::string_view path) {
    if (!node.IsScalar()) {
      report(wrong_type, node, std::string(path) + " must be a string, not " + node_type_name(node));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<bool> bool_value(const YAML::Node& node, std::string_view path) {
    if (node.IsScalar() && node.Tag() != "!") {
      const std::string& s = node.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    report(wrong_type, node, std::string(path) + " must be true or false");
    return std::nullopt;
  }

  // A list of scalars, each reported on its own; items that are not strings are skipped.
  std::vector<std::pair<std::string, YAML::Node>> string_list(const YAML::Node& node, std::string_view path) {
    std::vector<std::pair<std::string, YAML::Node>> out;
    if (!node.IsSequence()) {
      report(wrong_type, node, std::string(path) + " must be a list, not " + node_type_name(node));
      return out;
    }
    std::size_t i = 0;
    for (const auto& item : node) {
      std::string item_path = std::string(path) + "[" + std::to_string(i++) + "]";
      if (auto s = string_value(item, item_path)) out.emplace_back(*s, item);
    }
    return out;
  }

  std::size_t errors() const { return errors_; }

 private:
  std::size_t errors_ = 0;
  int line_offset_ = 0;
  const std::string& path_;
  diagnostic_reporter& out_;
};

void add_pattern(std::vector<located_pattern>& out, name_pattern::kind kind, const std::string& text,
                 source_location where) {
  // Member by member: GCC 12 at -O3 misreads a braced temporary here as maybe-uninitialized.
  located_pattern& entry = out.emplace_back();
  entry.pattern.type = kind;
  entry.pattern.text = text;
  entry.where = std::move(where);
}

// The pattern of a {regex: PATTERN} entry, or nullopt after an error. `other_forms` names what
// else the entry may be, for the message.
std::optional<std::string> read_regex_entry(document_reader& r, const YAML::Node& item, const std::string& path,
                                            std::string_view other_forms) {
  if (!r.check_mapping(item, path, {"regex"})) return std::nullopt;
  const YAML::Node regex = item["regex"];
  if (!regex) {
    r.report(wrong_type, item, path + " must be " + std::string(other_forms) + ", or a mapping {regex: PATTERN}");
    return std::nullopt;
  }
  auto text = r.string_value(regex, path + ".regex");
  if (!text) return std::nullopt;
  if (auto problem = regex_syntax_error(*text)) {
    r.report(invalid_regex, regex, "invalid regex \"" + *text + "\": " + *problem);
    return std::nullopt;
  }
  return text;
}

// Reads one namespace entry (exact name, glob, or {regex: ...}) into `out`, unless it has an error.
void read_namespace_entry(document_reader& r, const YAML::Node& item, const std::string& path,
                          std::vector<located_pattern>& out) {
  if (item.IsMap()) {
    const auto text = read_regex_entry(r, item, path, "a namespace name, a glob");
    if (!text) return;
    const YAML::Node regex = item["regex"];
    if (!regex_can_match_dns1123_label(*text))
      r.report(regex_never_matches, regex,
               "regex \"" + *text +
                   "\" can never match a namespace name (a DNS-1123 label: lowercase letters, "
                   "digits and '-', 1 to 63 characters, matched in full)");
    add_pattern(out, name_pattern::kind::regex, *text, r.where(regex));
    return;
  }
  auto text = r.string_value(item, path);
  if (!text) return;
  if (text->find_first_of("*?") == std::string::npos) {
    if (!is_dns1123_label(*text)) {
      r.report(invalid_namespace_name, item,
               "\"" + *text +
                   "\" is not a valid namespace name (a DNS-1123 label: lowercase letters, digits and '-', "
                   "starting and ending with a letter or digit, at most 63 characters); for a pattern use a glob "
                   "(* and ?) or {regex: ...}");
      return;
    }
    add_pattern(out, name_pattern::kind::exact, *text, r.where(item));
    return;
  }
  for (std::size_t i = 0; i < text->size(); ++i) {
    char c = (*text)[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '*' || c == '?';
    if (!ok) {
      r.report(invalid_glob, r.where_in_scalar(item, i),
               "invalid glob \"" + *text + "\": character '" + std::string(1, c) +
                   "' can never appear in a namespace name (globs use lowercase letters, digits, '-', '*' and '?'; "
                   "for more use {regex: ...})");
      return;
    }
  }
  add_pattern(out, name_pattern::kind::glob, *text, r.where(item));
}

// A list of namespace entries; entries with errors are left out.
std::vector<located_pattern> read_namespace_list(document_reader& r, const YAML::Node& list, const std::string& path) {
  std::vector<located_pattern> out;
  std::size_t i = 0;
  for (const auto& entry : list) read_namespace_entry(r, entry, path + "[" + std::to_string(i++) + "]", out);
  return out;
}

// A list of exact names or globs on user names or groups (any characters allowed).
std::vector<located_pattern> read_subject_list(document_reader& r, const YAML::Node& node, const std::string& path) {
  std::vector<located_pattern> out;
  for (auto& [text, item] : r.string_list(node, path)) {
    if (text.empty()) {
      r.report(empty_entry, item, path + ": an empty entry matches nothing");
      continue;
    }
    const bool glob = text.find_first_of("*?") != std::string::npos;
    add_pattern(out, glob ? name_pattern::kind::glob : name_pattern::kind::exact, text, r.where(item));
  }
  return out;
}

constexpr std::string_view policy_placeholders[] = {"policy", "namespace", "runtimeClassName", "kind", "name"};
constexpr std::string_view vm_policy_placeholders[] = {"policy", "namespace", "runtimeClassName", "kind",
                                                       "name",   "rule",      "requested",        "limit"};

void check_message_template(document_reader& r, const YAML::Node& node, const std::string& text,
                            std::span<const std::string_view> placeholders) {
  for (std::size_t open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
    std::size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    std::string word = text.substr(open + 1, close - open - 1);
    if (std::find(placeholders.begin(), placeholders.end(), word) == placeholders.end()) {
      std::string known;
      for (std::string_view p : placeholders) known += (known.empty() ? "{" : " {") + std::string(p) + "}";
      r.report(unknown_placeholder, r.where_in_scalar(node, open),
               "unknown placeholder {" + word + "} in spec.message (known: " + known + ")");
    }
  }
  if (text.find_first_of("\r\n\t") != std::string::npos)
    r.report(message_control_characters, node,
             "spec.message contains line breaks or tabs; they are replaced by spaces because the apiserver drops "
             "warnings that contain control characters");
}

void read_actions(document_reader& r, const YAML::Node& spec, validation_actions& actions) {
  const YAML::Node node = spec["validationActions"];
  if (!node) {
    actions.deny = true;
    return;
  }
  auto words = r.string_list(node, "spec.validationActions");
  if (node.IsSequence() && node.size() == 0)
    r.report(empty_list, node, "spec.validationActions must name at least one of Deny, Warn, Audit");
  for (auto& [w, at] : words) {
    bool* flag = w == "Deny" ? &actions.deny : w == "Warn" ? &actions.warn : w == "Audit" ? &actions.audit : nullptr;
    if (!flag) {
      r.report(unknown_enum, at,
               "unknown validation action \"" + w + "\" (expected Deny, Warn or Audit; case matters)");
      continue;
    }
    if (*flag) r.report(duplicate_entry, at, "validation action \"" + w + "\" is listed twice");
    *flag = true;
  }
  if (actions.deny && actions.warn)
    r.report(
        deny_with_warn, node,
        "spec.validationActions: Deny and Warn together are redundant and rejected (as in ValidatingAdmissionPolicy): "
        "a denied request shows its message already; use [Warn] or [Warn, Audit] before switching to [Deny]");
}

// spec.runtimeClassNames of either policy kind.
void read_runtime_class_names(document_reader& r, const YAML::Node& spec,
                              std::optional<std::vector<std::string>>& names_out, source_location& where) {
  const YAML::Node rc = spec["runtimeClassNames"];
  if (!rc) return;
  where = r.where(rc);
  auto names = r.string_list(rc, "spec.runtimeClassNames");
  if (rc.IsSequence() && rc.size() == 0)
    r.report(empty_list, rc, "spec.runtimeClassNames must not be empty (omit it for the default runtime class)");
  names_out.emplace();
  for (auto& [n, node] : names) {
    if (!is_dns1123_subdomain(n))
      r.report(invalid_name, node,
               "runtime class name \"" + n + "\" is not a valid RuntimeClass name (DNS-1123 subdomain)");
    names_out->push_back(n);
  }
}

// spec.exemptions of either policy kind.
void read_exemptions(document_reader& r, const YAML::Node& spec, std::vector<located_pattern>& usernames,
                     std::vector<located_pattern>& groups, source_location& where) {
  const YAML::Node ex = spec["exemptions"];
  if (!ex) return;
  where = r.where(ex);
  if (!r.check_mapping(ex, "spec.exemptions", {"usernames", "groups"})) return;
  if (const YAML::Node u = ex["usernames"]) usernames = read_subject_list(r, u, "spec.exemptions.usernames");
  if (const YAML::Node g = ex["groups"]) groups = read_subject_list(r, g, "spec.exemptions.groups");
}

void read_message(document_reader& r, const YAML::Node& spec, std::span<const std::string_view> placeholders,
                  std::string& message) {
  const YAML::Node m = spec["message"];
  if (!m) return;
  if (auto text = r.string_value(m, "spec.message")) {
    check_message_template(r, m, *text, placeholders);
    message = *text;
  }
}

std::optional<policy_document> read_policy(document_reader& r, const YAML::Node& spec) {
  if (!r.check_mapping(spec, "spec",
                       {"runtimeClassNames", "validationActions", "allowedNamespaces", "exemptions", "message"}))
    return std::nullopt;
  policy_document p;
  const std::size_t errors_before = r.errors();
  read_runtime_class_names(r, spec, p.runtime_class_names, p.runtime_class_names_where);
  read_actions(r, spec, p.actions);
  if (const YAML::Node allowed = spec["allowedNamespaces"]) {
    p.allowed_namespaces_where = r.where(allowed);
    if (!allowed.IsSequence()) {
      r.report(wrong_type, allowed,
               "spec.allowedNamespaces must be a list of namespace entries, not " + node_type_name(allowed) +
                   " ([] allows peer pods nowhere)");
    } else {
      p.allowed_namespaces = read_namespace_list(r, allowed, "spec.allowedNamespaces");
    }
  } else {
    r.report(missing_field, spec,
             "spec.allowedNamespaces is required (list the namespaces where peer pods may run; [] allows none)");
  }
  read_exemptions(r, spec, p.exempt_usernames, p.exempt_groups, p.exemptions_where);
  read_message(r, spec, policy_placeholders, p.message);
  if (r.errors() != errors_before) return std::nullopt;
  return p;
}

std::optional<mutation_document> read_mutation(document_reader& r, const YAML::Node& spec) {
  if (!r.check_mapping(
          spec, "spec",
          {"runtimeClassName", "extendedResource", "sizingAnnotations", "excludedNamespaces", "unaccountedPeerPods"}))
    return std::nullopt;
  mutation_document m;
  m.spec_where = r.where(spec);
  const std::size_t errors_before = r.errors();
  if (const YAML::Node rc = spec["runtimeClassName"]) {
    m.runtime_class_name_where = r.where(rc);
    if (auto v = r.string_value(rc, "spec.runtimeClassName")) {
      if (!is_dns1123_subdomain(*v))
        r.report(invalid_name, rc,
                 "runtime class name \"" + *v + "\" is not a valid RuntimeClass name (DNS-1123 subdomain)");
      m.runtime_class_name = *v;
    }
  }
  if (const YAML::Node er = spec["extendedResource"]) {
    m.extended_resource_where = r.where(er);
    if (auto v = r.string_value(er, "spec.extendedResource")) {
      if (!is_qualified_name(*v) || v->find('/') == std::string::npos)
        r.report(
            invalid_name, er,
            "extended resource \"" + *v + "\" must be a domain-prefixed resource name such as kata.peerpods.io/vm");
      m.extended_resource = *v;
    }
  }
  if (const YAML::Node sa = spec["sizingAnnotations"]) {
    if (auto v = r.bool_value(sa, "spec.sizingAnnotations")) m.sizing_annotations = *v;
  }
  if (const YAML::Node ex = spec["excludedNamespaces"]) {
    if (r.check_mapping(ex, "spec.excludedNamespaces", {"presets", "names"})) {
      if (const YAML::Node pr = ex["presets"]) {
        m.presets.clear();
        for (auto& [p, at] : r.string_list(pr, "spec.excludedNamespaces.presets")) {
          if (!excluded_namespace_preset(p))
            r.report(unknown_enum, at, "unknown preset \"" + p + "\" (expected upstream or openshift)");
          else m.presets.push_back(p);
        }
      }
      if (const YAML::Node names = ex["names"]) {
        if (!names.IsSequence())
          r.report(wrong_type, names, "spec.excludedNamespaces.names must be a list, not " + node_type_name(names));
        else m.excluded_names = read_namespace_list(r, names, "spec.excludedNamespaces.names");
      }
    }
  }
  if (const YAML::Node ua = spec["unaccountedPeerPods"]) {
    if (auto v = r.string_value(ua, "spec.unaccountedPeerPods")) {
      if (*v == "Warn") m.unaccounted = unaccounted_action::warn;
      else if (*v == "Audit") m.unaccounted = unaccounted_action::audit;
      else if (*v == "Deny") m.unaccounted = unaccounted_action::deny;
      else if (*v == "Ignore") m.unaccounted = unaccounted_action::ignore;
      else
        r.report(unknown_enum, ua,
                 "unknown value \"" + *v + "\" for spec.unaccountedPeerPods (expected Warn, Audit, Deny or Ignore)");
    }
  }
  if (r.errors() != errors_before) return std::nullopt;
  return m;
}

// One entry of spec.vm.instanceTypes or spec.vm.images: an exact value, a glob (* and ?), or
// {regex: ...}. Instance types and image references hold any characters, so nothing but
// emptiness is checked of an exact value or a glob.
void read_value_entry(document_reader& r, const YAML::Node& item, const std::string& path,
                      std::vector<located_pattern>& out) {
  if (item.IsMap()) {
    if (const auto text = read_regex_entry(r, item, path, "a value, a glob"))
      add_pattern(out, name_pattern::kind::regex, *text, r.where(item["regex"]));
    return;
  }
  auto text = r.string_value(item, path);
  if (!text) return;
  if (text->empty()) {
    r.report(empty_entry, item, path + ": an empty entry matches nothing");
    return;
  }
  const bool glob = text->find_first_of("*?") != std::string::npos;
  add_pattern(out, glob ? name_pattern::kind::glob : name_pattern::kind::exact, *text, r.where(item));
}

// A list of values; [] is meaningful (setting the annotation is forbidden).
std::optional<std::vector<located_pattern>> read_value_list(document_reader& r, const YAML::Node& node,
                                                            const std::string& path, source_location& where) {
  where = r.where(node);
  if (!node.IsSequence()) {
    r.report(wrong_type, node, path + " must be a list, not " + node_type_name(node) + " ([] forbids setting it)");
    return std::nullopt;
  }
  std::vector<located_pattern> out;
  std::size_t i = 0;
  for (const auto& entry : node) read_value_entry(r, entry, path + "[" + std::to_string(i++) + "]", out);
  return out;
}

// maxVCPUs or maxGPUs: a whole number from 0 to Kata's limit (2^32 - 1), written as a YAML integer.
std::optional<std::uint64_t> read_count_limit(document_reader& r, const YAML::Node& node, const std::string& path) {
  constexpr std::uint64_t largest = 4294967295u;
  const std::string text = node.IsScalar() ? node.Scalar() : std::string();
  if (!node.IsScalar() || node.Tag() == "!") {
    r.report(wrong_type, node,
             path + " must be a whole number, not " + (node.IsScalar() ? "a quoted string" : node_type_name(node)));
    return std::nullopt;
  }
  if (!text.empty() && text[0] == '-') {
    r.report(invalid_limit, node, path + " cannot be negative: " + text);
    return std::nullopt;
  }
  std::uint64_t value = 0;
  bool digits = !text.empty();
  for (char c : text) {
    if (c < '0' || c > '9') {
      digits = false;
      break;
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > largest) break;
  }
  if (!digits) {
    r.report(invalid_limit, node, path + " must be a whole number of at least 0, not \"" + text + "\"");
    return std::nullopt;
  }
  if (value > largest) {
    r.report(invalid_limit, node, path + " " + text + " is above 4294967295, the largest value Kata reads");
    return std::nullopt;
  }
  return value;
}

// maxMemory: a Kubernetes quantity ("16Gi"). A bare number is bytes, as everywhere in
// Kubernetes; one below 1Mi is most likely MiB written without the unit.
std::optional<vm::memory_limit> read_memory_limit(document_reader& r, const YAML::Node& node) {
  if (!node.IsScalar()) {
    r.report(wrong_type, node, "spec.vm.maxMemory must be a quantity such as 16Gi, not " + node_type_name(node));
    return std::nullopt;
  }
  std::string problem;
  std::optional<vm::memory_limit> limit = vm::memory_limit::parse(node.Scalar(), &problem);
  if (!limit) {
    r.report(invalid_quantity, node, "spec.vm.maxMemory: " + problem);
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && limit->mebibytes <= 1)
    r.report(memory_without_unit, node,
             "spec.vm.maxMemory " + text + " is " + text + " bytes (a quantity without a unit); did you mean " + text +
                 "Mi?");
  return limit;
}

std::optional<std::vector<vm::allowed_digest>> read_initdata_digests(document_reader& r, const YAML::Node& init) {
  if (!r.check_mapping(init, "spec.vm.initData", {"digests"})) return std::nullopt;
  const YAML::Node list = init["digests"];
  if (!list) {
    r.report(missing_field, init,
             "spec.vm.initData.digests is required (the allowed documents; [] forbids the override)");
    return std::nullopt;
  }
  std::vector<vm::allowed_digest> out;
  for (auto& [text, item] : r.string_list(list, "spec.vm.initData.digests")) {
    std::string problem;
    if (auto digest = vm::parse_allowed_digest(text, &problem)) out.push_back(std::move(*digest));
    else r.report(invalid_digest, item, "spec.vm.initData.digests: " + problem);
  }
  return out;
}

void read_vm_limits(document_reader& r, const YAML::Node& vm, vm_policy_document& p) {
  if (!r.check_mapping(vm, "spec.vm", {"instanceTypes", "maxVCPUs", "maxMemory", "maxGPUs", "images", "initData"}))
    return;
  if (const YAML::Node n = vm["instanceTypes"])
    p.instance_types = read_value_list(r, n, "spec.vm.instanceTypes", p.instance_types_where);
  if (const YAML::Node n = vm["maxVCPUs"]) p.max_vcpus = read_count_limit(r, n, "spec.vm.maxVCPUs");
  if (const YAML::Node n = vm["maxMemory"]) p.max_memory = read_memory_limit(r, n);
  if (const YAML::Node n = vm["maxGPUs"]) p.max_gpus = read_count_limit(r, n, "spec.vm.maxGPUs");
  if (const YAML::Node n = vm["images"]) p.images = read_value_list(r, n, "spec.vm.images", p.images_where);
  if (const YAML::Node n = vm["initData"]) p.initdata_digests = read_initdata_digests(r, n);
  const bool any =
      vm["instanceTypes"] || vm["maxVCPUs"] || vm["maxMemory"] || vm["maxGPUs"] || vm["images"] || vm["initData"];
  if (!any)
    r.report(no_vm_limits, vm,
             "spec.vm sets no limit, so this policy checks nothing (set instanceTypes, maxVCPUs, maxMemory, maxGPUs, "
             "images or initData)");
}

std::optional<vm_policy_document> read_vm_policy(document_reader& r, const YAML::Node& spec) {
  if (!r.check_mapping(spec, "spec",
                       {"runtimeClassNames", "validationActions", "namespaces", "exemptions", "vm", "message"}))
    return std::nullopt;
  vm_policy_document p;
  const std::size_t errors_before = r.errors();
  read_runtime_class_names(r, spec, p.runtime_class_names, p.runtime_class_names_where);
  read_actions(r, spec, p.actions);
  if (const YAML::Node ns = spec["namespaces"]) {
    p.namespaces_where = r.where(ns);
    if (!ns.IsSequence()) {
      r.report(wrong_type, ns,
               "spec.namespaces must be a list of namespace entries, not " + node_type_name(ns) +
                   " (omit it for every namespace)");
    } else if (ns.size() == 0) {
      r.report(empty_list, ns, "spec.namespaces must not be empty (omit it for every namespace)");
    } else {
      p.namespaces = read_namespace_list(r, ns, "spec.namespaces");
    }
  }
  read_exemptions(r, spec, p.exempt_usernames, p.exempt_groups, p.exemptions_where);
  if (const YAML::Node vm = spec["vm"]) read_vm_limits(r, vm, p);
  else r.report(missing_field, spec, "spec.vm is required (the limits: instanceTypes, maxVCPUs, maxMemory, ...)");
  read_message(r, spec, vm_policy_placeholders, p.message);
  if (r.errors() != errors_before) return std::nullopt;
  return p;
}

// One entry of an exception's spec.objects: an object name or a glob on it (or on a
// generateName, which ends with '-'): lowercase letters, digits, '-', '.', '*' and '?'.
void read_object_entry(document_reader& r, const YAML::Node& item, const std::string& path,
                       std::vector<located_pattern>& out) {
  auto text = r.string_value(item, path);
  if (!text) return;
  if (text->empty()) {
    r.report(empty_entry, item, path + ": an empty entry matches nothing");
    return;
  }
  for (std::size_t i = 0; i < text->size(); ++i) {
    const char c = (*text)[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '*' || c == '?';
    if (!ok) {
      r.report(invalid_glob, r.where_in_scalar(item, i),
               "invalid object entry \"" + *text + "\": character '" + std::string(1, c) +
                   "' can never appear in an object name (names and globs use lowercase letters, digits, '-', '.', "
                   "'*' and '?')");
      return;
    }
  }
  const bool glob = text->find_first_of("*?") != std::string::npos;
  add_pattern(out, glob ? name_pattern::kind::glob : name_pattern::kind::exact, *text, r.where(item));
}

std::optional<exception_document> read_exception(document_reader& r, const YAML::Node& spec) {
  if (!r.check_mapping(spec, "spec", {"policies", "namespaces", "objects", "expires", "reason", "warnBefore"}))
    return std::nullopt;
  exception_document e;
  const std::size_t errors_before = r.errors();
  if (const YAML::Node list = spec["policies"]) {
    auto names = r.string_list(list, "spec.policies");
    if (list.IsSequence() && list.size() == 0)
      r.report(empty_list, list, "spec.policies must name at least one PeerPodPolicy or PeerPodVMPolicy");
    for (auto& [listed, node] : names) {
      // A structured binding captured by a lambda needs clang 16 (the fuzz build, clang-tidy): a plain reference.
      const std::string& name = listed;
      const bool twice =
          std::any_of(e.policies.begin(), e.policies.end(), [&](const auto& p) { return p.first == name; });
      if (twice) r.report(duplicate_entry, node, "policy \"" + name + "\" is listed twice in spec.policies");
      else e.policies.emplace_back(name, r.where(node));
    }
  } else {
    r.report(missing_field, spec, "spec.policies is required (the PeerPodPolicies and PeerPodVMPolicies to except)");
  }
  if (const YAML::Node ns = spec["namespaces"]) {
    e.namespaces_where = r.where(ns);
    if (!ns.IsSequence())
      r.report(wrong_type, ns, "spec.namespaces must be a list of namespace entries, not " + node_type_name(ns));
    else if (ns.size() == 0) r.report(empty_list, ns, "spec.namespaces must name at least one namespace entry");
    else e.namespaces = read_namespace_list(r, ns, "spec.namespaces");
  } else {
    r.report(missing_field, spec, "spec.namespaces is required (the namespaces the exception covers)");
  }
  if (const YAML::Node objects = spec["objects"]) {
    e.objects_where = r.where(objects);
    if (!objects.IsSequence()) {
      r.report(wrong_type, objects,
               "spec.objects must be a list of object names or globs, not " + node_type_name(objects) +
                   " (omit it for every object)");
    } else if (objects.size() == 0) {
      r.report(empty_list, objects, "spec.objects must not be empty (omit it for every object)");
    } else {
      e.objects.emplace();
      std::size_t i = 0;
      for (const auto& item : objects)
        read_object_entry(r, item, "spec.objects[" + std::to_string(i++) + "]", *e.objects);
    }
  }
  if (const YAML::Node expires = spec["expires"]) {
    e.expires_where = r.where(expires);
    if (auto text = r.string_value(expires, "spec.expires")) {
      std::string problem;
      if (auto t = parse_rfc3339(*text, &problem)) {
        e.expires = *t;
        e.expires_text = *text;
      } else {
        r.report(invalid_time, expires, "spec.expires \"" + *text + "\": " + problem);
      }
    }
  } else {
    r.report(missing_field, spec,
             "spec.expires is required: an exception is time-boxed (RFC 3339 with a zone, e.g. 2027-01-31T00:00:00Z)");
  }
  if (const YAML::Node reason = spec["reason"]) {
    if (auto text = r.string_value(reason, "spec.reason")) {
      if (text->find_first_not_of(" \t\r\n") == std::string::npos)
        r.report(missing_field, reason, "spec.reason must say why the exception is granted (a ticket, a person)");
      else e.reason = *text;
    }
  } else {
    r.report(missing_field, spec,
             "spec.reason is required: it is shown wherever the exception is used (a ticket, a person, why)");
  }
  if (const YAML::Node warn = spec["warnBefore"]) {
    if (auto text = r.string_value(warn, "spec.warnBefore")) {
      std::string problem;
      if (auto d = parse_duration(*text, &problem)) e.warn_before = *d;
      else r.report(invalid_duration, warn, "spec.warnBefore: " + problem);
    }
  }
  if (r.errors() != errors_before) return std::nullopt;
  return e;
}

// metadata.name when it is a valid, unreserved name, or nullopt after an error.
std::optional<std::string> read_metadata_name(document_reader& r, const YAML::Node& doc, source_location& at) {
  const YAML::Node metadata = doc["metadata"];
  if (!metadata) {
    r.report(missing_field, doc, "document has no \"metadata\" with a name");
    return std::nullopt;
  }
  if (!r.check_mapping(metadata, "metadata", {"name", "labels", "annotations"})) return std::nullopt;
  const YAML::Node name_node = metadata["name"];
  if (!name_node) {
    r.report(missing_field, metadata, "metadata.name is required");
    return std::nullopt;
  }
  auto name = r.string_value(name_node, "metadata.name");
  if (!name) return std::nullopt;
  if (!is_dns1123_label(*name)) {
    r.report(invalid_name, name_node,
             "metadata.name \"" + *name +
                 "\" must be a DNS-1123 label (lowercase letters, digits and '-', at most "
                 "63 characters): it becomes an audit annotation key and a metric label");
    return std::nullopt;
  }
  if (*name == implicit_mutation_name) {
    r.report(
        reserved_name, name_node,
        "metadata.name \"" + *name + "\" is reserved for the mutation settings used when no PeerPodMutation is loaded");
    return std::nullopt;
  }
  at = r.where(name_node);
  return name;
}

void read_document(document_reader& r, const YAML::Node& doc, std::vector<named_document>& out) {
  if (doc.IsNull()) return;  // an empty document, e.g. after a trailing "---"
  if (!r.check_mapping(doc, "document", {"apiVersion", "kind", "metadata", "spec"})) return;
  const YAML::Node api = doc["apiVersion"], kind_node = doc["kind"];
  if (!kind_node) {
    r.report(missing_field, doc, "document has no \"kind\" (expected " + std::string(expected_kinds) + ")");
    return;
  }
  auto kind = r.string_value(kind_node, "kind");
  if (!kind) return;
  if (*kind == test_kind) return;  // test suites may live beside the policies they test
  if (*kind != policy_kind && *kind != mutation_kind && *kind != vm_policy_kind && *kind != exception_kind) {
    r.report(unknown_kind, kind_node, "unknown kind \"" + *kind + "\" (expected " + std::string(expected_kinds) + ")");
    return;
  }
  if (!api) {
    r.report(missing_field, doc, "document has no \"apiVersion\" (expected " + std::string(api_version) + ")");
  } else if (auto v = r.string_value(api, "apiVersion"); v && *v != api_version) {
    r.report(unknown_api_version, api, "unknown apiVersion \"" + *v + "\" (expected " + std::string(api_version) + ")");
  }
  source_location name_at;
  auto name = read_metadata_name(r, doc, name_at);
  named_document document;
  if (const YAML::Node spec = doc["spec"]; !spec) {
    r.report(missing_field, doc, *kind + " has no \"spec\"");
  } else if (*kind == policy_kind) {
    if (auto p = read_policy(r, spec)) document.content = std::move(*p);
  } else if (*kind == vm_policy_kind) {
    if (auto p = read_vm_policy(r, spec)) document.content = std::move(*p);
  } else if (*kind == exception_kind) {
    if (auto e = read_exception(r, spec)) document.content = std::move(*e);
  } else {
    if (auto m = read_mutation(r, spec)) document.content = std::move(*m);
  }
  if (!name) return;
  document.name = std::move(*name);
  document.where = std::move(name_at);
  out.push_back(std::move(document));
}

}  // namespace

std::vector<named_document> read_policy_file(const policy_source& source, diagnostic_reporter& out) {
  document_reader r(source.path, out);
  std::vector<named_document> read;
  std::vector<yaml_document> documents;
  try {
    documents = load_yaml_documents(source.text);
  } catch (const YAML::Exception& e) {
    r.report(yaml_syntax, r.where(e.mark), "YAML syntax error: " + e.msg);  // mark already absolute
    return read;
  }
  bool any = false;
  for (const auto& doc : documents) {
    r.set_line_offset(doc.first_line);
    any = any || !doc.root.IsNull();
    read_document(r, doc.root, read);
  }
  if (!any)
    r.report(empty_file, source_location{source.path, 0, 0},
             "no YAML document with content: nothing was loaded from this file");
  return read;
}

}  // namespace peergate
