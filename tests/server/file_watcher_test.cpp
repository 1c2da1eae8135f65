#include <catch2/catch.hpp>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "webhook/server/file_watcher.hpp"
#include "tests/support/temp_dir.hpp"

using namespace peergate::webhook::server;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using peergate::testing::temp_dir;

namespace {

// Records callbacks; waits for one with a deadline (an event, not a sleep).
struct recorder {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> causes;

  void operator()(const char* cause) {
    std::lock_guard lock(mutex);
    causes.emplace_back(cause);
    cv.notify_all();
  }
  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, [&] { return causes.size() >= n; });
  }
  std::string last() {
    std::lock_guard lock(mutex);
    return causes.empty() ? "" : causes.back();
  }
};

}  // namespace

TEST_CASE("changes in a watched directory, new subdirectories included, call back once per burst") {
  temp_dir dir;
  fs::create_directories(dir.path / "policies");
  std::ofstream(dir.path / "policies" / "a.yaml") << "a: 1\n";

  recorder rec;
  file_watcher watcher(file_watcher::options{50ms, 2000ms, 0ms});
  watcher.add_group("policies", {(dir.path / "policies").string()}, [&](const char* c) { rec(c); });
  watcher.start();
  REQUIRE(watcher.using_inotify_for_test());

  for (int i = 0; i < 20; ++i) std::ofstream(dir.path / "policies" / "a.yaml") << "a: " << i << "\n";
  REQUIRE(rec.wait_for_count(1));
  CHECK(rec.last() == "change");

  fs::create_directories(dir.path / "policies" / "sub");
  REQUIRE(rec.wait_for_count(2));
  std::ofstream(dir.path / "policies" / "sub" / "b.yaml") << "b: 1\n";
  REQUIRE(rec.wait_for_count(3));

  watcher.trigger_all();
  REQUIRE(rec.wait_for_count(4));
  CHECK(rec.last() == "signal");
  watcher.stop();
  watcher.stop();  // idempotent
}

TEST_CASE("a watched file replaced by rename is seen") {
  temp_dir dir;
  const fs::path cert = dir.path / "tls.crt";
  std::ofstream(cert) << "one\n";
  recorder rec;
  file_watcher watcher(file_watcher::options{50ms, 2000ms, 0ms});
  watcher.add_group("tls", {cert.string()}, [&](const char* c) { rec(c); });
  watcher.start();
  std::ofstream(dir.path / "tls.crt.new") << "two\n";
  fs::rename(dir.path / "tls.crt.new", cert);
  REQUIRE(rec.wait_for_count(1));
}

TEST_CASE("polling finds changes without inotify events") {
  temp_dir dir;
  const fs::path file = dir.path / "p.yaml";
  std::ofstream(file) << "one\n";
  recorder rec;
  file_watcher watcher(file_watcher::options{50ms, 2000ms, 100ms});
  watcher.add_group("p", {file.string()}, [&](const char* c) { rec(c); });
  watcher.start();
  std::ofstream(file) << "two, longer\n";
  REQUIRE(rec.wait_for_count(1));
  CHECK((rec.last() == "change" || rec.last() == "poll"));
}

TEST_CASE("a directory given with a trailing slash is watched, and so is its replacement") {
  temp_dir dir;
  fs::create_directories(dir.path / "cm");
  recorder rec;
  file_watcher watcher(file_watcher::options{50ms, 2000ms, 0ms});
  watcher.add_group("cm", {(dir.path / "cm").string() + "/"}, [&](const char* c) { rec(c); });
  watcher.start();
  fs::create_directories(dir.path / "cm.new");
  std::ofstream(dir.path / "cm.new" / "p.yaml") << "p: 1\n";
  fs::remove_all(dir.path / "cm");
  fs::rename(dir.path / "cm.new", dir.path / "cm");  // seen through the parent's watch
  REQUIRE(rec.wait_for_count(1));
}
