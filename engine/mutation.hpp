#pragma once
// The peer-pods mutation, reproducing the upstream cloud-api-adaptor webhook
// (src/webhook/pkg/mutating): VM sizing annotations from the summed container resources,
// every container's resources emptied, and the peer-pod extended resource on containers[0].

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/json_patch.hpp"

namespace peergate {

inline constexpr const char* vcpus_annotation = "io.katacontainers.config.hypervisor.default_vcpus";
inline constexpr const char* memory_annotation = "io.katacontainers.config.hypervisor.default_memory";
inline constexpr const char* gpus_annotation = "io.katacontainers.config.hypervisor.default_gpus";
inline constexpr const char* gpu_resource = "nvidia.com/gpu";

struct patch_mutation {
  // refused: the pod cannot be mutated safely (no containers, an unparsable quantity, a
  // malformed spec); `reason` says why, in words a pod author understands.
  bool refused = false;
  std::string reason;
};

// The VM size the mutation writes for a pod spec: cpu, memory and GPU requests and limits summed
// over containers and initContainers, upstream's choice between limit and request, rounded up to
// whole vCPUs and MiB. 0: no annotation. VM governance reads the size a workload template will
// ask for through the same function.
struct pod_vm_size {
  std::int64_t vcpus = 0;
  std::int64_t memory_mib = 0;
  std::int64_t gpus = 0;
};

// False, with the reason, when a quantity cannot be read (the mutation refuses such a pod). The
// JSON types of `spec` must have been checked first (pod_spec_type_problem).
bool compute_pod_vm_size(const boost::json::object& spec, pod_vm_size* size, std::string* reason);

// Mutates a Pod object (the whole object: apiVersion, kind, metadata, spec) that the caller has
// already decided is a peer pod of the configured runtime class in a non-excluded namespace, in
// place, writing to `ops` the minimal RFC 6902 operations that turn the original pod into the
// mutated one (only the annotations and the containers' resources can change, so only those are
// compared). The webhook uses it on the review it owns, which saves copying and diffing the whole
// pod, and writes the patch as text (json_patch::patch_text). `sizing_annotations` false skips the
// three io.katacontainers.* annotations. On refusal `pod` is unchanged and nothing is written.
// (Tests mutate a copy with tests/support/mutation.hpp.)
patch_mutation mutate_peer_pod_in_place(boost::json::value& pod, std::string_view extended_resource,
                                        bool sizing_annotations, json_patch::operation_sink& ops);

// The same for a pod whose JSON types read_subject has checked (metadata_type_problem,
// read_pod_spec and pod_spec_type_problem found nothing, engine/pod_template.hpp): the chain's
// mutation step, which reads the subject first and need not check the pod twice.
patch_mutation mutate_checked_peer_pod(boost::json::object& pod, std::string_view extended_resource,
                                       bool sizing_annotations, json_patch::operation_sink& ops);

}  // namespace peergate
