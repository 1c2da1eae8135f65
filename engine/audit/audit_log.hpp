#pragma once
// The audit log of `peergate serve --audit-log FILE`: one JSON line per Warn or Audit violation
// and per denial, so that `peergate audit --from-log` can show what a policy in Audit mode would
// have denied before it is switched to Deny.
//
// The writer never blocks the thread that records (an I/O thread of the server): lines are
// formatted by the caller, appended to a bounded in-memory queue under a short lock, and written
// by a background thread. When the queue is full the new lines are dropped and counted, and the
// writer later writes a marker line saying how many were lost, so a report knows its counts
// are lower bounds. Files rotate by size: FILE, FILE.1 (newest) ... FILE.N.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "engine/admission.hpp"

namespace peergate::audit {

// What a log line says about the request, besides the finding. Views: nothing is kept.
struct log_request {
  std::string_view uid;
  std::string_view user;
  std::string_view operation;  // "CREATE", "UPDATE", ...
  std::string_view kind;       // "Pod", "Deployment", ...
  std::string_view namespace_name;
  std::string_view name;           // "" on CREATE with generateName
  std::string_view generate_name;  // used when `name` is ""
  bool denied = false;             // the answer was allowed: false
  std::string_view message;        // the denial message, when denied
};

// The lines (each ending in '\n') for one answered request: one per violation finding with
// action deny, warn or audit; and when the request was denied without any deny finding (an
// object that cannot be evaluated, an internal error), one line with action "deny", the policy
// of an error finding if there is one, and the denial message. "" when there is nothing to log.
//   {"time":"2024-05-01T12:00:00.123456Z","uid":"...","user":"alice","operation":"CREATE",
//    "kind":"Pod","namespace":"team-a","name":"web","policy":"...","rule":"allowed-namespaces",
//    "action":"audit","message":"..."}
// ("generateName" replaces "name" when there is no name.)
std::string format_log_lines(const log_request& request, std::span<const finding> findings,
                             std::chrono::system_clock::time_point when, std::size_t* line_count = nullptr);

// {"time":"...","dropped":N,"message":"..."}: written by the writer after lines were dropped.
std::string format_dropped_line(std::uint64_t dropped, std::chrono::system_clock::time_point when);

struct log_writer_options {
  std::string path;
  std::uint64_t max_bytes = 100ull << 20;  // rotate before a line would take FILE past this; 0: never
  unsigned max_files = 5;                  // rotated files kept (FILE.1 .. FILE.N); 0: none kept
  std::size_t max_queued_bytes = 8u << 20; // lines waiting for the writer; beyond, new lines are dropped
};

struct log_writer_stats {
  std::uint64_t lines_written = 0;
  std::uint64_t lines_dropped = 0;  // queue full, or recorded after flush_and_stop()
  std::uint64_t lines_failed = 0;   // the write to the file failed (disk full, ...)
  std::uint64_t rotations = 0;
  std::uint64_t bytes_written = 0;
};

class log_writer {
 public:
  // Opens (creates, appends to) options.path and starts the writer thread; nullptr with
  // *error when the file cannot be opened.
  static std::unique_ptr<log_writer> open(const log_writer_options& options, std::string* error);
  ~log_writer();  // flush_and_stop()

  log_writer(const log_writer&) = delete;
  log_writer& operator=(const log_writer&) = delete;

  // One answered request: formats its lines (the clock read here) and queues them. Never
  // waits for the file; returns false when the lines were dropped (queue full or stopped).
  bool record(const log_request& request, std::span<const finding> findings);
  // The same from the engine's own types, for callers that have them.
  bool record(const admission_request& request, const decision& answer);
  // Lines already formatted (each ending in '\n'), `lines` of them.
  bool enqueue(std::string_view text, std::size_t lines);

  // Waits until everything queued before the call is written (or failed).
  void flush();
  // Writes everything queued, then stops the writer thread: call it on SIGTERM once the
  // requests in flight are answered. Lines recorded afterwards are dropped and counted.
  void flush_and_stop();

  log_writer_stats stats() const;

 private:
  explicit log_writer(const log_writer_options& options);
  bool open_file(std::string* error);
  void run();
  void write_batch(std::string_view batch);
  bool write_all(std::string_view text);
  void rotate();

  const log_writer_options options_;
  int fd_ = -1;
  std::uint64_t file_size_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: there is work, or stop
  std::condition_variable drained_;  // flush(): a batch was written
  std::string queue_;                // whole lines waiting
  std::uint64_t enqueued_bytes_total_ = 0;  // bytes ever queued; flush() waits for handled to reach it
  std::uint64_t handled_bytes_total_ = 0;
  std::uint64_t dropped_since_marker_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;

  std::atomic<std::uint64_t> lines_written_{0};
  std::atomic<std::uint64_t> lines_dropped_{0};
  std::atomic<std::uint64_t> lines_failed_{0};
  std::atomic<std::uint64_t> rotations_{0};
  std::atomic<std::uint64_t> bytes_written_{0};

  std::thread thread_;
};

}  // namespace peergate::audit
