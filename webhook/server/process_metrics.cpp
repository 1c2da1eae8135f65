#include "webhook/server/process_metrics.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace peergate::webhook::server {

namespace {

std::optional<double> number(std::string_view token) {
  double v = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n') ++j;
    if (j > i) out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<std::string> read_text(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<proc_stat_fields> parse_proc_self_stat(std::string_view text) {
  // The command name is in parentheses and may itself hold ") ": the fields start after the last.
  const std::size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  const std::vector<std::string_view> f = split_spaces(text.substr(close + 1));
  // f[0] is field 3 (state) of proc(5); field N is f[N - 3].
  constexpr std::size_t utime = 14 - 3, stime = 15 - 3, starttime = 22 - 3, vsize = 23 - 3, rss = 24 - 3;
  if (f.size() <= rss) return std::nullopt;
  const auto u = number(f[utime]), s = number(f[stime]), st = number(f[starttime]), vs = number(f[vsize]),
             r = number(f[rss]);
  if (!u || !s || !st || !vs || !r) return std::nullopt;
  return proc_stat_fields{
      .utime_ticks = *u, .stime_ticks = *s, .start_ticks = *st, .vsize_bytes = *vs, .rss_pages = *r};
}

std::optional<double> parse_boot_time(std::string_view proc_stat) {
  std::size_t pos = 0;
  while (pos < proc_stat.size()) {
    std::size_t end = proc_stat.find('\n', pos);
    if (end == std::string_view::npos) end = proc_stat.size();
    const std::vector<std::string_view> f = split_spaces(proc_stat.substr(pos, end - pos));
    if (f.size() == 2 && f[0] == "btime") return number(f[1]);
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<double> parse_max_open_files(std::string_view limits) {
  constexpr std::string_view key = "Max open files";
  const std::size_t at = limits.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t end = limits.find('\n', at);
  if (end == std::string_view::npos) end = limits.size();
  const std::vector<std::string_view> f = split_spaces(limits.substr(at + key.size(), end - at - key.size()));
  if (f.empty()) return std::nullopt;
  return number(f[0]);  // "unlimited" is no number: left out
}

void apply_proc_stat(process_stats& out, const proc_stat_fields& f, double ticks_per_second, double page_size_bytes,
                     std::optional<double> boot_time_seconds) {
  if (ticks_per_second > 0) {
    out.cpu_seconds = (f.utime_ticks + f.stime_ticks) / ticks_per_second;
    if (boot_time_seconds) out.start_time_seconds = *boot_time_seconds + f.start_ticks / ticks_per_second;
  }
  out.virtual_bytes = f.vsize_bytes;
  if (page_size_bytes > 0) out.resident_bytes = f.rss_pages * page_size_bytes;
}

process_stats read_process_stats() {
  process_stats stats;
  if (const auto stat = read_text("/proc/self/stat")) {
    if (const auto fields = parse_proc_self_stat(*stat)) {
      const auto system_stat = read_text("/proc/stat");
      apply_proc_stat(stats, *fields, static_cast<double>(::sysconf(_SC_CLK_TCK)),
                      static_cast<double>(::sysconf(_SC_PAGESIZE)),
                      system_stat ? parse_boot_time(*system_stat) : std::nullopt);
    }
  }
  if (const auto limits = read_text("/proc/self/limits")) stats.max_fds = parse_max_open_files(*limits);
  std::error_code ec;
  std::size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  // The iterator's own descriptor is one of the entries; a client library counts it too.
  if (!ec) stats.open_fds = static_cast<double>(fds);
  return stats;
}

}  // namespace peergate::webhook::server
