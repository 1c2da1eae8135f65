#pragma once
// How every reader of Kubernetes objects (the webhook, `peergate audit`, the CLI's files, the fuzz
// target) configures Boost.JSON, so that they all accept the same documents.

#include <boost/json/parse_options.hpp>
#include <cstddef>

namespace peergate {

// Objects' managedFields nest deeper than Boost.JSON's default max_depth of 32; 512 leaves room
// for any real object while still refusing pathological nesting before it exhausts the stack.
inline constexpr std::size_t max_json_depth = 512;

inline boost::json::parse_options kubernetes_parse_options() {
  boost::json::parse_options options;
  options.max_depth = max_json_depth;
  return options;
}

}  // namespace peergate
