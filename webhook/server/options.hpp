#pragma once
// Everything `peergate serve` can be told, as plain values, with the parsers the command line
// uses for durations, sizes and addresses. No I/O here.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "webhook/server/logging.hpp"
#include "webhook/server/tls_context.hpp"

namespace peergate::webhook::server {

struct server_options {
  std::string listen = "0.0.0.0:9443";  // upstream's port
  std::string port_file;                // written atomically with the bound port once listening
  unsigned threads = 0;                 // I/O threads; 0 = one per CPU
  std::size_t max_connections = 1024;
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  // Memory (docs/server.md, "Memory"). Request bodies being read or evaluated hold their size
  // from a server-wide budget, taken before the body is read; a request that does not fit is
  // answered 503 with Retry-After. A chunked body holds max_body_bytes.
  std::size_t max_inflight_bytes = 64 * 1024 * 1024;
  // The heap memory one review's decoding and evaluation may hold at once; over it: 413.
  std::size_t max_document_bytes = 16 * 1024 * 1024;

  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds header_timeout{10'000};  // from the first byte of a request to the end of its headers
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{90'000};  // keep-alive: between requests
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_timeout{25'000};  // drain deadline on SIGTERM/SIGINT
  // On SIGTERM/SIGINT, keep accepting (readyz says 503) this long before draining: the endpoints
  // controller and every apiserver need a moment to stop sending to a terminating pod.
  std::chrono::milliseconds shutdown_delay{0};

  std::vector<std::string> policy_paths;  // empty = embedded defaults
  std::chrono::milliseconds reload_debounce{200};
  std::chrono::milliseconds watch_poll_interval{30'000};

  tls_settings tls;      // cert_file empty = embedded certificate
  std::string cert_dir;  // where the embedded CA is written; "" = fresh directory under $TMPDIR

  // One JSON line per denial and per Warn/Audit violation (the format: audit/log_line.hpp); "" = off.
  std::string audit_log;
  std::uint64_t audit_log_max_bytes = 100ull << 20;
  unsigned audit_log_max_files = 5;

  logging_options logging;
};

// "10s", "250ms", "1m", "1.5s", "2h", or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "8388608", "8Mi", "8MiB", "512Ki", "512KiB", "1Gi", "8M" (decimal: 8000000).
std::optional<std::size_t> parse_byte_size(std::string_view text);

struct listen_address {
  std::string host;  // an IP literal ("0.0.0.0", "127.0.0.1", "::", "::1"); "localhost" -> 127.0.0.1
  std::uint16_t port = 0;
};
// "ADDR:PORT", "[V6ADDR]:PORT", ":PORT" (all IPv4 interfaces). Port 0 = any free port.
std::optional<listen_address> parse_listen_address(std::string_view text, std::string& error);

// The smallest --max-document-bytes: a real review takes tens of KiB.
inline constexpr std::size_t min_document_bytes = 64 * 1024;

// Checks the options together; returns the problems, one per line, or "" when all is well.
std::string validate(const server_options& options);

// The CPUs a cgroup v2 `cpu.max` line allows ("150000 100000" -> 2, rounded up; "max 100000"
// or anything unreadable -> nullopt: no quota).
std::optional<unsigned> cpus_from_cgroup_cpu_max(std::string_view cpu_max);

// I/O threads for --threads 0: the CPUs this process may run on (its affinity mask), capped by
// its cgroup's CPU quota, which is a container's CPU limit. std::thread::hardware_concurrency
// sees neither and would start one thread per CPU of the node.
unsigned default_thread_count();

}  // namespace peergate::webhook::server
