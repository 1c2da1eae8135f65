#pragma once
// The four report formats of `peergate audit`, each written to a stream from a finished report:
//   table         for a terminal: grouped by namespace, failures first, one line per finding,
//                 a summary; ANSI colours only when asked (the CLI asks on a terminal).
//   json          the full result set, one object or log entry a line.
//   policyreport  wgpolicyk8s.io/v1alpha2: one PolicyReport per namespace and one
//                 ClusterPolicyReport with the totals, as YAML `kubectl apply` accepts.
//   html          one self-contained page: headline counts, inline SVG charts, and a
//                 filterable, sortable table built by an inline script from embedded data.

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "audit/report.hpp"

namespace peergate::audit {

enum class report_format { table, json, policy_report, html };

std::optional<report_format> parse_report_format(std::string_view name);  // "table", "json", "policyreport", "html"

struct render_options {
  bool color = false;  // table: ANSI colours
  // table and policyreport: list every result. By default the table lists fail, error and
  // warn, and the PolicyReports leave out skip results (counted in their summary all the
  // same): one per non-peer object and policy is noise, and etcd objects are limited in size.
  bool all = false;
};

void render_table(const report& r, std::ostream& out, const render_options& options = {});
void render_json(const report& r, std::ostream& out);
void render_policy_report(const report& r, std::ostream& out, const render_options& options = {});
void render_html(const report& r, std::ostream& out);

// `text` with & < > " ' escaped, for HTML text and attribute values.
std::string html_escape(std::string_view text);

void render(report_format format, const report& r, std::ostream& out, const render_options& options = {});

}  // namespace peergate::audit
