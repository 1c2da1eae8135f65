#pragma once
// Loading, step 1 of 3 (then collector.hpp, compiler.hpp): one file's YAML into plain structs
// that remember where each item came from. The reader checks what a document alone can tell:
// YAML types, duplicate and unknown keys, enum words, name syntax, globs, regex syntax, message
// placeholders. It knows nothing of other files, of the mutation defaults, or of matchers.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/diagnostics.hpp"
#include "engine/match/name_matcher.hpp"
#include "engine/policy/model.hpp"
#include "engine/policy/source_lines.hpp"

namespace peergate {

struct policy_source {
  std::string path;  // shown in diagnostics
  std::string text;
};

struct located_pattern {
  name_pattern pattern;
  source_location where;  // the entry's scalar (for {regex: ...}, the regex)
};

// kind: PeerPodPolicy, as written.
struct policy_document {
  std::optional<std::vector<std::string>> runtime_class_names;  // nullopt: not written, the default applies
  source_location runtime_class_names_where;
  validation_actions actions;
  std::vector<located_pattern> allowed_namespaces;
  source_location allowed_namespaces_where;
  std::vector<located_pattern> exempt_usernames;
  std::vector<located_pattern> exempt_groups;
  source_location exemptions_where;
  std::string message;
};

// kind: PeerPodMutation, as written.
struct mutation_document {
  std::optional<std::string> runtime_class_name;  // nullopt: not written, the default applies
  source_location runtime_class_name_where;
  std::optional<std::string> extended_resource;  // nullopt: not written, the default applies
  source_location extended_resource_where;
  bool sizing_annotations = true;
  std::vector<std::string> presets = {"upstream"};  // known preset names only
  std::vector<located_pattern> excluded_names;
  source_location spec_where;
  unaccounted_action unaccounted = unaccounted_action::warn;
};

// kind: PeerPodVMPolicy, as written. Each limit is nullopt when not written (not checked).
struct vm_policy_document {
  std::optional<std::vector<std::string>> runtime_class_names;  // nullopt: not written, the default applies
  source_location runtime_class_names_where;
  validation_actions actions;
  std::optional<std::vector<located_pattern>> namespaces;  // nullopt: every namespace
  source_location namespaces_where;
  std::vector<located_pattern> exempt_usernames;
  std::vector<located_pattern> exempt_groups;
  source_location exemptions_where;
  std::optional<std::vector<located_pattern>> instance_types;  // [] forbids setting machine_type
  source_location instance_types_where;
  std::optional<std::uint64_t> max_vcpus;
  std::optional<vm::memory_limit> max_memory;
  std::optional<std::uint64_t> max_gpus;
  std::optional<std::vector<located_pattern>> images;  // [] forbids the image override
  source_location images_where;
  std::optional<std::vector<vm::allowed_digest>> initdata_digests;  // [] forbids the initdata override
  std::string message;
};

// kind: PeerPodPolicyException, as written; `expires` parsed, the rest checked against the
// loaded policies by the compiler.
struct exception_document {
  std::vector<std::pair<std::string, source_location>> policies;  // names, each with its entry
  std::vector<located_pattern> namespaces;
  source_location namespaces_where;
  std::optional<std::vector<located_pattern>> objects;  // nullopt: every object
  source_location objects_where;
  std::chrono::system_clock::time_point expires;
  std::string expires_text;
  source_location expires_where;
  std::chrono::seconds warn_before{std::chrono::hours(168)};
  std::string reason;
};

// A document with a valid metadata.name. `content` is empty when the document had errors; its
// name still counts, so a second document of that name is still a duplicate.
struct named_document {
  std::string name;
  source_location where;  // metadata.name
  std::variant<std::monostate, policy_document, mutation_document, vm_policy_document, exception_document> content;
};

// The name of the mutation settings used when no PeerPodMutation is loaded; reserved, so its
// findings and audit annotations never share a key with a policy's.
inline constexpr const char* implicit_mutation_name = "peer-pods-default";

// Reads one file. Its text must already be in the reporter's source_lines.
std::vector<named_document> read_policy_file(const policy_source& source, diagnostic_reporter& out);

}  // namespace peergate
