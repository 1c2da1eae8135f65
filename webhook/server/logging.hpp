#pragma once
// Structured logging for the webhook server: one JSON object a line (or `key=value` text) on
// stderr, through spdlog with a batching sink: the calling thread formats the line and appends it
// to a buffer; a writer thread writes the buffer in batches (at least every 100 ms, at once for
// warnings and errors). No I/O thread ever waits on a write, and no line costs a system call; when
// the writer cannot keep up, lines are dropped (and the drop is logged) rather than blocking.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peergate::webhook::server {

enum class log_format { json, text };
enum class log_level { trace, debug, info, warn, error, off };

std::optional<log_format> parse_log_format(std::string_view s);
std::optional<log_level> parse_log_level(std::string_view s);  // also accepts "warning"
const char* to_string(log_level l);

struct logging_options {
  log_format format = log_format::json;
  log_level level = log_level::info;
  std::size_t max_pending_bytes = 8 * 1024 * 1024;  // waiting for the writer; more is dropped
};

// Installs the asynchronous logger (stderr). Safe to call again: the previous logger is replaced.
void init_logging(const logging_options& options);
// Flushes what is queued and stops the writer thread. Call it only once no other thread logs.
void shutdown_logging();
bool log_enabled(log_level level);

// One log event: a message and typed fields, rendered once in the configured format.
//   log_line(log_level::info, "listening").field("port", 9443).emit();
// -> {"time":"...","level":"info","msg":"listening","port":9443}
// The line is written into a buffer the thread reuses (its capacity kept from line to line), so
// that a request's log lines cost no allocation; a line made while another is open on the same
// thread gets a buffer of its own.
class log_line {
 public:
  log_line(log_level level, std::string_view msg);
  log_line(const log_line&) = delete;
  log_line& operator=(const log_line&) = delete;
  ~log_line();  // emits, unless emit() was called already

  log_line& field(std::string_view key, std::string_view value);
  log_line& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
  log_line& field(std::string_view key, const std::string& value) { return field(key, std::string_view(value)); }
  log_line& field(std::string_view key, std::int64_t value);
  log_line& field(std::string_view key, int value) { return field(key, static_cast<std::int64_t>(value)); }
  log_line& field(std::string_view key, std::uint64_t value);
  log_line& field(std::string_view key, double value);
  log_line& field(std::string_view key, bool value);
  log_line& field(std::string_view key, const std::vector<std::string>& values);
  // A list of strings given by `for_each(add)`, which calls add(std::string_view) for each one in
  // turn: a list built without a container.
  template <typename ForEach>
  log_line& list(std::string_view key, const ForEach& for_each) {
    if (!enabled_) return *this;
    begin_list(key);
    for_each([this](std::string_view item) { list_item(item); });
    end_list();
    return *this;
  }

  void emit();

 private:
  void key(std::string_view k);
  void begin_list(std::string_view k);
  void list_item(std::string_view item);
  void end_list();
  void release();

  log_level level_;
  bool enabled_;
  bool done_ = false;
  bool json_ = true;
  bool list_empty_ = true;
  std::size_t list_start_ = 0;
  std::string* payload_ = nullptr;  // json: "msg":"...","k":v ; text: msg k=v (the thread's buffer or own_)
  std::string own_;
};

}  // namespace peergate::webhook::server
