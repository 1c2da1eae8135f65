#pragma once
// The writer of the audit log of `peergate serve --audit-log FILE`: one JSON line per Warn or
// Audit violation and per denial (the format is audit/log_line.hpp, shared with the reader of
// `peergate audit --from-log`), so that a report can show what a policy in Audit mode would have
// denied before it is switched to Deny.
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

#include "audit/log_line.hpp"
#include "engine/admission.hpp"

namespace peergate::webhook::server {

struct audit_log_options {
  std::string path;
  std::uint64_t max_bytes = 100ull << 20;   // rotate before a line would take FILE past this; 0: never
  unsigned max_files = 5;                   // rotated files kept (FILE.1 .. FILE.N); 0: none kept
  std::size_t max_queued_bytes = 8u << 20;  // lines waiting for the writer; beyond, new lines are dropped
};

struct audit_log_stats {
  std::uint64_t lines_written = 0;
  std::uint64_t lines_dropped = 0;  // queue full, or recorded after flush_and_stop()
  std::uint64_t lines_failed = 0;   // the write to the file failed (disk full, ...)
  std::uint64_t rotations = 0;
  std::uint64_t bytes_written = 0;
};

class audit_log_writer {
 public:
  // Opens (creates, appends to) options.path and starts the writer thread; nullptr with
  // *error when the file cannot be opened.
  static std::unique_ptr<audit_log_writer> open(const audit_log_options& options, std::string* error);
  ~audit_log_writer();  // flush_and_stop()

  audit_log_writer(const audit_log_writer&) = delete;
  audit_log_writer& operator=(const audit_log_writer&) = delete;

  // One answered request: formats its lines (the clock read here) and queues them. Never
  // waits for the file; returns false when the lines were dropped (queue full or stopped).
  bool record(const audit::log_request& request, std::span<const finding> findings);
  // Lines already formatted (each ending in '\n'), `lines` of them.
  bool enqueue(std::string_view text, std::size_t lines);

  // Waits until everything queued before the call is written (or failed).
  void flush();
  // Writes everything queued, then stops the writer thread: call it on SIGTERM once the
  // requests in flight are answered. Lines recorded afterwards are dropped and counted.
  void flush_and_stop();

  audit_log_stats stats() const;

 private:
  explicit audit_log_writer(const audit_log_options& options);
  bool open_file(std::string* error);
  void run();
  void write_batch(std::string_view batch);
  bool write_all(std::string_view text);
  void rotate();

  const audit_log_options options_;
  int fd_ = -1;
  std::uint64_t file_size_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable wake_;            // the writer: there is work, or stop
  std::condition_variable drained_;         // flush(): a batch was written
  std::string queue_;                       // whole lines waiting
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

}  // namespace peergate::webhook::server
