#include "engine/policy/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/match/label_regex.hpp"
#include "engine/files_under.hpp"
#include "engine/policy/embedded.hpp"
#include "engine/yaml_documents.hpp"

namespace peergate {

namespace fs = std::filesystem;

mutation_defaults mutation_defaults::from_environment() {
  mutation_defaults d;
  // Same variables, same meaning as the upstream webhook: an empty value means "unset".
  if (const char* v = std::getenv("TARGET_RUNTIMECLASS"); v && *v) d.runtime_class_name = v;
  if (const char* v = std::getenv("POD_VM_EXTENDED_RESOURCE"); v && *v) d.extended_resource = v;
  return d;
}

namespace {

constexpr std::string_view policy_kind = "PeerPodPolicy";
constexpr std::string_view mutation_kind = "PeerPodMutation";
constexpr std::string_view test_kind = "PeerPodPolicyTest";
// The name of the mutation settings used when no PeerPodMutation is loaded; reserved, so its
// findings and audit annotations never share a key with a policy's.
constexpr const char* implicit_mutation_name = "peer-pods-default";

bool is_dns1123_label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
  return std::all_of(s.begin(), s.end(), ok) && s.front() != '-' && s.back() != '-';
}

bool is_dns1123_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    if (!is_dns1123_label(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// A resource name such as kata.peerpods.io/vm: an optional DNS subdomain prefix and a name of
// letters, digits, '-', '_' and '.' (Kubernetes' qualified-name rule).
bool is_qualified_name(std::string_view s) {
  std::string_view name = s;
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    if (!is_dns1123_subdomain(s.substr(0, slash))) return false;
    name = s.substr(slash + 1);
  }
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  return alnum(name.front()) && alnum(name.back()) &&
         std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string node_type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

// Reads one file's documents, reporting every problem with its location.
class document_reader {
 public:
  document_reader(const std::string& path, const std::string& text, diagnostics& out) : path_(path), out_(out) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines_.push_back(std::move(line));
    }
  }

  // Marks are relative to the current document (see yaml_documents.hpp).
  source_location where(const YAML::Mark& mark) const {
    if (mark.is_null()) return {path_, 0, 0};
    return {path_, line_offset_ + mark.line + 1, mark.column + 1};
  }
  void set_line_offset(int offset) { line_offset_ = offset; }
  source_location where(const YAML::Node& node) const { return where(node.Mark()); }

  std::string line_text(int line) const {
    return line >= 1 && line <= static_cast<int>(lines_.size()) ? lines_[line - 1] : std::string();
  }

  void error(const source_location& at, std::string code, std::string message) {
    ++errors_;
    out_.error(std::move(code), at, std::move(message), line_text(at.line));
  }
  void warning(const source_location& at, std::string code, std::string message) {
    out_.warning(std::move(code), at, std::move(message), line_text(at.line));
  }
  void error(const YAML::Node& at, std::string code, std::string message) { error(where(at), std::move(code), std::move(message)); }
  void warning(const YAML::Node& at, std::string code, std::string message) { warning(where(at), std::move(code), std::move(message)); }

  // The location of a character inside a scalar: its mark points at the opening quote, if any.
  source_location where_in_scalar(const YAML::Node& node, std::size_t offset) const {
    source_location at = where(node);
    const std::string line = line_text(at.line);
    if (at.column >= 1 && at.column <= static_cast<int>(line.size()) &&
        (line[at.column - 1] == '"' || line[at.column - 1] == '\''))
      ++at.column;
    at.column += static_cast<int>(offset);
    return at;
  }

  // Checks a mapping: duplicate keys are errors (yaml-cpp keeps them silently), unknown keys are
  // warnings (most often typos). Returns false when `node` is not a mapping.
  bool check_mapping(const YAML::Node& node, std::string_view path, std::initializer_list<std::string_view> known) {
    if (!node.IsMap()) {
      error(node, "wrong-type", std::string(path) + " must be a mapping, not " + node_type_name(node));
      return false;
    }
    std::map<std::string, YAML::Mark> seen;
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      if (!kv.first.IsScalar()) {
        error(kv.first, "wrong-type", std::string(path) + ": keys must be strings");
        continue;
      }
      if (auto it = seen.find(key); it != seen.end()) {
        error(kv.first, "duplicate-key",
              "duplicate key \"" + key + "\" in " + std::string(path) + " (first defined on line " +
                  std::to_string(where(it->second).line) + "); YAML keeps only one of them");
        continue;
      }
      seen.emplace(key, kv.first.Mark());
      if (known.size() != 0 && std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        warning(kv.first, "unknown-field",
                "unknown field \"" + key + "\" in " + std::string(path) + " (known: " + list + "); it is ignored");
      }
    }
    return true;
  }

