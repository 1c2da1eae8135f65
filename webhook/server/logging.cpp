#include "webhook/server/logging.hpp"

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "engine/json_text.hpp"

namespace peergate::webhook::server {

namespace {

// An spdlog sink that never makes a request wait for a write: lines are formatted by the caller
// and appended to a buffer under a short lock; a writer thread writes the buffer to the file
// descriptor in batches, every `interval` or sooner when it fills up or a warning comes. Unlike
// spdlog's async logger (one queue slot, one wake-up and one write per line) this costs no system
// call per line. When the writer cannot keep up (stderr blocked), lines beyond `max_pending`
// bytes are dropped and counted, never waited for.
class batching_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  batching_sink(int fd, std::size_t max_pending) : fd_(fd), max_pending_(max_pending) {
    pending_.reserve(flush_threshold * 2);
    writer_ = std::thread([this] { run(); });
  }
  ~batching_sink() override { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    if (writer_.joinable()) writer_.join();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    // One buffer for every line (under base_sink's mutex): a line longer than fmt's 250 inline
    // bytes (an admission line is) costs no allocation once the buffer has grown to it.
    formatted_.clear();
    formatter_->format(msg, formatted_);
    const std::size_t size = formatted_.size();
    const bool dropped = pending_.size() + size > max_pending_;
    if (!dropped) pending_.append(formatted_.data(), size);
    if (formatted_.capacity() > max_kept_line) formatted_ = spdlog::memory_buf_t();
    if (dropped) {
      ++dropped_;
      return;
    }
    if (msg.level >= spdlog::level::warn || pending_.size() >= flush_threshold) {
      urgent_ = true;
      wake_.notify_one();
    }
  }

  void flush_() override {
    urgent_ = true;
    wake_.notify_one();
  }

 private:
  static constexpr std::size_t flush_threshold = 32 * 1024;
  static constexpr std::size_t max_kept_line = 64 * 1024;  // a longer line's buffer is not kept
  static constexpr std::chrono::milliseconds interval{100};

  void run() {
    std::string writing;
    writing.reserve(flush_threshold * 2);
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait_for(lock, interval, [this] { return stopping_ || urgent_; });
      urgent_ = false;
      std::size_t dropped = std::exchange(dropped_, 0);
      const bool last = stopping_;
      writing.swap(pending_);
      lock.unlock();
      if (dropped != 0) {
        const std::string note =
            R"({"level":"warn","msg":"log lines dropped: the writer could not keep up","dropped":)" +
            std::to_string(dropped) + "}\n";
        write_all(note);
      }
      write_all(writing);
      writing.clear();
      if (writing.capacity() > 4 * flush_threshold) std::string().swap(writing);
      lock.lock();
      if (last && pending_.empty()) return;
    }
  }

  void write_all(const std::string& text) const {
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a closed or broken stderr: the lines are lost, the server goes on
      done += static_cast<std::size_t>(n);
    }
  }

  int fd_;
  std::size_t max_pending_;
  std::string pending_;             // guarded by mutex_ (base_sink's)
  spdlog::memory_buf_t formatted_;  // guarded by mutex_
  std::size_t dropped_ = 0;
  bool urgent_ = false;
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread writer_;
};

struct logging_state {
  std::mutex mutex;  // guards (re)initialisation only; logging itself reads `current_logger` lock-free
  std::shared_ptr<batching_sink> sink;
  std::shared_ptr<spdlog::logger> logger;
  log_format format = log_format::json;
};

logging_state& state() {
  static logging_state s;
  return s;
}

// Set once by init_logging before any I/O thread starts; read by every log call.
std::atomic<spdlog::logger*> current_logger{nullptr};
std::atomic<log_format> current_format{log_format::json};

spdlog::level::level_enum to_spdlog(log_level l) {
  switch (l) {
    case log_level::trace: return spdlog::level::trace;
    case log_level::debug: return spdlog::level::debug;
    case log_level::info: return spdlog::level::info;
    case log_level::warn: return spdlog::level::warn;
    case log_level::error: return spdlog::level::err;
    case log_level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

// The buffer each thread writes its log lines into, reused from line to line; a line made while
// another is open on the same thread (a rare nesting) gets a string of its own instead.
struct line_buffer {
  std::string text;
  bool in_use = false;
};
thread_local line_buffer thread_line;
constexpr std::size_t max_kept_line = 64 * 1024;  // a longer line's buffer is freed after it

bool text_needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void append_text_value(std::string& out, std::string_view s) {
  if (!text_needs_quotes(s)) {
    out.append(s);
    return;
  }
  out.push_back('"');
  append_json_escaped(out, s);
  out.push_back('"');
}

}  // namespace

std::optional<log_format> parse_log_format(std::string_view s) {
  if (s == "json") return log_format::json;
  if (s == "text") return log_format::text;
  return std::nullopt;
}

std::optional<log_level> parse_log_level(std::string_view s) {
  if (s == "trace") return log_level::trace;
  if (s == "debug") return log_level::debug;
  if (s == "info") return log_level::info;
  if (s == "warn" || s == "warning") return log_level::warn;
  if (s == "error") return log_level::error;
  if (s == "off") return log_level::off;
  return std::nullopt;
}

const char* to_string(log_level l) {
  switch (l) {
    case log_level::trace: return "trace";
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    case log_level::off: return "off";
  }
  return "info";
}

void init_logging(const logging_options& options) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  current_logger.store(nullptr);
  s.logger.reset();
  if (s.sink) s.sink->stop();
  s.sink.reset();

  s.sink = std::make_shared<batching_sink>(STDERR_FILENO, options.max_pending_bytes);
  auto logger = std::make_shared<spdlog::logger>("peergate", s.sink);
  const char* pattern =
      options.format == log_format::json ? R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ",%v})" : "%Y-%m-%dT%H:%M:%S.%fZ %v";
  logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::utc));
  logger->set_level(to_spdlog(options.level));
  s.logger = logger;
  s.format = options.format;
  current_format.store(options.format);
  current_logger.store(s.logger.get());
}

