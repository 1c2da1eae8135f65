#pragma once
// The process metrics every Prometheus client library exports (process_cpu_seconds_total,
// process_resident_memory_bytes, ...), read from /proc/self like client_golang's process
// collector does. Parsing is apart from reading so that tests feed it fixed /proc texts.

#include <optional>
#include <string_view>

namespace peergate::webhook::server {

// One reading; a value is absent when its /proc file could not be read or parsed, and is then
// left out of the exposition rather than exported as a made-up 0.
struct process_stats {
  std::optional<double> cpu_seconds;         // user + system time
  std::optional<double> resident_bytes;      // RSS
  std::optional<double> virtual_bytes;       // VSZ
  std::optional<double> start_time_seconds;  // Unix time
  std::optional<double> open_fds;
  std::optional<double> max_fds;  // the soft limit on open files
};

// The fields of /proc/self/stat peergate exports, in their units as the kernel writes them.
struct proc_stat_fields {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double start_ticks = 0;  // since boot
  double vsize_bytes = 0;
  double rss_pages = 0;
};

// /proc/self/stat (`pid (comm) state ...`; comm may hold spaces and parentheses).
std::optional<proc_stat_fields> parse_proc_self_stat(std::string_view text);
// The `btime` line of /proc/stat: boot time, Unix seconds.
std::optional<double> parse_boot_time(std::string_view proc_stat);
// The soft limit of "Max open files" in /proc/self/limits; none when "unlimited".
std::optional<double> parse_max_open_files(std::string_view limits);

// Turns the parsed fields into stats, given the clock tick rate, the page size and the boot time.
void apply_proc_stat(process_stats& out, const proc_stat_fields& f, double ticks_per_second, double page_size_bytes,
                     std::optional<double> boot_time_seconds);

// Reads /proc/self/stat, /proc/stat, /proc/self/limits and /proc/self/fd now. Blocking but cheap
// (procfs files live in memory); called once per scrape.
process_stats read_process_stats();

}  // namespace peergate::webhook::server
