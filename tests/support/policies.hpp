#pragma once
// Policies written inline in a test, loaded with the built-in mutation defaults (never the
// environment).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "engine/policy/loader.hpp"

namespace peergate::testing {

// Every file loaded as one set, whatever the diagnostics.
inline load_result load_inline_policies(std::vector<policy_source> files) {
  return load_policy_texts({std::move(files), {}}, mutation_defaults{});
}

// One file that must load; the test stops with the loader's diagnostics when it does not.
inline policy_snapshot load_test_policies(const std::string& file_name, const std::string& yaml) {
  load_result r = load_inline_policies({{file_name, yaml}});
  INFO(r.problems.render_text());
  REQUIRE(r.ok());
  return r.policies;
}

}  // namespace peergate::testing
