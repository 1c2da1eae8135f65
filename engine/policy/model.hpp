#pragma once
// The loaded, compiled policies: an immutable snapshot shared by all requests in flight.

#include <memory>
#include <string>
#include <vector>

#include "engine/admission.hpp"  // validation_actions
#include "engine/diagnostics.hpp"
#include "engine/match/name_matcher.hpp"

namespace peergate {

inline constexpr const char* api_version = "peergate.dev/v1alpha1";
inline constexpr const char* default_runtime_class = "kata-remote";
inline constexpr const char* default_extended_resource = "kata.peerpods.io/vm";

// kind: PeerPodPolicy
struct peer_pod_policy {
  std::string name;
  source_location where;
  std::vector<std::string> runtime_class_names;
  validation_actions actions;
  name_matcher allowed_namespaces;
  name_matcher exempt_usernames;
  name_matcher exempt_groups;
  std::string message;          // template with {policy} {namespace} {runtimeClassName} {kind} {name}; "" = default
  std::string allowed_summary;  // "confidential-ai, team-*, /ml-.../" shortened, for the default message
};

enum class unaccounted_action { warn, audit, deny, ignore };

// kind: PeerPodMutation (or the implicit default when none is loaded)
struct mutation_settings {
  std::string name;  // "peer-pods-default" for the implicit default
  source_location where;
  std::string runtime_class_name;
  std::string extended_resource;
  bool sizing_annotations = true;
  name_matcher excluded_namespaces;
  std::vector<std::string> excluded_exact_names;  // presets + exact names, in order (for manifests)
  unaccounted_action unaccounted = unaccounted_action::warn;
};

struct policy_set {
  std::vector<peer_pod_policy> policies;
  std::vector<mutation_settings> mutations;  // never empty: the implicit default when none was loaded
  std::vector<std::string> sources;          // files (or embedded names) loaded, in order

  // The mutation step settings for a runtime class, or nullptr.
  const mutation_settings* mutation_for(std::string_view runtime_class) const;
};

using policy_snapshot = std::shared_ptr<const policy_set>;

}  // namespace peergate
