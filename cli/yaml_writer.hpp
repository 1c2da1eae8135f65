#pragma once
// JSON values written as block-style YAML, the way people write Kubernetes manifests: keys in
// insertion order, plain scalars where YAML reads them back as the same string, double-quoted
// (JSON-escaped) ones otherwise, and multi-line text as literal blocks so that a policy file
// inside a ConfigMap stays readable.

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace peergate::cli {

// Appends `value` to `out`. A top-level object or array starts at column 0.
void append_yaml(std::string& out, const boost::json::value& value);

// `text` as a YAML scalar on one line: plain when safe, double-quoted otherwise.
std::string yaml_scalar(std::string_view text);

// `text` as "# " comment lines (one per line of text), each ending in a newline.
std::string yaml_comment(std::string_view text);

}  // namespace peergate::cli
