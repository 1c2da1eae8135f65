#pragma once
// The report formats of `peergate audit`, each written to a stream from a finished report:
//   table         for a terminal: grouped by namespace, failures first, one line per finding,
//                 a summary; ANSI colours only when asked (the CLI asks on a terminal).
//   json          the full result set, one object or log entry a line.
//   policyreport  wgpolicyk8s.io/v1alpha2: one PolicyReport per namespace and one
//                 ClusterPolicyReport with the totals, as YAML `kubectl apply` accepts.
//   openreports   the same reports in openreports.io/v1alpha1, the API that replaces
//                 wgpolicyk8s.io: one Report per namespace and one ClusterReport.
//   html          one self-contained page: headline counts, inline SVG charts, and a
//                 filterable, sortable table built by an inline script from embedded data.

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "audit/report.hpp"

namespace peergate::audit {

enum class report_format { table, json, policy_report, open_reports, html };

// "table", "json", "policyreport", "openreports", "html"
std::optional<report_format> parse_report_format(std::string_view name);

struct render_options {
  bool color = false;  // table: ANSI colours
  // table, policyreport and openreports: list every result. By default the table lists fail,
  // error and warn, and the reports leave out skip results (counted in their summary all the
  // same): one per non-peer object and policy is noise, and etcd objects are limited in size.
  bool all = false;
};

void render_table(const report& r, std::ostream& out, const render_options& options = {});
void render_json(const report& r, std::ostream& out);
void render_policy_report(const report& r, std::ostream& out, const render_options& options = {});
void render_open_reports(const report& r, std::ostream& out, const render_options& options = {});
void render_html(const report& r, std::ostream& out);

// `text` with & < > " ' escaped, for HTML text and attribute values.
std::string html_escape(std::string_view text);

void render(report_format format, const report& r, std::ostream& out, const render_options& options = {});

}  // namespace peergate::audit
