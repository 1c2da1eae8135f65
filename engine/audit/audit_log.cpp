#include "engine/audit/audit_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/audit/report.hpp"
#include "engine/pod_template.hpp"
#include "engine/audit/text_format.hpp"

namespace peergate::audit {

namespace {

std::int64_t micros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

const char* action_word(finding_action a) {
  switch (a) {
    case finding_action::deny: return "deny";
    case finding_action::warn: return "warn";
    case finding_action::audit: return "audit";
    case finding_action::none: return "";
  }
  return "";
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += ',';
  append_json_quoted(out, key);
  out += ':';
  append_json_quoted(out, value);
}

void append_line(std::string& out, const log_request& r, const std::string& time, std::string_view policy,
                 std::string_view rule, std::string_view action, std::string_view message) {
  out += "{\"time\":";
  append_json_quoted(out, time);
  append_field(out, "uid", r.uid);
  append_field(out, "user", r.user);
  append_field(out, "operation", r.operation);
  append_field(out, "kind", r.kind);
  append_field(out, "namespace", r.namespace_name);
  if (!r.name.empty() || r.generate_name.empty())
    append_field(out, "name", r.name);
  else
    append_field(out, "generateName", r.generate_name);
  append_field(out, "policy", policy);
  append_field(out, "rule", rule);
  append_field(out, "action", action);
  append_field(out, "message", message);
  out += "}\n";
}

}  // namespace

std::string format_log_lines(const log_request& request, std::span<const finding> findings,
                             std::chrono::system_clock::time_point when, std::size_t* line_count) {
  std::string out;
  std::size_t lines = 0;
  bool denial_logged = false;
  std::string time;
  for (const finding& f : findings) {
    if (f.result != finding_result::violation || f.action == finding_action::none) continue;
    if (time.empty()) time = format_time_us(micros(when));
    append_line(out, request, time, f.policy, f.rule, action_word(f.action), f.message);
    ++lines;
    denial_logged = denial_logged || f.action == finding_action::deny;
  }
  if (request.denied && !denial_logged) {
    // Refused without a policy violation: say which step refused it, if one did.
    const auto error = std::find_if(findings.begin(), findings.end(),
                                    [](const finding& f) { return f.result == finding_result::error; });
    if (time.empty()) time = format_time_us(micros(when));
    append_line(out, request, time, error != findings.end() ? std::string_view(error->policy) : std::string_view(),
                error != findings.end() ? std::string_view(error->rule) : std::string_view(), "deny", request.message);
    ++lines;
  }
  if (line_count) *line_count = lines;
  return out;
}

std::string format_dropped_line(std::uint64_t dropped, std::chrono::system_clock::time_point when) {
  std::string out = "{\"time\":";
  append_json_quoted(out, format_time_us(micros(when)));
  out += ",\"dropped\":" + std::to_string(dropped);
  append_field(out, "message", std::to_string(dropped) + " audit log lines were dropped: the queue was full");
  out += "}\n";
  return out;
}

log_writer::log_writer(const log_writer_options& options) : options_(options) {}

std::unique_ptr<log_writer> log_writer::open(const log_writer_options& options, std::string* error) {
  std::unique_ptr<log_writer> w(new log_writer(options));
  if (!w->open_file(error)) return nullptr;
  w->thread_ = std::thread([p = w.get()] { p->run(); });
  return w;
}

log_writer::~log_writer() {
  flush_and_stop();
  if (fd_ >= 0) ::close(fd_);
}

bool log_writer::open_file(std::string* error) {
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    if (error) *error = options_.path + ": cannot open the audit log: " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  file_size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  return true;
}

bool log_writer::record(const log_request& request, std::span<const finding> findings) {
  std::size_t lines = 0;
  const std::string text = format_log_lines(request, findings, std::chrono::system_clock::now(), &lines);
  if (lines == 0) return true;
  return enqueue(text, lines);
}

bool log_writer::record(const admission_request& request, const decision& answer) {
  const std::string generate_name = metadata_string(request.object, "generateName");
  log_request r;
  r.uid = request.uid;
  r.user = request.user.username;
  r.operation = to_string(request.op);
  r.kind = request.kind.kind;
  r.namespace_name = request.namespace_name;
  r.name = request.name;
  r.generate_name = generate_name;
  r.denied = !answer.allowed;
  r.message = answer.message;
  return record(r, answer.findings);
}

bool log_writer::enqueue(std::string_view text, std::size_t lines) {
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

void log_writer::run() {
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
      batch += format_dropped_line(dropped, std::chrono::system_clock::now());
    }
    write_batch(batch);
    lock.lock();
    handled_bytes_total_ += bytes;
    drained_.notify_all();
  }
  stopped_ = true;
  drained_.notify_all();
}

bool log_writer::write_all(std::string_view text) {
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

void log_writer::write_batch(std::string_view rest) {
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
    if (write_all(part))
      lines_written_ += n;
    else
      lines_failed_ += n;
    rest.remove_prefix(take);
  }
}

void log_writer::rotate() {
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

void log_writer::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = enqueued_bytes_total_;
  if (!thread_.joinable()) return;
  drained_.wait(lock, [&] { return handled_bytes_total_ >= target || stopped_; });
}

void log_writer::flush_and_stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

log_writer_stats log_writer::stats() const {
  log_writer_stats s;
  s.lines_written = lines_written_;
  s.lines_dropped = lines_dropped_;
  s.lines_failed = lines_failed_;
  s.rotations = rotations_;
  s.bytes_written = bytes_written_;
  return s;
}

}  // namespace peergate::audit
