#include "webhook/server/audit_log_writer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "engine/policy/loader.hpp"
#include "tests/support/log_request.hpp"
#include "tests/support/temp_dir.hpp"
#include "webhook/server/metrics.hpp"
#include "webhook/server/policy_store.hpp"
#include "webhook/server/router.hpp"

using namespace peergate;
using namespace peergate::webhook::server;
namespace json = boost::json;
namespace fs = std::filesystem;
using peergate::testing::sample_log_request;

using peergate::testing::temp_dir;

namespace {

std::vector<std::string> lines_of(const fs::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A line of exactly `size` bytes (newline included) carrying a sequence number.
std::string numbered_line(std::size_t seq, std::size_t size = 100) {
  std::string line = "{\"seq\":" + std::to_string(seq) + ",\"pad\":\"";
  line += std::string(size - line.size() - 3, 'x');
  line += "\"}\n";
  return line;
}

std::int64_t seq_of(const std::string& line) { return json::parse(line).at("seq").as_int64(); }

}  // namespace

TEST_CASE("a controller's pod is logged with its generateName through the router", "[audit][log]") {
  // The production path: handler -> router -> writer, with the name and generateName kept apart.
  temp_dir dir;
  audit_log_options o;
  o.path = (dir.path / "audit.log").string();
  auto w = audit_log_writer::open(o, nullptr);
  REQUIRE(w);
  metrics stats{"test"};
  policy_store policies{{}, stats};
  policies.install_for_test(load_policies({}).policies);
  router routes{policies, stats, [] { return std::string(); }, w.get()};
  const std::string review = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
    "uid":"u-9","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
    "operation":"CREATE","namespace":"team-a","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller"},
    "object":{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-7c5d-","namespace":"team-a"},
              "spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","image":"nginx"}]}}}})";
  const http_response answer = routes.handle(http_request_view{"POST", "/validate", "application/json", review});
  REQUIRE(answer.status == 200);
  w->flush_and_stop();
  const auto lines = lines_of(o.path);
  REQUIRE(lines.size() == 1);
  const json::object v = json::parse(lines[0]).as_object();
  CHECK(v.at("uid") == "u-9");
  CHECK(v.at("operation") == "CREATE");
  CHECK(v.at("generateName") == "web-7c5d-");
  CHECK_FALSE(v.contains("name"));
  CHECK(v.at("action") == "deny");
}

TEST_CASE("queued lines are all written by flush_and_stop", "[audit][log]") {
  temp_dir dir;
  audit_log_options o;
  o.path = (dir.path / "audit.log").string();
  std::string error;
  auto w = audit_log_writer::open(o, &error);
  REQUIRE(w);
  const std::vector<finding> findings{
      {"rollout", rule_kind::allowed_namespaces, {.audit = true}, finding_result::violation, "m"}};
  int accepted = 0;
  for (int i = 0; i < 5000; ++i) accepted += w->record(sample_log_request(), findings);
  REQUIRE(accepted == 5000);
  w->flush_and_stop();
  CHECK(lines_of(o.path).size() == 5000);
  CHECK(w->stats().lines_written == 5000);
  CHECK(w->stats().lines_dropped == 0);
  // After the stop nothing is written, and it is counted.
  CHECK_FALSE(w->record(sample_log_request(), findings));
  CHECK(w->stats().lines_dropped == 1);
  CHECK(lines_of(o.path).size() == 5000);
}

TEST_CASE("flush waits for what was queued, the file is appended to", "[audit][log]") {
  temp_dir dir;
  const fs::path path = dir.path / "audit.log";
  std::ofstream(path) << numbered_line(0);
  audit_log_options o;
  o.path = path.string();
  auto w = audit_log_writer::open(o, nullptr);
  REQUIRE(w);
  REQUIRE(w->enqueue(numbered_line(1) + numbered_line(2), 2));
  w->flush();
  auto lines = lines_of(path);
  REQUIRE(lines.size() == 3);
  CHECK(seq_of(lines[2]) == 2);
}

TEST_CASE("lines from many threads are neither lost nor interleaved", "[audit][log]") {
  temp_dir dir;
  audit_log_options o;
  o.path = (dir.path / "audit.log").string();
  o.max_queued_bytes = 64u << 20;
  auto w = audit_log_writer::open(o, nullptr);
  REQUIRE(w);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) w->enqueue(numbered_line(t * 10000 + i), 1);
    });
  for (auto& t : threads) t.join();
  w->flush_and_stop();
  auto lines = lines_of(o.path);
  REQUIRE(lines.size() == 8000);
  std::set<std::int64_t> seen;
  for (const auto& l : lines) seen.insert(seq_of(l));  // each parses: no torn lines
  CHECK(seen.size() == 8000);
}

TEST_CASE("rotation by size keeps FILE.1 .. FILE.N, whole lines, newest in FILE", "[audit][log]") {
  temp_dir dir;
  const fs::path path = dir.path / "audit.log";
  audit_log_options o;
  o.path = path.string();
  o.max_bytes = 1000;  // ten 100-byte lines a file
  o.max_files = 3;
  auto w = audit_log_writer::open(o, nullptr);
  REQUIRE(w);
  for (int i = 0; i < 95; ++i) {
    REQUIRE(w->enqueue(numbered_line(i), 1));
    if (i % 7 == 0) w->flush();  // batches of different sizes
  }
  w->flush_and_stop();
  const auto stats = w->stats();
  CHECK(stats.lines_written == 95);
  CHECK(stats.rotations == 9);
  CHECK_FALSE(fs::exists(path.string() + ".4"));
  // Newest in FILE, then .1, .2, .3: 5 + 10 + 10 + 10 lines, in order, none cut.
  std::vector<std::int64_t> kept;
  for (const std::string name : {".3", ".2", ".1", ""}) {
    const fs::path file = path.string() + name;
    REQUIRE(fs::exists(file));
    CHECK(fs::file_size(file) <= 1000);
    for (const auto& l : lines_of(file)) kept.push_back(seq_of(l));
  }
  REQUIRE(kept.size() == 35);
  for (std::size_t i = 0; i < kept.size(); ++i) CHECK(kept[i] == static_cast<std::int64_t>(60 + i));
}

