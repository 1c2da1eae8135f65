#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "webhook/server/metrics.hpp"
#include "webhook/server/policy_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace peergate::webhook::server;
namespace fs = std::filesystem;

using peergate::testing::temp_dir;

namespace {

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string policy(const std::string& actions) {
  return "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\nmetadata:\n  name: p\nspec:\n"
         "  runtimeClassNames: [kata-remote]\n  validationActions: [" +
         actions + "]\n  allowedNamespaces: [a]\n";
}

std::string named_policy(const std::string& name) {
  return "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\nmetadata:\n  name: " + name +
         "\nspec:\n"
         "  runtimeClassNames: [kata-remote]\n  validationActions: [Deny]\n  allowedNamespaces: [a]\n";
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

TEST_CASE("the content hash names the policy texts, whatever their paths") {
  using peergate::policy_source;
  const std::vector<policy_source> set{{"/etc/peergate/a.yaml", "a: 1\n"}, {"/etc/peergate/b.yaml", "b: 2\n"}};
  const std::string hash = policy_content_hash(set);
  CHECK(hash.size() == 12);
  CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(policy_content_hash({{"/other/a.yaml", "a: 1\n"}, {"/other/b.yaml", "b: 2\n"}}) == hash);
  CHECK(policy_content_hash({{"a.yaml", "a: 1\n"}, {"b.yaml", "b: 3\n"}}) != hash);
  // The same bytes split differently between files are a different set.
  CHECK(policy_content_hash({{"a.yaml", "a: 1\nb"}, {"b.yaml", ": 2\n"}}) != hash);
}

TEST_CASE("a load exports the served set's hash, and a failed reload keeps it") {
  const temp_dir tmp;
  const fs::path& dir = tmp.path;
  write(dir / "p.yaml", policy("Deny"));
  metrics stats("test");
  policy_store store({dir.string()}, stats);
  REQUIRE(store.reload("startup"));
  const std::string deny_hash = policy_content_hash({{"p.yaml", policy("Deny")}});
  CHECK(stats.render().find("peergate_policies_info{hash=\"" + deny_hash + "\"} 1\n") != std::string::npos);

  write(dir / "p.yaml", policy("Perhaps"));
  CHECK_FALSE(store.reload("change"));
  CHECK(stats.render().find("peergate_policies_info{hash=\"" + deny_hash + "\"} 1\n") != std::string::npos);

  write(dir / "p.yaml", policy("Warn"));
  REQUIRE(store.reload("change"));
  const std::string warn_hash = policy_content_hash({{"p.yaml", policy("Warn")}});
  CHECK(warn_hash != deny_hash);
  CHECK(stats.render().find("peergate_policies_info{hash=\"" + warn_hash + "\"} 1\n") != std::string::npos);
}

TEST_CASE("without paths the embedded policies are served") {
  metrics stats("test");
  policy_store store({}, stats);
  REQUIRE(store.reload("startup"));
  CHECK_FALSE(store.current()->policies.empty());
}

// Readers on the request path take snapshots while reloads publish new ones. Each snapshot must
// be a whole set that was installed, and the last one installed is what remains. Under
// ThreadSanitizer (make tsan), a publication that does not order the readers' copies before the
// next swap is reported here (GCC 12's std::atomic<std::shared_ptr> is).
TEST_CASE("snapshots taken while reloads publish new sets are always whole sets") {
  metrics stats("test");
  policy_store store({}, stats);
  REQUIRE(store.reload("startup"));
  const std::size_t embedded = store.current()->policies.size();
  REQUIRE(embedded > 0);

  // Sets of 1..4 policies: a reader can tell which one it got and that it is intact.
  const temp_dir tmp;
  std::vector<peergate::policy_snapshot> sets;
  for (std::size_t n = 1; n <= 4; ++n) {
    const fs::path dir = tmp.path / std::to_string(n);
    fs::create_directories(dir);
    for (std::size_t i = 0; i < n; ++i)
      write(dir / ("p" + std::to_string(i) + ".yaml"), named_policy("p" + std::to_string(i)));
    policy_store loader({dir.string()}, stats);
    REQUIRE(loader.reload("startup"));
    REQUIRE(loader.current()->policies.size() == n);
    sets.push_back(loader.current());
  }

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> reads{0};
  std::atomic<std::uint64_t> torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const peergate::policy_snapshot s = store.current();
        const std::size_t n = s->policies.size();
        if (n == 0 || (n > 4 && n != embedded) || s->mutations.empty()) torn.fetch_add(1);
        reads.fetch_add(1);
      }
    });
  }
  // Until the readers have really overlapped the installs (threads may start late on a busy host).
  for (std::size_t i = 0; i < 20000 || reads.load() < 20000; ++i) store.install_for_test(sets[i % sets.size()]);
  store.install_for_test(sets.back());
  stop.store(true);
  for (std::thread& t : readers) t.join();

  CHECK(torn.load() == 0);
  CHECK(reads.load() > 0);
  CHECK(store.current() == sets.back());
  // Only the store and `sets` hold the sets: no reader kept a reference it did not release.
  for (const auto& set : sets) CHECK(set.use_count() == (set == sets.back() ? 2 : 1));
}
