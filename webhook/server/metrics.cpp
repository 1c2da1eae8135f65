#include "webhook/server/metrics.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/version.hpp>
#include <charconv>
#include <mutex>

#include "webhook/server/request_budget.hpp"

namespace peergate::webhook::server {

namespace {

// "gcc 12.2.0": the compiler the binary was built with, for peergate_build_info.
std::string_view build_compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

// The HTTP statuses the server answers, for peergate_http_responses_total{code}; anything else
// is counted as "other".
constexpr std::array<int, 10> http_statuses = {200, 400, 403, 404, 405, 413, 415, 431, 500, 503};

std::size_t status_index(int status) {
  for (std::size_t i = 0; i < http_statuses.size(); ++i) {
    if (http_statuses[i] == status) return i;
  }
  return http_statuses.size();
}

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out.append("\\\\"); break;
      case '"': out.append("\\\""); break;
      case '\n': out.append("\\n"); break;
      default: out.push_back(c);
    }
  }
}

void append_double(std::string& out, double v) {
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
  out.append(buf.data(), ec == std::errc() ? end : buf.data());
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).push_back(' ');
  out.append(help).push_back('\n');
  out.append("# TYPE ").append(name).push_back(' ');
  out.append(type).push_back('\n');
}

template <typename T>
void sample(std::string& out, std::string_view name, std::string_view labels, T value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.push_back(' ');
  if constexpr (std::is_floating_point_v<T>) {
    append_double(out, value);
  } else {
    out.append(std::to_string(value));
  }
  out.push_back('\n');
}

}  // namespace

const char* to_string(endpoint e) {
  switch (e) {
    case endpoint::validate: return "validate";
    case endpoint::mutate: return "mutate";
    case endpoint::admit: return "admit";
  }
  return "unknown";
}

const char* to_string(decision_label d) {
  switch (d) {
    case decision_label::allowed: return "allowed";
    case decision_label::denied: return "denied";
    case decision_label::bad_request: return "bad_request";
    case decision_label::error: return "error";
  }
  return "unknown";
}

const char* to_string(connection_phase p) {
  switch (p) {
    case connection_phase::handshake: return "handshake";
    case connection_phase::idle: return "idle";
    case connection_phase::header: return "header";
    case connection_phase::body: return "body";
    case connection_phase::write: return "write";
  }
  return "unknown";
}

metrics::metrics(std::string version) : version_(std::move(version)) {}

void metrics::record_admission(endpoint e, decision_label d, std::chrono::nanoseconds duration) {
  const auto ei = static_cast<std::size_t>(e);
  requests_[ei][static_cast<std::size_t>(d)].fetch_add(1, std::memory_order_relaxed);
  histogram& h = durations_[ei];
  const double seconds = std::chrono::duration<double>(duration).count();
  std::size_t b = 0;
  while (b < duration_buckets.size() && seconds > duration_buckets[b]) ++b;
  if (b < duration_buckets.size()) h.buckets[b].fetch_add(1, std::memory_order_relaxed);
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.sum_ns.fetch_add(static_cast<std::uint64_t>(duration.count() < 0 ? 0 : duration.count()),
                     std::memory_order_relaxed);
}

void metrics::record_finding(const finding& f) {
  const std::string_view result = to_string(f.result);
  if (f.result != finding_result::violation || f.actions.empty()) {
    count_policy_result(f.policy, f.rule, "none", result);
    return;
  }
  for (policy_action a : all_policy_actions)
    if (f.actions.contains(a)) count_policy_result(f.policy, f.rule, to_string(a), result);
}

std::size_t metrics::hash(const result_view& key) {
  std::size_t h = std::hash<std::string_view>()(std::get<0>(key));
  const auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(static_cast<std::size_t>(std::get<1>(key)));
  mix(std::hash<std::string_view>()(std::get<2>(key)));
  mix(std::hash<std::string_view>()(std::get<3>(key)));
  return h;
}

metrics::result_series* metrics::find(const result_table& table, const result_view& key, std::size_t hash) {
  const std::size_t mask = table.slots.size() - 1;
  // At most half the slots are used: the probe ends on a free slot.
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    result_series* series = table.slots[i].load(std::memory_order_acquire);
    if (series == nullptr || series->view() == key) return series;
  }
}