void shutdown_logging() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  current_logger.store(nullptr);
  s.logger.reset();
  if (s.sink) s.sink->stop();  // writes what is pending, joins the writer thread
  s.sink.reset();
}

bool log_enabled(log_level level) {
  spdlog::logger* logger = current_logger.load(std::memory_order_acquire);
  return logger != nullptr && logger->should_log(to_spdlog(level));
}

log_line::log_line(log_level level, std::string_view msg) : level_(level), enabled_(log_enabled(level)) {
  if (!enabled_) return;
  if (!thread_line.in_use) {
    thread_line.in_use = true;
    payload_ = &thread_line.text;
  } else {
    payload_ = &own_;
  }
  std::string& out = *payload_;
  out.clear();
  json_ = current_format.load(std::memory_order_relaxed) == log_format::json;
  // The level is written here rather than by spdlog, whose name for warn is "warning".
  if (json_) {
    out.append("\"level\":\"").append(to_string(level)).append("\",\"msg\":\"");
    append_json_escaped(out, msg);
    out.push_back('"');
  } else {
    out.append(to_string(level)).push_back(' ');
    append_json_escaped(out, msg);
  }
}

log_line::~log_line() {
  if (!done_) emit();
}

void log_line::release() {
  if (payload_ != &thread_line.text) return;
  if (thread_line.text.capacity() > max_kept_line) std::string().swap(thread_line.text);
  thread_line.in_use = false;
}

void log_line::key(std::string_view k) {
  std::string& out = *payload_;
  if (json_) {
    out.append(",\"").append(k).append("\":");
  } else {
    out.push_back(' ');
    out.append(k).push_back('=');
  }
}

log_line& log_line::field(std::string_view k, std::string_view value) {
  if (!enabled_) return *this;
  key(k);
  if (json_) {
    payload_->push_back('"');
    append_json_escaped(*payload_, value);
    payload_->push_back('"');
  } else {
    append_text_value(*payload_, value);
  }
  return *this;
}

log_line& log_line::field(std::string_view k, std::int64_t value) {
  if (!enabled_) return *this;
  key(k);
  std::array<char, 24> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  payload_->append(buf.data(), end);
  return *this;
}

log_line& log_line::field(std::string_view k, std::uint64_t value) {
  if (!enabled_) return *this;
  key(k);
  std::array<char, 24> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  payload_->append(buf.data(), end);
  return *this;
}

log_line& log_line::field(std::string_view k, double value) {
  if (!enabled_) return *this;
  key(k);
  if (!std::isfinite(value)) {
    payload_->append("null");
    return *this;
  }
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::general, 6);
  payload_->append(buf.data(), ec == std::errc() ? end : buf.data());
  return *this;
}

log_line& log_line::field(std::string_view k, bool value) {
  if (!enabled_) return *this;
  key(k);
  payload_->append(value ? "true" : "false");
  return *this;
}

log_line& log_line::field(std::string_view k, const std::vector<std::string>& values) {
  return list(k, [&values](const auto& add) {
    for (const std::string& v : values) add(v);
  });
}

void log_line::begin_list(std::string_view k) {
  key(k);
  list_empty_ = true;
  list_start_ = payload_->size();
  if (json_) payload_->push_back('[');
}

void log_line::list_item(std::string_view item) {
  std::string& out = *payload_;
  if (!list_empty_) out.push_back(',');
  list_empty_ = false;
  if (json_) {
    out.push_back('"');
    append_json_escaped(out, item);
    out.push_back('"');
  } else {
    out.append(item);  // the joined list is quoted as a whole if it needs it (end_list)
  }
}

void log_line::end_list() {
  std::string& out = *payload_;
  if (json_) {
    out.push_back(']');
    return;
  }
  const std::string_view joined = std::string_view(out).substr(list_start_);
  if (!text_needs_quotes(joined)) return;
  const std::string raw(joined);  // rare: an empty list or a value with spaces or quotes
  out.resize(list_start_);
  append_text_value(out, raw);
}

void log_line::emit() {
  done_ = true;
  if (!enabled_) return;
  enabled_ = false;  // fields added after emit() are ignored
  struct releaser {
    log_line* line;
    ~releaser() { line->release(); }  // the thread's buffer is free again, even if spdlog threw
  } const release_buffer{this};
  spdlog::logger* logger = current_logger.load(std::memory_order_acquire);
  if (logger != nullptr) logger->log(to_spdlog(level_), spdlog::string_view_t(payload_->data(), payload_->size()));
}

}  // namespace peergate::webhook::server
