// The policyreport and openreports formats: one report per namespace (Kyverno's one report per
// resource is what fills etcd) and one cluster report whose summary holds the totals of the run
// and whose results are those that belong to no namespace (unreadable items). The two APIs share
// the result shape (OpenReports is the policy working group's PolicyReport moved to its own
// group), so one writer serves both; only the group, the kinds and OpenReports' report-level
// `source` differ. Strings are written as JSON strings, which are YAML double-quoted scalars, so
// no message can break the YAML.
#include <algorithm>

#include "audit/render/render.hpp"
#include "engine/json_text.hpp"

namespace peergate::audit {

namespace {

// What differs between the two report APIs.
struct report_api {
  std::string_view api_version;
  std::string_view namespaced_kind;
  std::string_view cluster_kind;
  // OpenReports names the engine once per report (its results may still override it).
  bool report_level_source;
};

constexpr report_api wgpolicyk8s_v1alpha2{"wgpolicyk8s.io/v1alpha2", "PolicyReport", "ClusterPolicyReport", false};
constexpr report_api openreports_v1alpha1{"openreports.io/v1alpha1", "Report", "ClusterReport", true};

void write_header(std::ostream& out, const report_api& api, std::string_view kind, std::string_view ns) {
  out << "---\napiVersion: " << api.api_version << "\nkind: " << kind << "\nmetadata:\n  name: peergate\n";
  if (!ns.empty()) out << "  namespace: " << json_quote(ns) << "\n";
  out << "  labels:\n    app.kubernetes.io/managed-by: peergate\n";
  if (api.report_level_source) out << "source: peergate\n";
}

void write_summary(std::ostream& out, const counts& c) {
  // The order of the CRD's printer columns.
  out << "summary:\n";
  for (result r : {result::pass, result::fail, result::warn, result::error, result::skip})
    out << "  " << to_string(r) << ": " << c[r] << "\n";
}

const char* severity_of(const column& c) {
  if (c.actions & action_deny) return "high";
  return c.rule == "read" ? "low" : "medium";
}

void write_result(std::ostream& out, const report& rep, const row& r, const row_result& x) {
  const column& col = rep.columns[x.column];
  const bool log = rep.origin == report_origin::log;
  const std::int64_t seconds = log && r.last_seen_us ? r.last_seen_us / 1'000'000 : rep.generated_s;
  out << "- policy: " << json_quote(col.policy) << "\n"
      << "  rule: " << json_quote(col.rule) << "\n"
      << "  source: peergate\n"
      << "  category: \"Peer pods\"\n"
      << "  severity: " << severity_of(col) << "\n"
      << "  timestamp:\n    seconds: " << seconds << "\n    nanos: 0\n"
      << "  result: " << to_string(x.outcome) << "\n"
      << "  scored: true\n"
      << "  message: " << json_quote(rep.message(r, x)) << "\n";
  if (r.kind != 0) {
    out << "  resources:\n";
    const char* dash = "  - ";
    auto field = [&](const char* key, std::string_view value) {
      if (value.empty()) return;
      out << dash << key << ": " << json_quote(value) << "\n";
      dash = "    ";
    };
    field("apiVersion", rep.str(r.api_version));
    field("kind", rep.str(r.kind));
    field("namespace", rep.str(r.namespace_name));
    field("name", r.name);
    field("uid", r.uid);
  }
  out << "  properties:\n";
  auto property = [&](const char* key, std::string_view value) {
    out << "    " << key << ": " << json_quote(value) << "\n";
  };
  if (x.actions) property("actions", actions_text(x.actions));
  if (log) {
    property("count", std::to_string(x.count));
    property("user", rep.str(r.user));
    if (!rep.str(r.operation).empty()) property("operation", rep.str(r.operation));
    if (r.first_seen_us) property("first", format_time_us(r.first_seen_us));
    if (r.last_seen_us) property("last", format_time_us(r.last_seen_us));
    if (r.generated_name) property("generateName", "true");
    if (r.kind == 0) property("input", rep.position_label(r));
  } else {
    if (r.kind != 0 && rep.str(r.kind) != "Pod") property("pods", std::to_string(r.pods));
    property("input", rep.position_label(r));
  }
}

bool listed(const row_result& x, const render_options& options) { return options.all || x.outcome != result::skip; }

void write_results(std::ostream& out, const report& rep, std::size_t begin, std::size_t end,
                   const render_options& options) {
  bool any = false;
  for (std::size_t i = begin; i < end && !any; ++i)
    for (const auto& x : rep.rows[i].results) any = any || listed(x, options);
  if (!any) {
    out << "results: []\n";
    return;
  }
  out << "results:\n";
  for (std::size_t i = begin; i < end; ++i)
    for (const auto& x : rep.rows[i].results)
      if (listed(x, options)) write_result(out, rep, rep.rows[i], x);
}

counts count_rows(const report& rep, std::size_t begin, std::size_t end) {
  counts c;
  for (std::size_t i = begin; i < end; ++i)
    for (const auto& x : rep.rows[i].results) c.add(x.outcome, x.count);
  return c;
}

void render_reports(const report_api& api, const report& rep, std::ostream& out, const render_options& options) {
  const report_summary s = summarize(rep);
  out << "# peergate audit " << format_time_s(rep.generated_s) << ": one " << api.namespaced_kind
      << " per namespace and a\n"
      << "# " << api.cluster_kind << " whose summary counts every result of the run.\n";

  // Rows are sorted by namespace: rows without one come first.
  std::size_t end_of_unnamespaced = 0;
  while (end_of_unnamespaced < rep.rows.size() && rep.str(rep.rows[end_of_unnamespaced].namespace_name).empty())
    ++end_of_unnamespaced;

  write_header(out, api, api.cluster_kind, {});
  write_summary(out, s.total);
  write_results(out, rep, 0, end_of_unnamespaced, options);

  std::size_t begin = end_of_unnamespaced;
  while (begin < rep.rows.size()) {
    const std::uint32_t ns = rep.rows[begin].namespace_name;
    std::size_t end = begin;
    while (end < rep.rows.size() && rep.rows[end].namespace_name == ns) ++end;
    write_header(out, api, api.namespaced_kind, rep.str(ns));
    write_summary(out, count_rows(rep, begin, end));
    write_results(out, rep, begin, end, options);
    begin = end;
  }
}

}  // namespace

void render_policy_report(const report& rep, std::ostream& out, const render_options& options) {
  render_reports(wgpolicyk8s_v1alpha2, rep, out, options);
}

void render_open_reports(const report& rep, std::ostream& out, const render_options& options) {
  render_reports(openreports_v1alpha1, rep, out, options);
}

}  // namespace peergate::audit
