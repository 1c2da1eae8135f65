#include "webhook/server/audit_log_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace peergate::webhook::server {

audit_log_writer::audit_log_writer(const audit_log_options& options) : options_(options) {}

std::unique_ptr<audit_log_writer> audit_log_writer::open(const audit_log_options& options, std::string* error) {
  std::unique_ptr<audit_log_writer> w(new audit_log_writer(options));
  if (!w->open_file(error)) return nullptr;
  w->thread_ = std::thread([p = w.get()] { p->run(); });
  return w;
}

audit_log_writer::~audit_log_writer() {
  flush_and_stop();
  if (fd_ >= 0) ::close(fd_);
}

bool audit_log_writer::open_file(std::string* error) {
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    if (error) *error = options_.path + ": cannot open the audit log: " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  file_size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  return true;
}

bool audit_log_writer::record(const audit::log_request& request, std::span<const finding> findings) {
  std::size_t lines = 0;
  const std::string text = audit::format_log_lines(request, findings, std::chrono::system_clock::now(), &lines);
  if (lines == 0) return true;
  return enqueue(text, lines);
}

bool audit_log_writer::enqueue(std::string_view text, std::size_t lines) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      lines_dropped_ += lines;
      return false;
    }
    if (queue_.size() + text.size() > options_.max_queued_bytes) {
      // The writer cannot keep up (slow disk): drop rather than make an I/O thread wait. The
      // writer is busy, so it will see the count at its next batch and write a marker.
      lines_dropped_ += lines;
      dropped_since_marker_ += lines;
      return false;
    }
    // A writer that waits always waits on an empty queue: waking it once is enough.
    wake = queue_.empty();
    queue_.append(text);
    enqueued_bytes_total_ += text.size();
  }
  if (wake) wake_.notify_one();
  return true;
}

void audit_log_writer::run() {
  std::string batch;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return !queue_.empty() || dropped_since_marker_ != 0 || stopping_; });
    if (queue_.empty() && dropped_since_marker_ == 0 && stopping_) break;
    batch.clear();
    batch.swap(queue_);  // the queue keeps the capacity of the previous batch
    const std::uint64_t bytes = batch.size();
    const std::uint64_t dropped = dropped_since_marker_;
    dropped_since_marker_ = 0;
    lock.unlock();
    if (dropped) {  // after the batch: the dropped lines came after the ones queued
      batch += audit::format_dropped_line(dropped, std::chrono::system_clock::now());
    }
    write_batch(batch);
    lock.lock();
    handled_bytes_total_ += bytes;
    drained_.notify_all();
  }
  stopped_ = true;
  drained_.notify_all();
}

bool audit_log_writer::write_all(std::string_view text) {
  if (fd_ < 0 && !open_file(nullptr)) return false;
  while (!text.empty()) {
    const ssize_t n = ::write(fd_, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
    file_size_ += static_cast<std::uint64_t>(n);
    bytes_written_ += static_cast<std::uint64_t>(n);
  }
  return true;
}

void audit_log_writer::write_batch(std::string_view batch) {
  std::string_view rest = batch;  // what is still to be written
  while (!rest.empty()) {
    // The longest run of whole lines that keeps the file within max_bytes.
    std::size_t take = rest.size();
    if (options_.max_bytes != 0 && file_size_ + rest.size() > options_.max_bytes) {
      const std::uint64_t room = file_size_ < options_.max_bytes ? options_.max_bytes - file_size_ : 0;
      take = 0;
      while (take < rest.size()) {
        const std::size_t nl = rest.find('\n', take);
        const std::size_t next = nl == std::string_view::npos ? rest.size() : nl + 1;
        if (next > room) break;
        take = next;
      }
      if (take == 0) {
        if (file_size_ > 0) {
          rotate();
          if (file_size_ == 0) continue;
        }
        // A line longer than max_bytes on its own (or a file that could not be rotated away):
        // written all the same, a log line is never cut.
        const std::size_t nl = rest.find('\n');
        take = nl == std::string_view::npos ? rest.size() : nl + 1;
      }
    }
    const std::string_view part = rest.substr(0, take);
    const auto n = static_cast<std::uint64_t>(std::count(part.begin(), part.end(), '\n'));
    if (write_all(part)) lines_written_ += n;
    else lines_failed_ += n;
    rest.remove_prefix(take);
  }
}

void audit_log_writer::rotate() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  const std::string& path = options_.path;
  if (options_.max_files == 0) {
    ::unlink(path.c_str());
  } else {
    for (unsigned i = options_.max_files - 1; i >= 1; --i)
      ::rename((path + "." + std::to_string(i)).c_str(), (path + "." + std::to_string(i + 1)).c_str());
    ::rename(path.c_str(), (path + ".1").c_str());
  }
  ++rotations_;
  if (!open_file(nullptr)) file_size_ = 0;  // retried by the next write
}

void audit_log_writer::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = enqueued_bytes_total_;
  if (!thread_.joinable()) return;
  drained_.wait(lock, [&] { return handled_bytes_total_ >= target || stopped_; });
}

void audit_log_writer::flush_and_stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

audit_log_stats audit_log_writer::stats() const {
  audit_log_stats s;
  s.lines_written = lines_written_;
  s.lines_dropped = lines_dropped_;
  s.lines_failed = lines_failed_;
  s.rotations = rotations_;
  s.bytes_written = bytes_written_;
  return s;
}

}  // namespace peergate::webhook::server
