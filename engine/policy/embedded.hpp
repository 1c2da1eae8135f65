#pragma once
#include <span>
#include <string_view>

namespace peergate {

struct embedded_file {
  std::string_view path;  // relative to policies/
  std::string_view text;
};

// The shipped policies/ directory, compiled in by cmake/embed.cmake.
std::span<const embedded_file> embedded_policy_files();

}  // namespace peergate
