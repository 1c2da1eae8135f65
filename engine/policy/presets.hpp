#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace peergate {

// The namespaces of a named preset of excluded namespaces ("upstream", "openshift"), or nullptr.
const std::vector<std::string>* excluded_namespace_preset(std::string_view name);

}  // namespace peergate
