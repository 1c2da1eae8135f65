#include "webhook/server/options.hpp"

#include <sched.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

namespace peergate::webhook::server {

namespace {

std::optional<double> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  struct unit {
    std::string_view suffix;
    double ms;
  };
  static constexpr unit units[] = {{"ms", 1.0}, {"s", 1000.0}, {"m", 60'000.0}, {"h", 3'600'000.0}};
  double factor = 1000.0;  // bare number: seconds
  std::string_view number = text;
  for (const unit& u : units) {
    if (text.size() > u.suffix.size() && text.substr(text.size() - u.suffix.size()) == u.suffix) {
      std::string_view rest = text.substr(0, text.size() - u.suffix.size());
      // "5m" must not be read as "5" + "m" when it is "5ms": units are tried longest first.
      if (!rest.empty() && (std::isdigit(static_cast<unsigned char>(rest.back())) || rest.back() == '.')) {
        factor = u.ms;
        number = rest;
        break;
      }
    }
  }
  std::optional<double> value = parse_number(number);
  if (!value) return std::nullopt;
  const double ms = *value * factor;
  if (ms > 1e12) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::optional<std::size_t> parse_byte_size(std::string_view text) {
  struct unit {
    std::string_view suffix;
    std::uint64_t factor;
  };
  static constexpr unit units[] = {
      {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"Ki", 1ull << 10}, {"Mi", 1ull << 20},
      {"Gi", 1ull << 30},  {"K", 1000},         {"M", 1000000},      {"G", 1000000000},  {"B", 1}};
  std::uint64_t factor = 1;
  std::string_view number = text;
  for (const unit& u : units) {
    if (text.size() > u.suffix.size() && text.substr(text.size() - u.suffix.size()) == u.suffix) {
      factor = u.factor;
      number = text.substr(0, text.size() - u.suffix.size());
      break;
    }
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
  if (value > (std::uint64_t{1} << 40) / factor) return std::nullopt;
  return static_cast<std::size_t>(value * factor);
}

std::optional<listen_address> parse_listen_address(std::string_view text, std::string& error) {
  listen_address out;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "bad listen address \"" + std::string(text) + "\" (expected [IPV6]:PORT)";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "bad listen address \"" + std::string(text) + "\" (expected ADDR:PORT)";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      error = "bad listen address \"" + std::string(text) + "\" (write IPv6 addresses as [ADDR]:PORT)";
      return std::nullopt;
    }
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    error = "bad port in listen address \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(value);
  out.host = host.empty() ? "0.0.0.0" : host == "localhost" ? "127.0.0.1" : std::string(host);
  return out;
}

std::string validate(const server_options& o) {
  std::string problems;
  auto problem = [&](const std::string& p) { problems += (problems.empty() ? "" : "\n") + p; };
  std::string error;
  if (!parse_listen_address(o.listen, error)) problem(error);
  if (o.tls.cert_file.empty() != o.tls.key_file.empty())
    problem("--tls-cert and --tls-key go together: give both, or neither for the embedded certificate");
  if (!o.tls.cipher_suites.empty()) {
    const cipher_selection c = resolve_cipher_suites(o.tls.cipher_suites, o.tls.min_version);
    if (!c.error.empty()) problem(c.error);
  }
  if (o.max_connections == 0) problem("--max-connections must be at least 1");
  if (o.max_body_bytes == 0) problem("--max-body-bytes must be at least 1");
  if (o.max_inflight_bytes < o.max_body_bytes)
    problem("--max-inflight-bytes must be at least --max-body-bytes (" + std::to_string(o.max_body_bytes) +
            " bytes): a body of the largest size must fit");
  if (o.max_document_bytes < min_document_bytes)
    problem("--max-document-bytes must be at least " + std::to_string(min_document_bytes) + " bytes (64Ki)");
  if (o.threads > 256) problem("--threads must be at most 256");
  using ms = std::chrono::milliseconds;
  for (auto [name, value] :
       {std::pair{"--handshake-timeout", o.handshake_timeout}, std::pair{"--header-timeout", o.header_timeout},
        std::pair{"--body-timeout", o.body_timeout}, std::pair{"--idle-timeout", o.idle_timeout},
        std::pair{"--write-timeout", o.write_timeout}}) {
    if (value <= ms(0)) problem(std::string(name) + " must be positive");
  }
  return problems;
}

std::optional<unsigned> cpus_from_cgroup_cpu_max(std::string_view cpu_max) {
  std::istringstream in{std::string(cpu_max)};
  std::string quota_text, period_text;
  if (!(in >> quota_text >> period_text) || quota_text == "max") return std::nullopt;
  const std::optional<double> quota = parse_number(quota_text), period = parse_number(period_text);
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return static_cast<unsigned>(std::max(1.0, std::ceil(*quota / *period)));
}

unsigned default_thread_count() {
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = std::max(1, CPU_COUNT(&set));
  // cgroup v2: "0::/path" in /proc/self/cgroup; inside a container's cgroup namespace the
  // path is "/" and the container's own limits are at the root of /sys/fs/cgroup.
  std::string path;
  std::ifstream cgroup("/proc/self/cgroup");
  for (std::string line; std::getline(cgroup, line);)
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  auto read_line = [](const std::string& file) {
    std::ifstream in(file);
    std::string text;
    std::getline(in, text);
    return text;
  };
  for (const std::string& dir : {"/sys/fs/cgroup" + path, std::string("/sys/fs/cgroup")})
    if (const std::optional<unsigned> limit = cpus_from_cgroup_cpu_max(read_line(dir + "/cpu.max")))
      cpus = std::min(cpus, *limit);
  // cgroup v1 (older nodes): the same quota in two files; -1 = none, which parses as no quota.
  for (const char* dir : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
    const std::string v1 =
        read_line(std::string(dir) + "/cpu.cfs_quota_us") + " " + read_line(std::string(dir) + "/cpu.cfs_period_us");
    if (const std::optional<unsigned> limit = cpus_from_cgroup_cpu_max(v1)) cpus = std::min(cpus, *limit);
  }
  return cpus;
}

}  // namespace peergate::webhook::server
