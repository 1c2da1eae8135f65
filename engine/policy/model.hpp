#pragma once
// The loaded, compiled policies: an immutable snapshot shared by all requests in flight.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/admission.hpp"  // validation_actions
#include "engine/diagnostics.hpp"
#include "engine/match/name_matcher.hpp"
#include "engine/vm/vm_limits.hpp"

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

// kind: PeerPodVMPolicy: what the cloud VM of a peer pod may be (engine/vm/vm_limits.hpp), in
// the namespaces it covers.
struct peer_pod_vm_policy {
  std::string name;
  source_location where;
  std::vector<std::string> runtime_class_names;
  validation_actions actions;
  std::optional<name_matcher> namespaces;  // nullopt: every namespace
  name_matcher exempt_usernames;
  name_matcher exempt_groups;
  vm::vm_limits limits;
  std::string message;  // template with the PeerPodPolicy placeholders and {rule} {requested} {limit}; "" = default

  bool applies_to_namespace(std::string_view namespace_name) const {
    return !namespaces || namespaces->matches(namespace_name);
  }
};

// kind: PeerPodPolicyException: the named policies do not check the requests it covers until it
// expires. The chain is given the time (evaluation_context::now); nothing here reads a clock.
struct policy_exception {
  std::string name;
  source_location where;
  std::vector<std::string> policies;    // names of loaded PeerPodPolicies and PeerPodVMPolicies
  name_matcher namespaces;              // entries as allowedNamespaces
  std::optional<name_matcher> objects;  // globs on the object's name or generateName; nullopt: every object
  std::chrono::system_clock::time_point expires;
  std::string expires_text;  // as written, for messages
  std::chrono::seconds warn_before{std::chrono::hours(168)};
  std::string reason;

  bool names_policy(std::string_view policy) const {
    for (const auto& p : policies)
      if (p == policy) return true;
    return false;
  }
  // Before `expires`: at `expires` it stops applying.
  bool active_at(std::chrono::system_clock::time_point now) const { return now < expires; }
  // Within warnBefore of `expires` (and still active): the requester is warned.
  bool expiring_at(std::chrono::system_clock::time_point now) const {
    return active_at(now) && expires - now <= warn_before;
  }
  // Whether a request for an object named `name` (or made from `generate_name`) in
  // `namespace_name` is covered, whatever the time.
  bool covers(std::string_view namespace_name, std::string_view name, std::string_view generate_name) const {
    if (!namespaces.matches(namespace_name)) return false;
    if (!objects) return true;
    return (!name.empty() && objects->matches(name)) || (!generate_name.empty() && objects->matches(generate_name));
  }
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
  std::vector<peer_pod_vm_policy> vm_policies;
  std::vector<mutation_settings> mutations;  // never empty: the implicit default when none was loaded
  std::vector<policy_exception> exceptions;  // in load order
  std::vector<std::string> sources;          // files (or embedded names) loaded, in order

  // The mutation step settings for a runtime class, or nullptr.
  const mutation_settings* mutation_for(std::string_view runtime_class) const;
};

using policy_snapshot = std::shared_ptr<const policy_set>;

}  // namespace peergate
