#pragma once
// The admission request as the engine sees it (decoded from an AdmissionReview by
// webhook/review_codec), and the decision the chain returns. Plain data, no I/O.

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/json_patch.hpp"

namespace peergate {

enum class operation { create, update, remove, connect };  // remove = DELETE

struct group_version_kind {
  std::string group;
  std::string version;
  std::string kind;
};

// request.kind of a bare object (a manifest, an item of `kubectl get -o json`) from its apiVersion
// and kind: "apps/v1" is group "apps", version "v1"; "v1" is the core group "", version "v1".
group_version_kind kind_of_object(std::string_view api_version, std::string_view kind);

// The uid and the user are JSON strings, like the objects: the webhook's decoder moves them out
// of the review it parsed into its per-request arena instead of copying them to the heap.
struct user_info {
  boost::json::string username;
  boost::json::array groups;  // strings only: the decoder refuses a review with any other
};

struct admission_request {
  admission_request() = default;
  // The uid, user and objects live in `storage`: the webhook decodes each review into a
  // per-request arena.
  explicit admission_request(boost::json::storage_ptr storage)
      : uid(storage),
        user{boost::json::string(storage), boost::json::array(storage)},
        object(storage),
        old_object(std::move(storage)) {}

  boost::json::string uid;
  group_version_kind kind;     // request.kind: what the object is
  std::string sub_resource;    // "" for the main resource
  std::string name;            // "" on CREATE with generateName
  std::string namespace_name;  // request.namespace ("" for cluster-scoped or hand-made input)
  operation op = operation::create;
  user_info user;
  boost::json::value object;      // null when absent
  boost::json::value old_object;  // null on CREATE
  bool dry_run = false;
};

// What a violation does: one word of a PeerPodPolicy's validationActions, or the action of an
// accounting check (unaccountedPeerPods).
enum class policy_action { deny, warn, audit };
inline constexpr policy_action all_policy_actions[] = {policy_action::deny, policy_action::warn, policy_action::audit};

// A set of actions: a policy's validationActions ([Warn, Audit] is one set, not two findings).
struct validation_actions {
  bool deny = false;
  bool warn = false;
  bool audit = false;

  bool contains(policy_action a) const {
    return a == policy_action::deny ? deny : a == policy_action::warn ? warn : audit;
  }
  bool empty() const { return !deny && !warn && !audit; }
  static validation_actions only(policy_action a) {
    return {a == policy_action::deny, a == policy_action::warn, a == policy_action::audit};
  }
  friend bool operator==(const validation_actions&, const validation_actions&) = default;
};

// The check a finding comes from. More rules can be added (each with its to_string word); every
// consumer switches over them, so the compiler lists what a new rule must be taught to.
enum class rule_kind {
  allowed_namespaces,  // a PeerPodPolicy: is the runtime class allowed in this namespace
  accounting,          // a PeerPodMutation's check for peer pods not counted against its resource
  mutation,            // the mutation step itself
  // A PeerPodVMPolicy's limits (engine/vm/vm_limits.hpp), one rule each: the machine_type,
  // default_vcpus, default_memory, default_gpus, image and cc_init_data the VM is asked with.
  vm_instance_type,
  vm_vcpus,
  vm_memory,
  vm_gpus,
  vm_image,
  vm_initdata,
};
inline constexpr rule_kind all_rule_kinds[] = {
    rule_kind::allowed_namespaces, rule_kind::accounting, rule_kind::mutation, rule_kind::vm_instance_type,
    rule_kind::vm_vcpus,           rule_kind::vm_memory,  rule_kind::vm_gpus,  rule_kind::vm_image,
    rule_kind::vm_initdata};

// What one policy (or the accounting check, or the mutation) concluded about one request.
enum class finding_result {
  pass,       // a peer pod this policy allows
  violation,  // the policy's actions apply
  skip,       // not a peer pod for this policy, exempt user, or an unchanged UPDATE
  error,      // the object could not be evaluated
};

// One per policy and rule that looked at the request, whatever its actions: a violation of a
// [Warn, Audit] policy is one finding whose `actions` hold both.
struct finding {
  std::string policy;  // policy name, mutation name for accounting and mutation findings
  rule_kind rule = rule_kind::allowed_namespaces;
  validation_actions actions;  // what a violation does: the policy's (empty for the mutation)
  finding_result result = finding_result::pass;
  std::string message;
  std::string exception;  // a skip because a PeerPodPolicyException covers the request: its name
};

struct decision {
  bool allowed = true;
  int code = 200;       // HTTP-like status for the response: 403 policy, 400 bad object, 500 internal
  std::string message;  // on denial, shown by kubectl after "denied the request: "
  // RFC 6902 operations, as JSON text; empty when nothing changes. Written in the storage of the
  // request's object (the webhook's per-review arena): the decision must not outlive that storage.
  json_patch::patch_text patch;
  std::vector<std::string> warnings;
  std::vector<std::pair<std::string, std::string>> audit_annotations;
  std::vector<finding> findings;
};

const char* to_string(operation op);
const char* to_string(policy_action a);  // "deny", "warn", "audit"
// "allowed-namespaces", "accounting", "mutation", and the VM rules' own words: "instance-type",
// "vcpus", "memory", "gpus", "image", "initdata" (vm::to_string of the same rule).
const char* to_string(rule_kind r);
// The rule_kind of a word of to_string, for test expectations; nullopt for an unknown word.
std::optional<rule_kind> rule_kind_named(std::string_view word);
inline constexpr finding_result all_finding_results[] = {finding_result::pass, finding_result::violation,
                                                         finding_result::skip, finding_result::error};
// The same for finding_result ("pass", "violation", "skip", "error").
std::optional<finding_result> finding_result_named(std::string_view word);
const char* to_string(finding_result r);

}  // namespace peergate
