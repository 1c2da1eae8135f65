#pragma once
// The server's Prometheus metrics, declared in one table (metrics.cpp) and rendered in the text
// exposition format 0.0.4. Every label has a small, bounded set of values: endpoints, decisions
// and rules are enums; policy names come from the loaded configuration, never from a request.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/admission.hpp"
#include "webhook/server/process_metrics.hpp"

namespace peergate::webhook::server {

// The admission endpoints, as the `endpoint` label (/mutate-v1-pod counts as mutate).
enum class endpoint { validate, mutate, admit };
inline constexpr std::size_t endpoint_count = 3;
const char* to_string(endpoint e);

// The `decision` label: the handler's outcome, and bad_request for requests refused before the
// handler (wrong method, content type, body too large).
enum class decision_label { allowed, denied, bad_request, error };
inline constexpr std::size_t decision_count = 4;
const char* to_string(decision_label d);

// Connection phases whose timeout closed a connection, for peergate_connection_timeouts_total{phase}.
enum class connection_phase { handshake, idle, header, body, write };
inline constexpr std::size_t connection_phase_count = 5;
const char* to_string(connection_phase p);

// What the served policy set holds, for peergate_policies_loaded{kind}.
struct loaded_policy_counts {
  std::size_t policies = 0;     // PeerPodPolicy
  std::size_t vm_policies = 0;  // PeerPodVMPolicy
  std::size_t mutations = 0;    // PeerPodMutation written in a file (not the implicit default)
  std::size_t exceptions = 0;   // PeerPodPolicyException
};

class request_budget;

class metrics {
 public:
  // Upper bounds of the duration histogram buckets, in seconds.
  static constexpr std::array<double, 14> duration_buckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                              0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};

  explicit metrics(std::string version);
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  void record_admission(endpoint e, decision_label d, std::chrono::nanoseconds duration);
  // peergate_policy_results_total{policy,rule,action,result}: a violation counts once per action
  // of its policy ([Warn, Audit]: warn and audit), any other result once with action "none". The
  // rule tells a VM policy's limits apart (one finding per rule it checks); a policy only ever
  // reports its own kind's rules, so the series stay bounded by the loaded policies.
  void record_finding(const finding& f);
  // peergate_exception_uses_total{exception,policy}: requests a PeerPodPolicyException exempted
  // from a policy, once per request (a VM policy's rules count once). Both names come from the
  // loaded configuration.
  void record_exception_use(std::string_view exception, std::string_view policy);
  void record_policy_reload(bool success);
  void set_policies_loaded(loaded_policy_counts counts);
  // The served set's content hash and when it was swapped in (Unix seconds), for
  // peergate_policies_info{hash} and peergate_policies_loaded_timestamp_seconds: which policies a
  // replica runs, and since when.
  void set_policies_info(std::string content_hash, double loaded_unix_seconds);
  void record_tls_reload(bool success);
  void set_certificate_expiry(std::int64_t unix_seconds);
  void record_http_response(int status);
  void connection_opened();
  void connection_closed();
  void connection_rejected();
  void connection_timed_out(connection_phase phase);
  // A request answered 503 because its body did not fit in the budget of request bytes in flight.
  void request_shed() { requests_shed_.fetch_add(1, std::memory_order_relaxed); }
  // The budget whose bytes in use and limit are rendered as gauges; it must outlive the rendering.
  void watch_request_budget(const request_budget* budget) { request_budget_ = budget; }

  std::int64_t connections_active() const { return connections_active_.load(std::memory_order_relaxed); }

  // The whole exposition, text format 0.0.4, with the process metrics read from /proc now.
  // `seconds_to_nearest_exception_expiry` is computed by the caller at scrape time from the served
  // set and the clock (nullopt: no exception loaded, no sample):
  // peergate_exception_nearest_expiry_seconds.
  std::string render(std::optional<double> seconds_to_nearest_exception_expiry = std::nullopt) const;
  // The same with a given process reading (tests).
  std::string render(const process_stats& process,
                     std::optional<double> seconds_to_nearest_exception_expiry = std::nullopt) const;

  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void count_policy_result(std::string_view policy, rule_kind rule, std::string_view action, std::string_view result);
  using counter = std::atomic<std::uint64_t>;
  struct histogram {
    std::array<counter, duration_buckets.size()> buckets{};  // non-cumulative; cumulated when rendered
    counter count{0};
    counter sum_ns{0};
  };

  std::string version_;
  std::array<std::array<counter, decision_count>, endpoint_count> requests_{};
  std::array<histogram, endpoint_count> durations_{};

  // peergate_policy_results_total's counters by {policy, rule, action, result}. Every request
  // counts one or more; the lookup takes no lock and builds no string: an insert-only
  // open-addressing table of atomic pointers to the series, which never move. A series seen for
  // the first time is added under the mutex; a table that fills up past half is replaced by one
  // twice its size, and the old one is kept (a reader may still be probing it), so the tables
  // together stay under twice the last one.
  using result_view = std::tuple<std::string_view, rule_kind, std::string_view, std::string_view>;
  struct result_series {
    std::string policy;
    rule_kind rule;
    std::string action;
    std::string result;
    counter count{0};
    result_view view() const { return {policy, rule, action, result}; }
  };
  struct result_table {
    explicit result_table(std::size_t size) : slots(size) {}
    std::vector<std::atomic<result_series*>> slots;  // a power of two; null: free
  };
  static std::size_t hash(const result_view& key);
  static result_series* find(const result_table& table, const result_view& key, std::size_t hash);
  // Puts `series` in the first free slot of its probe sequence (under result_series_mutex_).
  static void place(result_table& table, result_series* series, std::size_t hash);
  std::atomic<const result_table*> result_table_{nullptr};
  mutable std::mutex result_series_mutex_;                     // adding a series, rendering
  std::vector<std::unique_ptr<result_series>> result_series_;  // guarded by result_series_mutex_
  std::vector<std::unique_ptr<result_table>> result_tables_;   // guarded by result_series_mutex_

  // {exception, policy}, looked up by string_views: a use allocates only the first time.
  using exception_view = std::pair<std::string_view, std::string_view>;
  struct exception_key_less {
    using is_transparent = void;
    static exception_view view(const std::pair<std::string, std::string>& k) { return {k.first, k.second}; }
    static exception_view view(const exception_view& v) { return v; }
    bool operator()(const auto& a, const auto& b) const { return view(a) < view(b); }
  };
  mutable std::mutex exception_uses_mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t, exception_key_less> exception_uses_;  // rare

  counter reloads_success_{0};
  counter reloads_failure_{0};
  std::atomic<std::int64_t> policies_loaded_{0};
  std::atomic<std::int64_t> vm_policies_loaded_{0};
  std::atomic<std::int64_t> mutations_loaded_{0};
  mutable std::mutex policies_info_mutex_;
  std::string policies_hash_;  // empty until a set was loaded
  double policies_loaded_at_ = 0;
  std::atomic<std::int64_t> exceptions_loaded_{0};
  counter tls_reloads_success_{0};
  counter tls_reloads_failure_{0};
  std::atomic<std::int64_t> certificate_expiry_{0};
  std::array<counter, 11> http_responses_{};  // indexed like http_statuses in metrics.cpp
  std::atomic<std::int64_t> connections_active_{0};
  counter connections_total_{0};
  counter connections_rejected_{0};
  std::array<counter, connection_phase_count> timeouts_{};
  counter requests_shed_{0};
  const request_budget* request_budget_ = nullptr;
};

}  // namespace peergate::webhook::server