TEST_CASE("rotation counts what the file already held, a line longer than the limit is written whole", "[audit][log]") {
  temp_dir dir;
  const fs::path path = dir.path / "audit.log";
  std::ofstream(path) << numbered_line(0) << numbered_line(1);
  audit_log_options o;
  o.path = path.string();
  o.max_bytes = 250;
  o.max_files = 1;
  auto w = audit_log_writer::open(o, nullptr);
  REQUIRE(w);
  w->enqueue(numbered_line(2), 1);       // 300 > 250: rotates first
  w->enqueue(numbered_line(3, 400), 1);  // longer than max_bytes: rotates, then alone
  w->flush_and_stop();
  CHECK(lines_of(path.string() + ".1").size() == 1);
  CHECK(seq_of(lines_of(path.string() + ".1")[0]) == 2);
  REQUIRE(lines_of(path).size() == 1);
  CHECK(seq_of(lines_of(path)[0]) == 3);
  CHECK(w->stats().rotations == 2);
}

TEST_CASE("a full queue drops new lines, counts them, and the log says so", "[audit][log]") {
  // The writer writes into a pipe nobody reads yet: it blocks, like a stalled disk.
  temp_dir dir;
  const fs::path fifo = dir.path / "audit.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  audit_log_options o;
  o.path = fifo.string();
  o.max_bytes = 0;
  o.max_queued_bytes = 16 * 1024;
  auto w = audit_log_writer::open(o, nullptr);
  REQUIRE(w);
  std::size_t accepted = 0, refused = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3000; ++i) (w->enqueue(numbered_line(i), 1) ? accepted : refused)++;
  // Never blocked: 3000 lines went by in far less time than a blocked write would take.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(refused > 0);
  CHECK(w->stats().lines_dropped == refused);

  ::fcntl(reader, F_SETFL, 0);
  std::string received;
  std::thread drain([&] {
    char buf[65536];
    for (ssize_t n; (n = ::read(reader, buf, sizeof buf)) > 0;) received.append(buf, static_cast<std::size_t>(n));
  });
  w->flush_and_stop();
  w.reset();  // closes the write end: the reader sees the end
  drain.join();
  ::close(reader);

  std::istringstream in(received);
  std::size_t data_lines = 0;
  std::uint64_t marked = 0;
  std::int64_t last = -1;
  bool in_order = true;
  for (std::string l; std::getline(in, l);) {
    const json::value v = json::parse(l);
    if (v.as_object().contains("dropped")) {
      marked += v.at("dropped").as_int64();
      continue;
    }
    in_order = in_order && seq_of(l) > last;
    last = seq_of(l);
    ++data_lines;
  }
  CHECK(in_order);
  CHECK(data_lines == accepted);
  CHECK(marked == refused);
}

TEST_CASE("on SIGTERM, flush_and_stop writes the lines of every answered request", "[audit][log]") {
  // A child process plays the server: it answers requests (records lines) as fast as it can,
  // and on SIGTERM does what `peergate serve` does after draining: flush_and_stop(), exit.
  temp_dir dir;
  const fs::path path = dir.path / "audit.log";
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const int lines = 50000;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread: all inherit it
    audit_log_options o;
    o.path = path.string();
    o.max_queued_bytes = 256u << 20;
    o.max_bytes = 2u << 20;  // rotating while it stops
    o.max_files = 100;
    auto w = audit_log_writer::open(o, nullptr);
    if (!w) ::_exit(3);
    const std::vector<finding> findings{
        {"rollout", rule_kind::allowed_namespaces, {.warn = true}, finding_result::violation, "m"}};
    for (int i = 0; i < lines; ++i)
      if (!w->record(sample_log_request(), findings)) ::_exit(4);
    if (::write(ready[1], "x", 1) != 1) ::_exit(5);  // answered: now the signal
    int sig = 0;
    ::sigwait(&set, &sig);
    w->flush_and_stop();
    ::_exit(w->stats().lines_written == static_cast<std::uint64_t>(lines) ? 0 : 6);
  }
  ::close(ready[1]);
  char c;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  REQUIRE(::kill(child, SIGTERM) == 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::size_t found = 0, whole = 0;
  for (const auto& entry : fs::directory_iterator(dir.path))
    for (const auto& l : lines_of(entry.path())) {
      ++found;
      whole += json::parse(l).at("user") == "alice";
    }
  CHECK(found == static_cast<std::size_t>(lines));
  CHECK(whole == found);
}

TEST_CASE("a log that cannot be opened is an error at start", "[audit][log]") {
  audit_log_options o;
  o.path = "/nonexistent-dir/audit.log";
  std::string error;
  CHECK_FALSE(audit_log_writer::open(o, &error));
  CHECK_THAT(error, Catch::Contains("/nonexistent-dir/audit.log: cannot open the audit log"));
}