  // A scalar string, or nullopt with an error.
  std::optional<std::string> string_value(const YAML::Node& node, std::string_view path) {
    if (!node.IsScalar()) {
      error(node, "wrong-type", std::string(path) + " must be a string, not " + node_type_name(node));
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
    error(node, "wrong-type", std::string(path) + " must be true or false");
    return std::nullopt;
  }

  // A list of scalars, each reported on its own; items that are not strings are skipped.
  std::vector<std::pair<std::string, YAML::Node>> string_list(const YAML::Node& node, std::string_view path) {
    std::vector<std::pair<std::string, YAML::Node>> out;
    if (!node.IsSequence()) {
      error(node, "wrong-type", std::string(path) + " must be a list, not " + node_type_name(node));
      return out;
    }
    std::size_t i = 0;
    for (const auto& item : node) {
      std::string item_path = std::string(path) + "[" + std::to_string(i++) + "]";
      if (auto s = string_value(item, item_path)) out.emplace_back(*s, item);
    }
    return out;
  }

  const std::string& path() const { return path_; }
  std::size_t errors() const { return errors_; }

 private:
  std::size_t errors_ = 0;
  int line_offset_ = 0;
  std::string path_;
  std::vector<std::string> lines_;
  diagnostics& out_;
};

// Reads one namespace entry (exact name, glob, or {regex: ...}) into `matcher`.
void read_namespace_entry(document_reader& r, const YAML::Node& item, const std::string& path, name_matcher& matcher) {
  if (item.IsMap()) {
    if (!r.check_mapping(item, path, {"regex"})) return;
    const YAML::Node regex = item["regex"];
    if (!regex) {
      r.error(item, "wrong-type", path + " must be a namespace name, a glob, or a mapping {regex: PATTERN}");
      return;
    }
    auto text = r.string_value(regex, path + ".regex");
    if (!text) return;
    if (auto problem = matcher.add({name_pattern::kind::regex, *text})) {
      r.error(regex, "invalid-regex", "invalid regex \"" + *text + "\": " + *problem);
      return;
    }
    if (!regex_can_match_dns1123_label(*text))
      r.warning(regex, "regex-never-matches",
                "regex \"" + *text + "\" can never match a namespace name (a DNS-1123 label: lowercase letters, "
                "digits and '-', 1 to 63 characters, matched in full)");
    return;
  }
  auto text = r.string_value(item, path);
  if (!text) return;
  if (text->find_first_of("*?") == std::string::npos) {
    if (!is_dns1123_label(*text)) {
      r.error(item, "invalid-namespace-name",
              "\"" + *text + "\" is not a valid namespace name (a DNS-1123 label: lowercase letters, digits and '-', "
              "starting and ending with a letter or digit, at most 63 characters); for a pattern use a glob "
              "(* and ?) or {regex: ...}");
      return;
    }
    matcher.add({name_pattern::kind::exact, *text});
    return;
  }
  for (std::size_t i = 0; i < text->size(); ++i) {
    char c = (*text)[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '*' || c == '?';
    if (!ok) {
      r.error(r.where_in_scalar(item, i), "invalid-glob",
              "invalid glob \"" + *text + "\": character '" + std::string(1, c) +
                  "' can never appear in a namespace name (globs use lowercase letters, digits, '-', '*' and '?'; "
                  "for more use {regex: ...})");
      return;
    }
  }
  matcher.add({name_pattern::kind::glob, *text});
}

// Reads a list of exact names or globs on user names or groups (any characters allowed).
void read_subject_list(document_reader& r, const YAML::Node& node, const std::string& path, name_matcher& matcher) {
  for (auto& [text, item] : r.string_list(node, path)) {
    if (text.empty()) {
      r.error(item, "empty-entry", path + ": an empty entry matches nothing");
      continue;
    }
    bool glob = text.find_first_of("*?") != std::string::npos;
    matcher.add({glob ? name_pattern::kind::glob : name_pattern::kind::exact, text});
  }
}

void compile_matcher(document_reader& r, const YAML::Node& at, const std::string& path, name_matcher& matcher) {
  if (auto problem = matcher.compile()) r.error(at, "invalid-regex", path + ": " + *problem);
}

const std::set<std::string, std::less<>> placeholders = {"policy", "namespace", "runtimeClassName", "kind", "name"};

void check_message_template(document_reader& r, const YAML::Node& node, const std::string& text) {
  for (std::size_t open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
    std::size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    std::string word = text.substr(open + 1, close - open - 1);
    if (!placeholders.contains(word))
      r.error(r.where_in_scalar(node, open), "unknown-placeholder",
              "unknown placeholder {" + word + "} in spec.message (known: {policy} {namespace} "
              "{runtimeClassName} {kind} {name})");
  }
  if (text.find_first_of("\r\n\t") != std::string::npos)
    r.warning(node, "message-control-characters",
              "spec.message contains line breaks or tabs; they are replaced by spaces because the apiserver drops "
              "warnings that contain control characters");
}

std::string summarize_entries(const std::vector<name_pattern>& patterns) {
  if (patterns.empty()) return "none";
  constexpr std::size_t max_shown = 5;
  std::string out;
  for (std::size_t i = 0; i < patterns.size() && i < max_shown; ++i) out += (i ? ", " : "") + patterns[i].display();
  if (patterns.size() > max_shown) out += " and " + std::to_string(patterns.size() - max_shown) + " more";
  return out;
}

struct loaded_item {
  std::string name;
  source_location where;
  std::string source_line;
};

class set_builder {
 public:
  explicit set_builder(const mutation_defaults& defaults) : defaults_(defaults) {}

  void read_source(const policy_source& source, diagnostics& out) {
    document_reader r(source.path, source.text, out);
    const std::size_t first = out.items().size();
    read_documents(r, source);
    out.sort_from(first);  // a file's problems in line order, as an editor lists them
  }

  void read_documents(document_reader& r, const policy_source& source) {
    std::vector<yaml_document> documents;
    try {
      documents = load_yaml_documents(source.text);
    } catch (const YAML::Exception& e) {
      r.error(r.where(e.mark), "yaml-syntax", "YAML syntax error: " + e.msg);  // mark already absolute
      return;
    }
    bool any = false;
    for (const auto& doc : documents) {
      r.set_line_offset(doc.first_line);
      any = any || !doc.root.IsNull();
      read_document(r, doc.root);
    }
    if (!any)
      r.warning(source_location{source.path, 0, 0}, "empty-file", "no YAML document with content: nothing was loaded from this file");
  }

  policy_snapshot finish(diagnostics& out, std::vector<std::string> sources) {
    if (mutations_.empty()) mutations_.push_back(default_mutation());
    check_allowed_against_excluded(out);
    if (out.has_errors()) return nullptr;
    auto set = std::make_shared<policy_set>();
    set->policies = std::move(policies_);
    set->mutations = std::move(mutations_);
    set->sources = std::move(sources);
    return set;
  }

 private:
  mutation_settings default_mutation() const {
    mutation_settings m;
    m.name = implicit_mutation_name;
    m.runtime_class_name = defaults_.runtime_class_name;
    m.extended_resource = defaults_.extended_resource;
    for (const auto& n : *excluded_namespace_preset("upstream")) {
      m.excluded_exact_names.push_back(n);
      m.excluded_namespaces.add({name_pattern::kind::exact, n});
    }
    m.excluded_namespaces.compile();
    return m;
  }

  void read_document(document_reader& r, const YAML::Node& doc) {
    if (doc.IsNull()) return;  // an empty document, e.g. after a trailing "---"
    if (!r.check_mapping(doc, "document", {"apiVersion", "kind", "metadata", "spec"})) return;
    const YAML::Node api = doc["apiVersion"], kind_node = doc["kind"];
    if (!kind_node) {
      r.error(doc, "missing-field", "document has no \"kind\" (expected PeerPodPolicy or PeerPodMutation)");
      return;
    }
    auto kind = r.string_value(kind_node, "kind");
    if (!kind) return;
    if (*kind == test_kind) return;  // test suites may live beside the policies they test
    if (*kind != policy_kind && *kind != mutation_kind) {
      r.error(kind_node, "unknown-kind", "unknown kind \"" + *kind + "\" (expected PeerPodPolicy or PeerPodMutation)");
      return;
    }
    if (!api) {
      r.error(doc, "missing-field", "document has no \"apiVersion\" (expected " + std::string(api_version) + ")");
    } else if (auto v = r.string_value(api, "apiVersion"); v && *v != api_version) {
      r.error(api, "unknown-api-version", "unknown apiVersion \"" + *v + "\" (expected " + std::string(api_version) + ")");
    }
    auto name = read_metadata(r, doc);
    const YAML::Node spec = doc["spec"];
    if (!spec) {
      r.error(doc, "missing-field", *kind + " has no \"spec\"");
      return;
    }
    if (*kind == policy_kind)
      read_policy(r, name, spec);
    else
      read_mutation(r, name, spec);
  }

  std::optional<loaded_item> read_metadata(document_reader& r, const YAML::Node& doc) {
    const YAML::Node metadata = doc["metadata"];
    if (!metadata) {
      r.error(doc, "missing-field", "document has no \"metadata\" with a name");
      return std::nullopt;
    }
    if (!r.check_mapping(metadata, "metadata", {"name", "labels", "annotations"})) return std::nullopt;
    const YAML::Node name_node = metadata["name"];
    if (!name_node) {
      r.error(metadata, "missing-field", "metadata.name is required");
      return std::nullopt;
    }
    auto name = r.string_value(name_node, "metadata.name");
    if (!name) return std::nullopt;
    if (!is_dns1123_label(*name)) {
      r.error(name_node, "invalid-name",
              "metadata.name \"" + *name + "\" must be a DNS-1123 label (lowercase letters, digits and '-', at most "
              "63 characters): it becomes an audit annotation key and a metric label");
      return std::nullopt;
    }
    const source_location at = r.where(name_node);
    if (*name == implicit_mutation_name) {
      r.error(name_node, "reserved-name",
              "metadata.name \"" + *name + "\" is reserved for the mutation settings used when no PeerPodMutation is loaded");
      return std::nullopt;
    }
    if (auto it = names_.find(*name); it != names_.end()) {
      r.error(at, "duplicate-name",
              "duplicate name \"" + *name + "\": already defined at " + it->second.file + ":" +
                  std::to_string(it->second.line));
      return std::nullopt;
    }
    names_.emplace(*name, at);
    return loaded_item{*name, at, r.line_text(at.line)};
  }

  void read_policy(document_reader& r, const std::optional<loaded_item>& item, const YAML::Node& spec) {
    if (!r.check_mapping(spec, "spec",
                         {"runtimeClassNames", "validationActions", "allowedNamespaces", "exemptions", "message"}))
      return;
    peer_pod_policy p;
    std::size_t errors_before = r.errors();
    if (const YAML::Node rc = spec["runtimeClassNames"]) {
      auto names = r.string_list(rc, "spec.runtimeClassNames");
      if (rc.IsSequence() && rc.size() == 0)
        r.error(rc, "empty-list", "spec.runtimeClassNames must not be empty (omit it for [" +
                                      defaults_.runtime_class_name + "])");
      for (auto& [n, node] : names) {
        if (!is_dns1123_subdomain(n))
          r.error(node, "invalid-name", "runtime class name \"" + n + "\" is not a valid RuntimeClass name (DNS-1123 subdomain)");
        p.runtime_class_names.push_back(n);
      }
    } else {
      p.runtime_class_names.push_back(defaults_.runtime_class_name);
    }
    read_actions(r, spec, p.actions);
    if (const YAML::Node allowed = spec["allowedNamespaces"]) {
      if (!allowed.IsSequence()) {
        r.error(allowed, "wrong-type",
                "spec.allowedNamespaces must be a list of namespace entries, not " + node_type_name(allowed) +
                    " ([] allows peer pods nowhere)");
      } else {
        std::size_t i = 0;
        for (const auto& entry : allowed)
          read_namespace_entry(r, entry, "spec.allowedNamespaces[" + std::to_string(i++) + "]", p.allowed_namespaces);
        compile_matcher(r, allowed, "spec.allowedNamespaces", p.allowed_namespaces);
      }
    } else {
      r.error(spec, "missing-field",
              "spec.allowedNamespaces is required (list the namespaces where peer pods may run; [] allows none)");
    }
    if (const YAML::Node ex = spec["exemptions"]) {
      if (r.check_mapping(ex, "spec.exemptions", {"usernames", "groups"})) {
        if (const YAML::Node u = ex["usernames"]) read_subject_list(r, u, "spec.exemptions.usernames", p.exempt_usernames);
        if (const YAML::Node g = ex["groups"]) read_subject_list(r, g, "spec.exemptions.groups", p.exempt_groups);
        compile_matcher(r, ex, "spec.exemptions.usernames", p.exempt_usernames);
        compile_matcher(r, ex, "spec.exemptions.groups", p.exempt_groups);
      }
    }
    if (const YAML::Node m = spec["message"]) {
      if (auto text = r.string_value(m, "spec.message")) {
        check_message_template(r, m, *text);
        p.message = *text;
      }
    }
    if (!item || r.errors() != errors_before) return;
    p.name = item->name;
    p.where = item->where;
    p.allowed_summary = summarize_entries(p.allowed_namespaces.patterns());
    policies_.push_back(std::move(p));
  }

  void read_actions(document_reader& r, const YAML::Node& spec, validation_actions& actions) {
    const YAML::Node node = spec["validationActions"];
    if (!node) {
      actions.deny = true;
      return;
    }
    auto words = r.string_list(node, "spec.validationActions");
    if (node.IsSequence() && node.size() == 0)
      r.error(node, "empty-list", "spec.validationActions must name at least one of Deny, Warn, Audit");
    for (auto& [w, at] : words) {
      bool* flag = w == "Deny" ? &actions.deny : w == "Warn" ? &actions.warn : w == "Audit" ? &actions.audit : nullptr;
      if (!flag) {
        r.error(at, "unknown-enum", "unknown validation action \"" + w + "\" (expected Deny, Warn or Audit; case matters)");
        continue;
      }
      if (*flag) r.warning(at, "duplicate-entry", "validation action \"" + w + "\" is listed twice");
      *flag = true;
    }
    if (actions.deny && actions.warn)
      r.error(node, "deny-with-warn",
              "spec.validationActions: Deny and Warn together are redundant and rejected (as in ValidatingAdmissionPolicy): "
              "a denied request shows its message already; use [Warn] or [Warn, Audit] before switching to [Deny]");
  }

  void read_mutation(document_reader& r, const std::optional<loaded_item>& item, const YAML::Node& spec) {
    if (!r.check_mapping(spec, "spec",
                         {"runtimeClassName", "extendedResource", "sizingAnnotations", "excludedNamespaces",
                          "unaccountedPeerPods"}))
      return;
    mutation_settings m;
    std::size_t errors_before = r.errors();
    m.runtime_class_name = defaults_.runtime_class_name;
    m.extended_resource = defaults_.extended_resource;
    YAML::Node rc_node = spec["runtimeClassName"];
    if (rc_node) {
      if (auto v = r.string_value(rc_node, "spec.runtimeClassName")) {
        if (!is_dns1123_subdomain(*v))
          r.error(rc_node, "invalid-name", "runtime class name \"" + *v + "\" is not a valid RuntimeClass name (DNS-1123 subdomain)");
        m.runtime_class_name = *v;
      }
    }
    if (const YAML::Node er = spec["extendedResource"]) {
      if (auto v = r.string_value(er, "spec.extendedResource")) {
        if (!is_qualified_name(*v) || v->find('/') == std::string::npos)
          r.error(er, "invalid-name",
                  "extended resource \"" + *v + "\" must be a domain-prefixed resource name such as kata.peerpods.io/vm");
        m.extended_resource = *v;
      }
    }
    if (const YAML::Node sa = spec["sizingAnnotations"]) {
      if (auto v = r.bool_value(sa, "spec.sizingAnnotations")) m.sizing_annotations = *v;
    }
    std::vector<std::string> presets = {"upstream"};
    YAML::Node excluded_exact_names;
    if (const YAML::Node ex = spec["excludedNamespaces"]) {
      if (r.check_mapping(ex, "spec.excludedNamespaces", {"presets", "names"})) {
        if (const YAML::Node pr = ex["presets"]) {
          presets.clear();
          for (auto& [p, at] : r.string_list(pr, "spec.excludedNamespaces.presets")) {
            if (!excluded_namespace_preset(p))
              r.error(at, "unknown-enum", "unknown preset \"" + p + "\" (expected upstream or openshift)");
            else
              presets.push_back(p);
          }
        }
        if (const YAML::Node names = ex["names"]) {
          if (!names.IsSequence()) {
            r.error(names, "wrong-type", "spec.excludedNamespaces.names must be a list, not " + node_type_name(names));
          } else {
            std::size_t i = 0;
            for (const auto& entry : names)
              read_namespace_entry(r, entry, "spec.excludedNamespaces.names[" + std::to_string(i++) + "]",
                                   m.excluded_namespaces);
          }
        }
      }
    }
    for (const auto& preset : presets)
      for (const auto& n : *excluded_namespace_preset(preset)) m.excluded_namespaces.add({name_pattern::kind::exact, n});
    for (const auto& p : m.excluded_namespaces.patterns())
      if (p.type == name_pattern::kind::exact &&
          std::find(m.excluded_exact_names.begin(), m.excluded_exact_names.end(), p.text) == m.excluded_exact_names.end())
        m.excluded_exact_names.push_back(p.text);
    compile_matcher(r, spec, "spec.excludedNamespaces", m.excluded_namespaces);
    if (const YAML::Node ua = spec["unaccountedPeerPods"]) {
      if (auto v = r.string_value(ua, "spec.unaccountedPeerPods")) {
        if (*v == "Warn") m.unaccounted = unaccounted_action::warn;
        else if (*v == "Audit") m.unaccounted = unaccounted_action::audit;
        else if (*v == "Deny") m.unaccounted = unaccounted_action::deny;
        else if (*v == "Ignore") m.unaccounted = unaccounted_action::ignore;
        else r.error(ua, "unknown-enum", "unknown value \"" + *v + "\" for spec.unaccountedPeerPods (expected Warn, Audit, Deny or Ignore)");
      }
    }
    if (!item || r.errors() != errors_before) return;
    for (const auto& other : mutations_) {
      if (other.runtime_class_name == m.runtime_class_name) {
        r.error(rc_node ? r.where(rc_node) : item->where, "duplicate-mutation",
                "a PeerPodMutation for runtime class \"" + m.runtime_class_name + "\" is already defined by \"" +
                    other.name + "\" at " + other.where.file + ":" + std::to_string(other.where.line) +
                    " (at most one per runtime class)");
        return;
      }
    }
    m.name = item->name;
    m.where = item->where;
    mutations_.push_back(std::move(m));
  }

  // Warns when an allowed-namespace entry names a namespace the mutation skips: peer pods there
  // would not be counted against the extended resource.
  void check_allowed_against_excluded(diagnostics& out) {
    for (std::size_t i = 0; i < policies_.size(); ++i) {
      const auto& p = policies_[i];
      for (const auto& rc : p.runtime_class_names) {
        const mutation_settings* m = nullptr;
        for (const auto& candidate : mutations_)
          if (candidate.runtime_class_name == rc) m = &candidate;
        if (!m) continue;
        // Which allowed entries cover which excluded names: one set match per excluded name.
        std::map<std::size_t, std::vector<std::string>> hits_by_entry;
        for (const auto& ns : m->excluded_exact_names)
          for (std::size_t index : p.allowed_namespaces.matching_patterns(ns)) hits_by_entry[index].push_back(ns);
        for (std::size_t index = 0; index < p.allowed_namespaces.patterns().size(); ++index) {
          const auto& entry = p.allowed_namespaces.patterns()[index];
          std::vector<std::string> hits = hits_by_entry[index];
          if (entry.type == name_pattern::kind::exact && hits.empty() && m->excluded_namespaces.matches(entry.text))
            hits.push_back(entry.text);
          if (hits.empty()) continue;
          std::string list;
          for (std::size_t k = 0; k < hits.size() && k < 3; ++k) list += (k ? ", " : "") + hits[k];
          if (hits.size() > 3) list += " and " + std::to_string(hits.size() - 3) + " more";
          out.warning("allowed-but-excluded", p.where,
                      "policy \"" + p.name + "\" allows " + entry.display() + ", which covers " + list +
                          ": the mutation \"" + m->name + "\" skips " + (hits.size() == 1 ? "that namespace" : "those namespaces") +
                          ", so peer pods there are not counted against " + m->extended_resource);
        }
      }
    }
  }

  static std::size_t error_count(const document_reader&) { return 0; }

  const mutation_defaults& defaults_;
  std::vector<peer_pod_policy> policies_;
  std::vector<mutation_settings> mutations_;
  std::map<std::string, source_location> names_;
};

}  // namespace

load_result load_policy_sources(const std::vector<policy_source>& sources, const mutation_defaults& defaults) {
  load_result result;
  set_builder builder(defaults);
  std::vector<std::string> names;
  for (const auto& source : sources) {
    builder.read_source(source, result.problems);
    names.push_back(source.path);
  }
  result.policies = builder.finish(result.problems, std::move(names));
  return result;
}

policy_texts read_policy_paths(const std::vector<std::string>& paths) {
  policy_texts result;
  auto read_file = [&](const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      result.problems.error("unreadable-file", {file.string(), 0, 0}, "cannot read file");
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    result.sources.push_back({file.string(), text.str()});
  };
  for (const auto& path : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      result.problems.error("unreadable-file", {path, 0, 0}, "no such file or directory");
      continue;
    }
    if (!fs::is_directory(status)) {
      read_file(path);
      continue;
    }
    const std::vector<fs::path> files = files_under(path, {".yaml", ".yml"}, ec);
    if (ec) result.problems.error("unreadable-file", {path, 0, 0}, "cannot read directory: " + ec.message());
    for (const auto& f : files) read_file(f);
  }
  return result;
}

load_result load_policy_texts(const policy_texts& texts, const mutation_defaults& defaults) {
  load_result result;
  result.problems = texts.problems;
  load_result loaded = load_policy_sources(texts.sources, defaults);
  result.problems.append(loaded.problems);
  if (!result.problems.has_errors()) result.policies = loaded.policies;
  return result;
}

load_result load_policy_paths(const std::vector<std::string>& paths, const mutation_defaults& defaults) {
  return load_policy_texts(read_policy_paths(paths), defaults);
}

policy_texts embedded_policy_texts() {
  policy_texts texts;
  for (const auto& f : embedded_policy_files())
    texts.sources.push_back({"<embedded>/policies/" + std::string(f.path), std::string(f.text)});
  return texts;
}

load_result load_embedded_policies(const mutation_defaults& defaults) {
  return load_policy_texts(embedded_policy_texts(), defaults);
}

const mutation_settings* policy_set::mutation_for(std::string_view runtime_class) const {
  for (const auto& m : mutations)
    if (m.runtime_class_name == runtime_class) return &m;
  return nullptr;
}

}  // namespace peergate
