#pragma once
// Reads policy YAML (PeerPodPolicy, PeerPodMutation) into a compiled policy_set, strictly:
// every problem is collected with its location; nothing is silently defaulted.

#include <optional>
#include <string>
#include <vector>

#include "engine/diagnostics.hpp"
#include "engine/policy/model.hpp"

namespace peergate {

struct policy_source {
  std::string path;  // shown in diagnostics
  std::string text;
};

// Defaults for the mutation settings, from upstream's environment variables
// TARGET_RUNTIMECLASS and POD_VM_EXTENDED_RESOURCE when set.
struct mutation_defaults {
  std::string runtime_class_name = default_runtime_class;
  std::string extended_resource = default_extended_resource;
  static mutation_defaults from_environment();
};

struct load_result {
  policy_snapshot policies;  // null when there were errors
  diagnostics problems;
  bool ok() const { return policies != nullptr; }
};

// Files and directories (read recursively, *.yaml and *.yml, in path order).
load_result load_policy_paths(const std::vector<std::string>& paths,
                              const mutation_defaults& defaults = mutation_defaults::from_environment());

// The two halves of load_policy_paths, for callers that need the texts they load (the policies
// ConfigMap of `peergate manifests` holds exactly what was checked): the files read, with the
// problems of reading them, then loaded with those problems carried into the result.
struct policy_texts {
  std::vector<policy_source> sources;
  diagnostics problems;
};
policy_texts read_policy_paths(const std::vector<std::string>& paths);
load_result load_policy_texts(const policy_texts& texts,
                              const mutation_defaults& defaults = mutation_defaults::from_environment());

// The shipped policies/ compiled into the binary, as texts (named <embedded>/policies/FILE).
policy_texts embedded_policy_texts();

// Already-read texts (tests, the embedded defaults).
load_result load_policy_sources(const std::vector<policy_source>& sources,
                                const mutation_defaults& defaults = mutation_defaults::from_environment());

// The shipped policies/ compiled into the binary.
load_result load_embedded_policies(const mutation_defaults& defaults = mutation_defaults::from_environment());

// The namespaces of a named preset of excluded namespaces ("upstream", "openshift"), or nullptr.
const std::vector<std::string>* excluded_namespace_preset(std::string_view name);

}  // namespace peergate
