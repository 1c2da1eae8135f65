#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "engine/policy/presets.hpp"

using namespace peergate;

TEST_CASE("the openshift preset is the operator's list plus openshift-kube-proxy") {
  std::ifstream in(PEERGATE_SHARED_DIR "/fixtures/upstream/osc-1.8-excluded-namespaces.txt");
  REQUIRE(in);
  std::vector<std::string> expected;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') expected.push_back(line);
  REQUIRE(expected.size() == 66);
  expected.push_back("openshift-kube-proxy");
  const auto* preset = excluded_namespace_preset("openshift");
  REQUIRE(preset);
  CHECK(*preset == expected);
}

TEST_CASE("the upstream preset is kube-system and the webhook's namespace") {
  const auto* preset = excluded_namespace_preset("upstream");
  REQUIRE(preset);
  CHECK(*preset == std::vector<std::string>{"kube-system", "peer-pods-webhook-system"});
  CHECK(excluded_namespace_preset("OpenShift") == nullptr);
}
