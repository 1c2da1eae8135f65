#pragma once
// Loading, step 3 of 3 (after reader.hpp and collector.hpp): the collected documents become the
// immutable policy_set. Name lists become matchers, presets become exact names, each policy's
// default-message summary is made, and the cross-checks run (a namespace a policy allows but its
// mutation excludes; an exception's policies). A document whose lists cannot be built is left
// out, with an error.

#include <chrono>
#include <optional>

#include "engine/policy/collector.hpp"
#include "engine/policy/model.hpp"

namespace peergate {

// `now`, the time of loading, is what an exception's expiry is judged against (expired, more
// than a year ahead); without it those two warnings are not made. The compiler reads no clock.
policy_set compile_policy_set(collected_documents collected, diagnostic_reporter& out,
                              std::optional<std::chrono::system_clock::time_point> now = std::nullopt);

}  // namespace peergate
