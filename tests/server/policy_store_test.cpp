#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "webhook/server/metrics.hpp"
#include "webhook/server/policy_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace peergate::webhook::server;
namespace fs = std::filesystem;

using peergate::testing::temp_dir;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

std::string policy(const std::string& actions) {
  return "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\nmetadata:\n  name: p\nspec:\n"
         "  runtimeClassNames: [kata-remote]\n  validationActions: [" + actions + "]\n  allowedNamespaces: [a]\n";
}

}  // namespace

TEST_CASE("a reload is swapped in only when it loaded without errors") {
  const temp_dir tmp;
  const fs::path& dir = tmp.path;
  write(dir / "p.yaml", policy("Deny"));

  metrics stats("test");
  policy_store store({dir.string()}, stats);
  CHECK_FALSE(store.loaded());
  REQUIRE(store.reload("startup"));
  const auto first = store.current();
  REQUIRE(first);
  CHECK(first->policies.size() == 1);

  write(dir / "p.yaml", policy("Perhaps"));
  CHECK_FALSE(store.reload("change"));
  CHECK(store.current() == first);  // the last good set keeps serving

  write(dir / "p.yaml", policy("Warn"));
  CHECK(store.reload("change"));
  CHECK(store.current() != first);
  CHECK(store.current()->policies.front().actions.warn);

  const std::string text = stats.render();
  CHECK(text.find(R"(peergate_policy_reloads_total{result="success"} 1)") != std::string::npos);
  CHECK(text.find(R"(peergate_policy_reloads_total{result="failure"} 1)") != std::string::npos);
  CHECK(text.find(R"(peergate_policies_loaded{kind="PeerPodPolicy"} 1)") != std::string::npos);
}

TEST_CASE("without paths the embedded policies are served") {
  metrics stats("test");
  policy_store store({}, stats);
  REQUIRE(store.reload("startup"));
  CHECK_FALSE(store.current()->policies.empty());
}
