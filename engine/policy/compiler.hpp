#pragma once
// Loading, step 3 of 3 (after reader.hpp and collector.hpp): the collected documents become the
// immutable policy_set. Name lists become matchers, presets become exact names, each policy's
// default-message summary is made, and the cross-checks run (a namespace a policy allows but its
// mutation excludes). A document whose lists cannot be built is left out, with an error.

#include "engine/policy/collector.hpp"
#include "engine/policy/model.hpp"

namespace peergate {

policy_set compile_policy_set(collected_documents collected, diagnostic_reporter& out);

}  // namespace peergate