void metrics::place(result_table& table, result_series* series, std::size_t hash) {
  const std::size_t mask = table.slots.size() - 1;
  std::size_t i = hash & mask;
  while (table.slots[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & mask;
  // Release: a reader that finds the pointer sees the series' strings (a new table is published
  // as a whole by its own release store).
  table.slots[i].store(series, std::memory_order_release);
}

void metrics::count_policy_result(std::string_view policy, rule_kind rule, std::string_view action,
                                  std::string_view result) {
  const result_view key{policy, rule, action, result};
  const std::size_t h = hash(key);
  if (const result_table* table = result_table_.load(std::memory_order_acquire)) {
    if (result_series* series = find(*table, key, h)) {
      series->count.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  std::lock_guard lock(result_series_mutex_);
  const result_table* current = result_table_.load(std::memory_order_relaxed);
  result_series* series = current ? find(*current, key, h) : nullptr;
  if (series == nullptr) {
    result_series_.push_back(std::unique_ptr<result_series>(
        new result_series{std::string(policy), rule, std::string(action), std::string(result)}));
    series = result_series_.back().get();
    const std::size_t size = current ? current->slots.size() : 0;
    if (2 * result_series_.size() > size) {
      // A new table for every series; readers of the old one find the new series here.
      auto bigger = std::make_unique<result_table>(std::max<std::size_t>(64, 2 * size));
      for (const auto& s : result_series_) place(*bigger, s.get(), hash(s->view()));
      result_tables_.push_back(std::move(bigger));
      result_table_.store(result_tables_.back().get(), std::memory_order_release);
    } else {
      place(*result_tables_.back(), series, h);
    }
  }
  series->count.fetch_add(1, std::memory_order_relaxed);
}

void metrics::record_exception_use(std::string_view exception, std::string_view policy) {
  const exception_view key(exception, policy);
  std::lock_guard lock(exception_uses_mutex_);
  if (auto it = exception_uses_.find(key); it != exception_uses_.end()) {
    ++it->second;
    return;
  }
  exception_uses_.emplace(std::pair<std::string, std::string>(exception, policy), 1);
}

void metrics::record_policy_reload(bool success) {
  (success ? reloads_success_ : reloads_failure_).fetch_add(1, std::memory_order_relaxed);
}

void metrics::set_policies_loaded(loaded_policy_counts counts) {
  policies_loaded_.store(static_cast<std::int64_t>(counts.policies), std::memory_order_relaxed);
  vm_policies_loaded_.store(static_cast<std::int64_t>(counts.vm_policies), std::memory_order_relaxed);
  mutations_loaded_.store(static_cast<std::int64_t>(counts.mutations), std::memory_order_relaxed);
  exceptions_loaded_.store(static_cast<std::int64_t>(counts.exceptions), std::memory_order_relaxed);
}

void metrics::set_policies_info(std::string content_hash, double loaded_unix_seconds) {
  std::lock_guard lock(policies_info_mutex_);
  policies_hash_ = std::move(content_hash);
  policies_loaded_at_ = loaded_unix_seconds;
}

void metrics::record_tls_reload(bool success) {
  (success ? tls_reloads_success_ : tls_reloads_failure_).fetch_add(1, std::memory_order_relaxed);
}

void metrics::set_certificate_expiry(std::int64_t unix_seconds) {
  certificate_expiry_.store(unix_seconds, std::memory_order_relaxed);
}

void metrics::record_http_response(int status) {
  http_responses_[status_index(status)].fetch_add(1, std::memory_order_relaxed);
}

void metrics::connection_opened() {
  connections_active_.fetch_add(1, std::memory_order_relaxed);
  connections_total_.fetch_add(1, std::memory_order_relaxed);
}

void metrics::connection_closed() { connections_active_.fetch_sub(1, std::memory_order_relaxed); }

void metrics::connection_rejected() { connections_rejected_.fetch_add(1, std::memory_order_relaxed); }

void metrics::connection_timed_out(connection_phase phase) {
  timeouts_[static_cast<std::size_t>(phase)].fetch_add(1, std::memory_order_relaxed);
}

std::string metrics::render(std::optional<double> seconds_to_nearest_exception_expiry) const {
  return render(read_process_stats(), seconds_to_nearest_exception_expiry);
}

std::string metrics::render(const process_stats& process,
                            std::optional<double> seconds_to_nearest_exception_expiry) const {
  std::string out;
  out.reserve(8192);
  std::string labels;

  header(out, "peergate_admission_requests_total", "counter", "Admission requests answered, by endpoint and decision.");
  for (std::size_t e = 0; e < endpoint_count; ++e) {
    for (std::size_t d = 0; d < decision_count; ++d) {
      labels.assign("endpoint=\"").append(to_string(static_cast<endpoint>(e)));
      labels.append("\",decision=\"").append(to_string(static_cast<decision_label>(d))).append("\"");
      sample(out, "peergate_admission_requests_total", labels, requests_[e][d].load(std::memory_order_relaxed));
    }
  }

  header(out, "peergate_admission_duration_seconds", "histogram",
         "Time to decode, evaluate and encode one admission review, by endpoint.");
  for (std::size_t e = 0; e < endpoint_count; ++e) {
    const histogram& h = durations_[e];
    const std::string ep = std::string("endpoint=\"") + to_string(static_cast<endpoint>(e)) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < duration_buckets.size(); ++b) {
      cumulative += h.buckets[b].load(std::memory_order_relaxed);
      labels.assign(ep).append(",le=\"");
      append_double(labels, duration_buckets[b]);
      labels.append("\"");
      sample(out, "peergate_admission_duration_seconds_bucket", labels, cumulative);
    }
    const std::uint64_t count = h.count.load(std::memory_order_relaxed);
    sample(out, "peergate_admission_duration_seconds_bucket", ep + ",le=\"+Inf\"", count);
    sample(out, "peergate_admission_duration_seconds_sum", ep,
           static_cast<double>(h.sum_ns.load(std::memory_order_relaxed)) / 1e9);
    sample(out, "peergate_admission_duration_seconds_count", ep, count);
  }

  header(out, "peergate_policy_results_total", "counter", "Policy findings, by policy, rule, action and result.");
  {
    std::lock_guard lock(result_series_mutex_);
    std::vector<const result_series*> sorted;
    sorted.reserve(result_series_.size());
    for (const auto& s : result_series_) sorted.push_back(s.get());
    std::sort(sorted.begin(), sorted.end(),
              [](const result_series* a, const result_series* b) { return a->view() < b->view(); });
    for (const result_series* s : sorted) {
      labels.assign("policy=\"");
      append_label_value(labels, s->policy);
      labels.append("\",rule=\"").append(to_string(s->rule));
      labels.append("\",action=\"");
      append_label_value(labels, s->action);
      labels.append("\",result=\"");
      append_label_value(labels, s->result);
      labels.append("\"");
      sample(out, "peergate_policy_results_total", labels, s->count.load(std::memory_order_relaxed));
    }
  }

  header(out, "peergate_exception_uses_total", "counter",
         "Requests a PeerPodPolicyException exempted from a policy, by exception and policy.");
  {
    std::lock_guard lock(exception_uses_mutex_);
    for (const auto& [key, value] : exception_uses_) {
      labels.assign("exception=\"");
      append_label_value(labels, key.first);
      labels.append("\",policy=\"");
      append_label_value(labels, key.second);
      labels.append("\"");
      sample(out, "peergate_exception_uses_total", labels, value);
    }
  }

  header(out, "peergate_exception_nearest_expiry_seconds", "gauge",
         "Seconds until the nearest expires of the loaded PeerPodPolicyExceptions, at scrape time; negative when one "
         "has expired and is still loaded; no sample when none is loaded.");
  if (seconds_to_nearest_exception_expiry)
    sample(out, "peergate_exception_nearest_expiry_seconds", "", *seconds_to_nearest_exception_expiry);

  header(out, "peergate_policy_reloads_total", "counter",
         "Policy reloads, by result (a failed reload keeps the last good set).");
  sample(out, "peergate_policy_reloads_total", "result=\"success\"", reloads_success_.load(std::memory_order_relaxed));
  sample(out, "peergate_policy_reloads_total", "result=\"failure\"", reloads_failure_.load(std::memory_order_relaxed));

  header(out, "peergate_policies_loaded", "gauge", "Policies in the set being served, by kind.");
  sample(out, "peergate_policies_loaded", "kind=\"PeerPodPolicy\"", policies_loaded_.load(std::memory_order_relaxed));
  sample(out, "peergate_policies_loaded", "kind=\"PeerPodVMPolicy\"",
         vm_policies_loaded_.load(std::memory_order_relaxed));
  sample(out, "peergate_policies_loaded", "kind=\"PeerPodMutation\"",
         mutations_loaded_.load(std::memory_order_relaxed));
  sample(out, "peergate_policies_loaded", "kind=\"PeerPodPolicyException\"",
         exceptions_loaded_.load(std::memory_order_relaxed));

  {
    std::lock_guard lock(policies_info_mutex_);
    if (!policies_hash_.empty()) {
      header(out, "peergate_policies_info", "gauge",
             "Always 1; the hash label is a SHA-256 prefix of the served policy texts, equal on replicas serving the "
             "same policies.");
      labels.assign("hash=\"");
      append_label_value(labels, policies_hash_);
      labels.append("\"");
      sample(out, "peergate_policies_info", labels, 1);
      header(out, "peergate_policies_loaded_timestamp_seconds", "gauge",
             "When the served policy set was loaded, Unix time.");
      sample(out, "peergate_policies_loaded_timestamp_seconds", "", policies_loaded_at_);
    }
  }

  header(out, "peergate_tls_reloads_total", "counter",
         "Serving certificate reloads, by result (a failed reload keeps the old pair).");
  sample(out, "peergate_tls_reloads_total", "result=\"success\"", tls_reloads_success_.load(std::memory_order_relaxed));
  sample(out, "peergate_tls_reloads_total", "result=\"failure\"", tls_reloads_failure_.load(std::memory_order_relaxed));

  header(out, "peergate_tls_certificate_expiry_timestamp_seconds", "gauge",
         "Expiry (notAfter) of the serving certificate in use, Unix time.");
  sample(out, "peergate_tls_certificate_expiry_timestamp_seconds", "",
         certificate_expiry_.load(std::memory_order_relaxed));

  header(out, "peergate_http_responses_total", "counter", "HTTP responses sent, by status code.");
  for (std::size_t i = 0; i <= http_statuses.size(); ++i) {
    labels.assign("code=\"").append(i < http_statuses.size() ? std::to_string(http_statuses[i]) : "other").append("\"");
    sample(out, "peergate_http_responses_total", labels, http_responses_[i].load(std::memory_order_relaxed));
  }

  header(out, "peergate_connections_active", "gauge", "Open client connections.");
  sample(out, "peergate_connections_active", "", connections_active_.load(std::memory_order_relaxed));
  header(out, "peergate_connections_total", "counter", "Client connections accepted.");
  sample(out, "peergate_connections_total", "", connections_total_.load(std::memory_order_relaxed));
  header(out, "peergate_connections_rejected_total", "counter",
         "Connections closed at once because --max-connections was reached.");
  sample(out, "peergate_connections_rejected_total", "", connections_rejected_.load(std::memory_order_relaxed));

  header(out, "peergate_connection_timeouts_total", "counter", "Connections closed by a timeout, by phase.");
  for (std::size_t i = 0; i < connection_phase_count; ++i) {
    labels.assign("phase=\"").append(to_string(static_cast<connection_phase>(i))).append("\"");
    sample(out, "peergate_connection_timeouts_total", labels, timeouts_[i].load(std::memory_order_relaxed));
  }

  if (request_budget_ != nullptr) {
    header(out, "peergate_request_bytes_in_flight", "gauge",
           "Bytes of request bodies being read or evaluated (held from --max-inflight-bytes).");
    sample(out, "peergate_request_bytes_in_flight", "", request_budget_->in_use());
    header(out, "peergate_request_bytes_in_flight_limit", "gauge", "--max-inflight-bytes.");
    sample(out, "peergate_request_bytes_in_flight_limit", "", request_budget_->limit());
  }
  header(out, "peergate_requests_shed_total", "counter",
         "Requests answered 503 before their body was read: it did not fit in --max-inflight-bytes.");
  sample(out, "peergate_requests_shed_total", "", requests_shed_.load(std::memory_order_relaxed));

  header(out, "peergate_build_info", "gauge",
         "Always 1; the version of the running binary and what it was built with are labels.");
  labels.assign("version=\"");
  append_label_value(labels, version_);
  labels.append("\",compiler=\"");
  append_label_value(labels, build_compiler());
  labels.append("\",boost=\"" BOOST_LIB_VERSION "\",openssl=\"");
  append_label_value(labels, OpenSSL_version(OPENSSL_VERSION_STRING));
  labels.append("\"");
  sample(out, "peergate_build_info", labels, 1);

  // The names and help texts of client_golang's process collector, so that dashboards made for any
  // Prometheus client work unchanged.
  const auto gauge_or_counter = [&](std::string_view name, std::string_view type, std::string_view help,
                                    const std::optional<double>& value) {
    if (!value) return;
    header(out, name, type, help);
    sample(out, name, "", *value);
  };
  gauge_or_counter("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
                   process.cpu_seconds);
  gauge_or_counter("process_open_fds", "gauge", "Number of open file descriptors.", process.open_fds);
  gauge_or_counter("process_max_fds", "gauge", "Maximum number of open file descriptors.", process.max_fds);
  gauge_or_counter("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", process.virtual_bytes);
  gauge_or_counter("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", process.resident_bytes);
  gauge_or_counter("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
                   process.start_time_seconds);
  return out;
}

}  // namespace peergate::webhook::server
