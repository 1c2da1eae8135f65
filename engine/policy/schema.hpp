#pragma once
#include <string_view>

namespace peergate {

// The JSON Schema of PeerPodPolicy, PeerPodMutation and PeerPodPolicyTest
// (policies/schema/peergate.schema.json), compiled in by cmake/embed.cmake.
std::string_view policy_schema();

}  // namespace peergate
