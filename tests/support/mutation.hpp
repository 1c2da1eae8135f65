#pragma once
// The peer-pods mutation applied to a copy of a pod, for tests that look at the mutated pod
// rather than at the patch (the webhook mutates the review it owns in place).

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "engine/mutation.hpp"

namespace peergate::testing {

struct pod_mutation {
  bool refused = false;  // as patch_mutation::refused
  std::string reason;
  boost::json::value pod;  // the mutated pod (a copy); meaningful only when !refused
};

inline pod_mutation mutate_peer_pod(const boost::json::value& pod, std::string_view extended_resource,
                                    bool sizing_annotations) {
  // The copy is made in the pod's own memory resource.
  pod_mutation result{false, {}, boost::json::value(pod, pod.storage())};
  boost::json::array ops;
  json_patch::operation_array patch(ops);
  patch_mutation in_place = mutate_peer_pod_in_place(result.pod, extended_resource, sizing_annotations, patch);
  result.refused = in_place.refused;
  result.reason = std::move(in_place.reason);
  return result;
}

}  // namespace peergate::testing
