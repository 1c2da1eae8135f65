// The table format: what a person reads in a terminal.
#include <algorithm>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "audit/render/render.hpp"

namespace peergate::audit {

namespace {

struct palette {
  bool on = false;
  const char* of(result r) const {
    if (!on) return "";
    switch (r) {
      case result::fail: return "\033[1;31m";
      case result::error: return "\033[1;35m";
      case result::warn: return "\033[33m";
      case result::pass: return "\033[32m";
      case result::skip: return "\033[2m";
    }
    return "";
  }
  const char* bold() const { return on ? "\033[1m" : ""; }
  const char* dim() const { return on ? "\033[2m" : ""; }
  const char* reset() const { return on ? "\033[0m" : ""; }
};

std::string upper(result r) {
  std::string s = to_string(r);
  for (char& c : s) c = static_cast<char>(c - 'a' + 'A');
  return s;
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// One line a finding: the object, then "[policy] message" as kubectl shows admission text.
struct line_item {
  result outcome;
  std::uint32_t row;
  std::uint32_t column;  // UINT32_MAX: the same result for every policy
};

std::string row_label(const report& rep, const row& r) {
  std::string label = rep.object_label(r);
  if (rep.origin == report_origin::objects) {
    if (r.kind == 0 || r.results.empty() || r.results[0].outcome == result::error)
      label += "  " + rep.position_label(r);
    else if (r.pods > 0 && rep.str(r.kind) != "Pod") label += " (" + plural(r.pods, "pod", "pods") + ")";
  }
  return label;
}

// Policies and mutations named by the columns, each once.
std::size_t policy_count(const report& rep) {
  std::set<std::string_view> names;
  for (const column& c : rep.columns) names.insert(c.policy);
  return names.size();
}

void print_counts_line(std::ostream& out, const counts& c, const palette& p) {
  bool first = true;
  for (result r : all_results) {
    out << (first ? "" : ", ") << p.of(r) << to_string(r) << " " << c[r] << p.reset();
    first = false;
  }
}

}  // namespace

void render_table(const report& rep, std::ostream& out, const render_options& options) {
  const palette p{options.color};
  const report_summary s = summarize(rep);
  const bool log = rep.origin == report_origin::log;

  if (log) {
    out << p.bold() << "peergate audit of the audit log" << p.reset() << ": " << plural(rep.log_lines, "line", "lines");
    if (rep.period_from_us)
      out << " from " << format_time_us(rep.period_from_us) << " to " << format_time_us(rep.period_to_us);
    out << "\n";
  } else {
    out << p.bold() << "peergate audit" << p.reset() << ": " << plural(s.rows, "object", "objects") << " ("
        << plural(s.pods, "pod", "pods") << ") in " << plural(s.namespaces, "namespace", "namespaces") << ", "
        << plural(policy_count(rep), "policy", "policies");
    // A VM policy has a column per limit it sets.
    if (policy_count(rep) != rep.columns.size()) out << " (" << plural(rep.columns.size(), "rule", "rules") << ")";
    out << "\n";
  }

  // Lines grouped by namespace; namespaces with the worst results first, then by name.
  std::map<std::string_view, std::vector<line_item>> groups;
  for (std::uint32_t i = 0; i < rep.rows.size(); ++i) {
    const row& r = rep.rows[i];
    auto& lines = groups[rep.str(r.namespace_name)];
    const bool same_everywhere =
        r.results.size() > 1 && std::all_of(r.results.begin(), r.results.end(), [&](const row_result& x) {
          return x.outcome == r.results[0].outcome && x.message == r.results[0].message;
        });
    if (same_everywhere && r.results[0].outcome == result::error) {
      lines.push_back({result::error, i, UINT32_MAX});
      continue;
    }
    for (const row_result& x : r.results) {
      if (!options.all && (x.outcome == result::pass || x.outcome == result::skip)) continue;
      lines.push_back({x.outcome, i, x.column});
    }
  }
  std::vector<std::pair<std::string_view, std::vector<line_item>*>> order;
  for (auto& [ns, lines] : groups) {
    if (lines.empty()) continue;
    std::stable_sort(lines.begin(), lines.end(),
                     [](const line_item& a, const line_item& b) { return a.outcome < b.outcome; });
    order.emplace_back(ns, &lines);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second->front().outcome < b.second->front().outcome; });

