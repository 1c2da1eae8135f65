#pragma once
// Evaluates one existing object the way admission would evaluate its CREATE: the validation
// step only (no mutation: what runs is what the apiserver stored), in the object's namespace,
// with an empty user so that no username or group exemption applies (the audit is about what
// runs, not about who created it). Each policy, each limit of a VM policy and each mutation's
// accounting check gives one result: pass, fail (Deny violation), warn (Warn/Audit violation or
// unaccounted peer pod), skip (not a peer pod for it, a namespace it does not cover, exempt) or
// error (the object cannot be evaluated).

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audit/report.hpp"
#include "engine/chain.hpp"
#include "engine/policy/model.hpp"

namespace peergate::audit {

// PeerPodPolicies first, in load order; then each PeerPodVMPolicy, in load order, with one
// column per limit it sets (in rule order: instance-type, vcpus, memory, gpus, image,
// initdata); then one accounting column per mutation.
std::vector<column> columns_for(const policy_set& policies);

struct column_outcome {
  result outcome = result::skip;
  std::uint8_t actions = 0;
  std::string message;
};

// The controller among metadata.ownerReferences (else the first one).
struct owner_reference {
  std::string kind;
  std::string name;
  std::string uid;
};

struct object_evaluation {
  bool evaluated = false;  // false: a kind without pods (Service, ConfigMap, ...), not audited
  std::string kind;
  std::string api_version;
  std::string namespace_name;  // metadata.namespace, else the default namespace
  std::string name;
  bool generated_name = false;
  std::string uid;
  std::optional<owner_reference> owner;
  std::vector<column_outcome> outcomes;  // one per column, when evaluated
  vm_size vm;                            // what the VM of each of its pods asks for
};

// `object` is any JSON value read from the input; what cannot be evaluated becomes error
// outcomes with the reason. The object is moved into the request that is evaluated, at the
// context's time.
object_evaluation evaluate_object(boost::json::value object, const policy_set& policies,
                                  const evaluation_context& context, const std::string& default_namespace);

// Error outcomes for every column, for an item that could not be read at all.
std::vector<column_outcome> error_outcomes(std::size_t columns, const std::string& reason);

}  // namespace peergate::audit
