#include "audit/render/render.hpp"

namespace peergate::audit {

std::optional<report_format> parse_report_format(std::string_view name) {
  if (name == "table") return report_format::table;
  if (name == "json") return report_format::json;
  if (name == "policyreport") return report_format::policy_report;
  if (name == "openreports") return report_format::open_reports;
  if (name == "html") return report_format::html;
  return std::nullopt;
}

void render(report_format format, const report& r, std::ostream& out, const render_options& options) {
  switch (format) {
    case report_format::table: render_table(r, out, options); return;
    case report_format::json: render_json(r, out); return;
    case report_format::policy_report: render_policy_report(r, out, options); return;
    case report_format::open_reports: render_open_reports(r, out, options); return;
    case report_format::html: render_html(r, out); return;
  }
}

}  // namespace peergate::audit
