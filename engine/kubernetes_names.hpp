#pragma once
// Kubernetes' name rules (k8s.io/apimachinery/pkg/util/validation), once for the loader and the
// deploy kit.

#include <string_view>

namespace peergate {

// A DNS-1123 label: 1 to 63 of [a-z0-9-], starting and ending with [a-z0-9] (namespace names).
bool is_dns1123_label(std::string_view s);
// A DNS-1035 label: a DNS-1123 label that starts with a letter (Service names).
bool is_dns1035_label(std::string_view s);
// A DNS-1123 subdomain: dot-separated labels, at most 253 characters (RuntimeClass names).
bool is_dns1123_subdomain(std::string_view s);
// A qualified name such as kata.peerpods.io/vm: an optional DNS subdomain prefix and a name of
// letters, digits, '-', '_' and '.', starting and ending with a letter or digit.
bool is_qualified_name(std::string_view s);

}  // namespace peergate
