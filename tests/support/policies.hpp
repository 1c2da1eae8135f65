#pragma once
// Policies written inline in a test, loaded with the built-in mutation defaults (never the
// environment), the test stopping with the loader's diagnostics when they do not load.

#include <catch2/catch.hpp>
#include <string>

#include "engine/policy/loader.hpp"

namespace peergate::testing {

inline policy_snapshot load_test_policies(const std::string& file_name, const std::string& yaml) {
  load_result r = load_policy_sources({{file_name, yaml}}, mutation_defaults{});
  INFO(r.problems.render_text());
  REQUIRE(r.ok());
  return r.policies;
}

}  // namespace peergate::testing