  if (order.empty()) {
    out << "\n"
        << (log ? "No Warn, Audit or Deny decisions in the log.\n"
                : "No findings: every peer pod is where the policies allow it, and counted.\n");
  }
  for (const auto& [ns, lines] : order) {
    out << "\n"
        << p.bold() << (ns.empty() ? std::string("(no namespace)") : "namespace " + std::string(ns)) << p.reset()
        << "\n";
    for (const line_item& l : *lines) {
      const row& r = rep.rows[l.row];
      const row_result* x = nullptr;
      for (const auto& candidate : r.results)
        if (l.column == UINT32_MAX || candidate.column == l.column) {
          x = &candidate;
          break;
        }
      if (!x) continue;
      std::ostringstream tag;
      tag << std::left << std::setw(6) << upper(l.outcome);
      out << "  " << p.of(l.outcome) << tag.str() << p.reset() << " ";
      const bool unreadable_line = log && r.kind == 0;  // a log line that could not be read
      if (unreadable_line) {
        out << rep.position_label(r) << "  [" << rep.column_label(x->column) << "] " << rep.message(r, *x) << "\n";
        continue;
      }
      if (log) out << x->count << "x ";
      out << row_label(rep, r);
      if (log) {
        out << "  by " << (rep.str(r.user).empty() ? std::string_view("(unknown user)") : rep.str(r.user));
        if (!rep.str(r.operation).empty()) out << " (" << rep.str(r.operation) << ")";
      }
      const std::string policy = l.column == UINT32_MAX ? std::string("all policies") : rep.column_label(l.column);
      out << "  [" << policy;
      if (log && x->actions) out << ", " << actions_text(x->actions);
      out << "] " << rep.message(r, *x);
      if (log) out << p.dim() << "  (last " << format_time_us(r.last_seen_us) << ")" << p.reset();
      out << "\n";
    }
  }

  out << "\n" << p.bold() << "Summary" << p.reset() << ": ";
  print_counts_line(out, s.total, p);
  out << "\n";

  // Counts per policy, aligned.
  std::size_t width = 6;
  for (std::uint32_t c = 0; c < rep.columns.size(); ++c) width = std::max(width, rep.column_label(c).size());
  // Policies have an actions column, users do not.
  auto header = [&](const char* first, bool actions) {
    out << "  " << std::left << std::setw(static_cast<int>(width)) << first;
    if (actions) out << "  " << std::setw(12) << "actions";
    for (result r : all_results) out << std::right << std::setw(7) << to_string(r);
    out << "\n";
  };
  auto counts_row = [&](const std::string& label, const std::string* actions, const counts& c) {
    out << "  " << std::left << std::setw(static_cast<int>(width)) << label;
    if (actions) out << "  " << std::setw(12) << *actions;
    for (result r : all_results) out << std::right << std::setw(7) << c[r];
    out << "\n";
  };
  header("policy", true);
  for (std::uint32_t c = 0; c < rep.columns.size(); ++c) {
    const std::string actions = actions_text(rep.columns[c].actions);
    counts_row(rep.column_label(c), &actions, s.by_column[c]);
  }

  if (log && !s.by_user.empty()) {
    std::size_t user_width = 6;
    for (const auto& [user, c] : s.by_user) user_width = std::max(user_width, user.size());
    std::swap(width, user_width);
    header("user", false);
    for (const auto& [user, c] : s.by_user) counts_row(user.empty() ? "(unknown)" : user, nullptr, c);
    std::swap(width, user_width);
  }

  std::size_t with_findings = 0;
  for (const auto& [ns, c] : s.by_namespace) with_findings += !ns.empty() && c.findings() != 0;
  out << "  namespaces: " << s.namespaces << " (" << with_findings << " with findings)";
  if (log) {
    if (rep.dropped_lines)
      out << p.of(result::error) << "; the server dropped " << rep.dropped_lines
          << " lines (queue full): counts are lower bounds" << p.reset();
  } else {
    out << "; items read: " << rep.items_read;
    if (rep.folded) out << ", folded into their owners: " << rep.folded;
    if (rep.duplicates) out << ", duplicates ignored: " << rep.duplicates;
    if (!rep.ignored_kinds.empty()) {
      out << "; not audited (no pods):";
      bool first = true;
      for (const auto& [kind, n] : rep.ignored_kinds) {
        out << (first ? " " : ", ") << (kind.empty() ? std::string("(no kind)") : kind) << " " << n;
        first = false;
      }
    }
  }
  out << "\n";
}

}  // namespace peergate::audit
