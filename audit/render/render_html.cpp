// The html format: one self-contained page to share (no external script, font or style).
// Headline counts and the charts are rendered here, so they read without JavaScript; the table
// is built by the inline script from the report embedded as JSON, which also recounts the
// headline from that data (a check that page and data agree) and marks <body data-state="ready">.
#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <unordered_map>

#include "audit/render/embedded_assets.hpp"
#include "audit/render/render.hpp"
#include "engine/json_text.hpp"

namespace peergate::audit {

namespace {

constexpr std::array<const char*, result_count> colours{"#cf222e", "#8250df", "#bf8700", "#1a7f37", "#8c959f"};

const char* colour(result r) { return colours[static_cast<std::size_t>(r)]; }

// JSON that is safe inside <script>: '<', '>' and '&' only ever appear inside JSON strings,
// where \u escapes mean the same, so "</script>" can never close the element early.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

struct bar {
  std::string label;
  counts values;
};

// A horizontal stacked bar chart of `shown` results per bar, as inline SVG.
void write_bar_chart(std::ostream& out, const std::string& title, const std::vector<bar>& bars,
                     const std::vector<result>& shown, const std::string& empty_text, const std::string& id) {
  const double label_w = 210, bar_w = 330, row_h = 24, top = 30;
  std::uint64_t max = 0;
  for (const auto& b : bars) {
    std::uint64_t t = 0;
    for (result r : shown) t += b.values[r];
    max = std::max(max, t);
  }
  const double height = top + row_h * static_cast<double>(std::max<std::size_t>(bars.size(), 1)) + 8;
  out << "<figure><figcaption>" << html_escape(title) << "</figcaption>\n"
      << "<svg id=\"" << id << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\""
      << html_escape(title) << "\" viewBox=\"0 0 " << number(label_w + bar_w + 70) << " " << number(height)
      << "\" width=\"100%\">\n";
  double lx = label_w;
  for (result r : shown) {  // legend
    out << "<rect x=\"" << number(lx) << "\" y=\"6\" width=\"12\" height=\"12\" fill=\"" << colour(r) << "\"/>"
        << "<text x=\"" << number(lx + 16) << "\" y=\"16\" class=\"legend\">" << to_string(r) << "</text>\n";
    lx += 70;
  }
  if (bars.empty() || max == 0) {
    out << "<text x=\"10\" y=\"" << number(top + 16) << "\">" << html_escape(empty_text) << "</text>\n";
  }
  for (std::size_t i = 0; i < bars.size() && max > 0; ++i) {
    const bar& b = bars[i];
    const double y = top + row_h * static_cast<double>(i);
    std::string label = b.label.size() > 32 ? b.label.substr(0, 31) + "\xE2\x80\xA6" : b.label;
    out << "<g><title>" << html_escape(b.label);
    std::uint64_t total = 0;
    for (result r : shown) {
      out << ", " << to_string(r) << " " << b.values[r];
      total += b.values[r];
    }
    out << "</title>\n<text x=\"" << number(label_w - 8) << "\" y=\"" << number(y + 16) << "\" text-anchor=\"end\">"
        << html_escape(label) << "</text>\n";
    double x = label_w;
    for (result r : shown) {
      const double w = bar_w * static_cast<double>(b.values[r]) / static_cast<double>(max);
      if (w <= 0) continue;
      out << "<rect x=\"" << number(x) << "\" y=\"" << number(y + 4) << "\" width=\"" << number(w) << "\" height=\""
          << number(row_h - 8) << "\" fill=\"" << colour(r) << "\" data-result=\"" << to_string(r) << "\" data-count=\""
          << b.values[r] << "\"/>";
      x += w;
    }
    out << "\n<text x=\"" << number(x + 6) << "\" y=\"" << number(y + 16) << "\" class=\"total\">" << total
        << "</text></g>\n";
  }
  out << "</svg></figure>\n";
}

// "512 MiB", "20 GiB", "1.5 GiB": default_memory is in MiB, people read GiB.
std::string memory_text(std::uint64_t mib) {
  if (mib < 1024) return std::to_string(mib) + " MiB";
  if (mib % 1024 == 0) return std::to_string(mib / 1024) + " GiB";
  return number(static_cast<double>(mib) / 1024.0) + " GiB";
}

// "Requested VM sizes per namespace": for each namespace whose peer pods ask for a size, their
// vCPUs, memory and GPUs summed, one bar each, every metric scaled to its own largest value (a
// vCPU and a MiB do not share a scale). Nothing when no peer pod asks for a size.
void write_vm_chart(std::ostream& out, const std::vector<namespace_vm_totals>& totals) {
  std::vector<const namespace_vm_totals*> shown;
  namespace_vm_totals all;
  for (const auto& t : totals) {
    all.peer_pods += t.peer_pods;
    all.sized_pods += t.sized_pods;
    all.vcpus += t.vcpus;
    all.memory_mib += t.memory_mib;
    all.gpus += t.gpus;
    if (t.sized_pods) shown.push_back(&t);
  }
  if (shown.empty()) return;
  std::stable_sort(shown.begin(), shown.end(), [](const namespace_vm_totals* a, const namespace_vm_totals* b) {
    return std::tie(a->vcpus, a->memory_mib, a->gpus) > std::tie(b->vcpus, b->memory_mib, b->gpus);
  });
  const std::size_t more = shown.size() > 15 ? shown.size() - 15 : 0;
  shown.resize(std::min<std::size_t>(shown.size(), 15));

  struct metric {
    const char* title;
    std::uint64_t namespace_vm_totals::*field;
    std::string (*text)(std::uint64_t);
  };
  const std::array<metric, 3> metrics{
      metric{"vCPUs", &namespace_vm_totals::vcpus, [](std::uint64_t v) { return std::to_string(v); }},
      metric{"memory", &namespace_vm_totals::memory_mib, &memory_text},
      metric{"GPUs", &namespace_vm_totals::gpus, [](std::uint64_t v) { return std::to_string(v); }}};
  std::array<std::uint64_t, 3> max{};
  for (const auto* t : shown)
    for (std::size_t k = 0; k < metrics.size(); ++k) max[k] = std::max(max[k], t->*metrics[k].field);

  const std::string title =
      "Requested VM sizes per namespace" +
      (more ? " (the 15 asking for the most vCPUs; " + std::to_string(more) + " more)" : std::string());
  const double label_w = 190, column_w = 150, bar_w = 80, row_h = 24, top = 30;
  const double height = top + row_h * static_cast<double>(shown.size()) + 8;
  out << "<figure><figcaption>" << html_escape(title) << "</figcaption>\n"
      << "<svg id=\"chart-vm-sizes\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\""
      << html_escape(title) << "\" viewBox=\"0 0 " << number(label_w + column_w * 3) << " " << number(height)
      << "\" width=\"100%\">\n";
  for (std::size_t k = 0; k < metrics.size(); ++k)
    out << "<text x=\"" << number(label_w + column_w * static_cast<double>(k)) << "\" y=\"16\" class=\"legend\">"
        << metrics[k].title << "</text>\n";
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const namespace_vm_totals& t = *shown[i];
    const double y = top + row_h * static_cast<double>(i);
    const std::string name = t.namespace_name.empty() ? std::string("(no namespace)") : t.namespace_name;
    const std::string label = name.size() > 28 ? name.substr(0, 27) + "\xE2\x80\xA6" : name;
    out << "<g class=\"vm-namespace\" data-namespace=\"" << html_escape(t.namespace_name) << "\" data-vcpus=\""
        << t.vcpus << "\" data-memory-mib=\"" << t.memory_mib << "\" data-gpus=\"" << t.gpus << "\"><title>"
        << html_escape(name) << ": " << t.vcpus << " vCPUs, " << memory_text(t.memory_mib) << ", " << t.gpus
        << " GPUs, asked by " << t.sized_pods << " of its " << t.peer_pods << " peer pods</title>\n"
        << "<text x=\"" << number(label_w - 8) << "\" y=\"" << number(y + 16) << "\" text-anchor=\"end\">"
        << html_escape(label) << "</text>\n";
    for (std::size_t k = 0; k < metrics.size(); ++k) {
      const std::uint64_t v = t.*metrics[k].field;
      const double x = label_w + column_w * static_cast<double>(k);
      const double w = max[k] ? bar_w * static_cast<double>(v) / static_cast<double>(max[k]) : 0;
      if (w > 0)
        out << "<rect x=\"" << number(x) << "\" y=\"" << number(y + 4) << "\" width=\"" << number(w) << "\" height=\""
            << number(row_h - 8) << "\" class=\"vm-bar\"/>";
      out << "<text x=\"" << number(x + w + 6) << "\" y=\"" << number(y + 16) << "\" class=\"total\">"
          << metrics[k].text(v) << "</text>";
    }
    out << "</g>\n";
  }
  out << "</svg>\n<p class=\"small\" id=\"vm-sizes-note\">In all: " << all.vcpus << " vCPUs, "
      << memory_text(all.memory_mib) << ", " << all.gpus << " GPUs, asked by " << all.sized_pods << " of "
      << all.peer_pods << " peer pods: each Pod of the input counts once, with its own sizing annotations, "
      << "folded into its owner or not; a workload's template adds nothing.";
  if (const std::uint64_t unsized = all.peer_pods - all.sized_pods; unsized > 0)
    out << " " << unsized << (unsized == 1 ? " peer pod asks" : " peer pods ask")
        << " for no size: the cluster's default instance type, or a machine_type alone.";
  out << "</p></figure>\n";
}

// The report as JSON for the page's script, written row by row. Namespaces and messages are
// listed once, after the rows, and referred to by index: skip messages repeat for every object,
// and a message holds U+0001 where its row's name goes (report::message), the row carrying the
// name.
void write_data(const report& rep, std::ostream& out) {
  const bool log = rep.origin == report_origin::log;
  std::string s = "{\"origin\":";
  s += log ? "\"log\"" : "\"objects\"";
  s += ",\"results\":[";
  for (result r : all_results) s += std::string(r == result::fail ? "" : ",") + "\"" + to_string(r) + "\"";
  s += "],\"columns\":[";
  for (std::uint32_t c = 0; c < rep.columns.size(); ++c) {
    if (c) s += ',';
    append_json_quoted(s, rep.column_label(c));
  }
  s += "],\"rows\":[";
  out << script_safe(s);
  std::unordered_map<std::uint32_t, std::size_t> ns_index, message_index;
  std::vector<std::uint32_t> namespaces, messages;
  auto index_of = [](auto& m, std::vector<std::uint32_t>& list, std::uint32_t id) {
    auto [it, inserted] = m.try_emplace(id, list.size());
    if (inserted) list.push_back(id);
    return it->second;
  };
  std::string row_text;
  for (std::size_t i = 0; i < rep.rows.size(); ++i) {
    const row& r = rep.rows[i];
    row_text = i ? ",\n[" : "\n[";
    row_text += std::to_string(index_of(ns_index, namespaces, r.namespace_name)) + ",";
    append_json_quoted(row_text, log && r.kind == 0 ? rep.position_label(r) : rep.object_label(r));
    row_text += "," + std::to_string(r.pods) + ",";
    append_json_quoted(row_text, log && r.kind != 0 ? std::string() : rep.position_label(r));
    row_text += ",[";
    for (std::size_t k = 0; k < r.results.size(); ++k) {
      const row_result& x = r.results[k];
      if (k) row_text += ',';
      row_text += "[" + std::to_string(x.column) + "," + std::to_string(static_cast<int>(x.outcome)) + "," +
                  std::to_string(index_of(message_index, messages, x.message)) + "," + std::to_string(x.count) + ",";
      append_json_quoted(row_text, actions_text(x.actions));
      row_text += "]";
    }
    row_text += "]";
    if (!log) {  // the name, for the messages' placeholder
      row_text += ",";
      append_json_quoted(row_text, r.name);
    } else {
      row_text += ",";
      append_json_quoted(row_text, rep.str(r.user));
      row_text += ",";
      append_json_quoted(row_text, rep.str(r.operation));
      row_text += ",";
      append_json_quoted(row_text, r.last_seen_us ? format_time_us(r.last_seen_us) : std::string());
    }
    row_text += "]";
    out << script_safe(row_text);
  }
  s = "],\"namespaces\":[";
  for (std::size_t i = 0; i < namespaces.size(); ++i) {
    if (i) s += ',';
    append_json_quoted(s, rep.str(namespaces[i]));
  }
  s += "],\"messages\":[";
  out << script_safe(s);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    s = i ? ",\n" : "";
    append_json_quoted(s, rep.str(messages[i]));
    out << script_safe(s);
  }
  out << "]}";
}

void tile(std::ostream& out, const char* cls, const char* id, std::uint64_t value, const std::string& label) {
  out << "<div class=\"tile " << cls << "\"><span class=\"n\" id=\"" << id << "\" data-count=\"" << value << "\">"
      << value << "</span><span class=\"l\">" << html_escape(label) << "</span></div>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

void render_html(const report& rep, std::ostream& out) {
  const report_summary s = summarize(rep);
  const bool log = rep.origin == report_origin::log;

  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>peergate audit " << format_time_s(rep.generated_s) << "</title>\n<style>\n"
      << report_css() << "</style>\n"
      << "</head>\n<body data-state=\"loading\">\n<header>\n<h1>peergate audit" << (log ? " of the audit log" : "")
      << "</h1>\n<p class=\"meta\">Generated " << format_time_s(rep.generated_s);
  if (!rep.sources.empty()) {
    out << " from ";
    for (std::size_t i = 0; i < rep.sources.size(); ++i) out << (i ? ", " : "") << html_escape(rep.sources[i]);
  }
  out << ". ";
  if (log) {
    out << rep.log_lines << " log lines";
    if (rep.period_from_us)
      out << " from " << format_time_us(rep.period_from_us) << " to " << format_time_us(rep.period_to_us);
    out << ".";
    if (rep.dropped_lines)
      out << " <strong>The server dropped " << rep.dropped_lines
          << " lines (queue full): counts are lower bounds.</strong>";
  } else {
    out << rep.items_read << " items read";
    if (rep.folded) out << ", " << rep.folded << " folded into their owners";
    if (!rep.ignored_kinds.empty()) {
      std::uint64_t n = 0;
      for (const auto& [kind, k] : rep.ignored_kinds) n += k;
      out << ", " << n << " without pods not audited";
    }
    out << ".";
  }
  out << "</p>\n</header>\n<section class=\"tiles\" id=\"headline\">\n";
  for (result r : all_results)
    tile(out, to_string(r), (std::string("count-") + to_string(r)).c_str(), s.total[r], to_string(r));
  tile(out, "", "count-rows", s.rows, log ? "entries" : "objects");
  if (!log) tile(out, "", "count-pods", s.pods, "pods");
  tile(out, "", "count-namespaces", s.namespaces, "namespaces");
  out << "</section>\n<p class=\"small\">Policies: ";
  for (std::uint32_t c = 0; c < rep.columns.size(); ++c)
    out << (c ? "; " : "") << html_escape(rep.column_label(c)) << " ("
        << html_escape(rep.columns[c].actions ? actions_text(rep.columns[c].actions) : std::string("no action")) << ")";
  out << ".</p>\n<section class=\"charts\">\n";

  std::vector<bar> by_namespace;
  for (const auto& [ns, c] : s.by_namespace)
    if (c.findings()) by_namespace.push_back({ns.empty() ? std::string("(no namespace)") : ns, c});
  std::stable_sort(by_namespace.begin(), by_namespace.end(),
                   [](const bar& a, const bar& b) { return a.values.findings() > b.values.findings(); });
  const std::size_t more = by_namespace.size() > 15 ? by_namespace.size() - 15 : 0;
  by_namespace.resize(std::min<std::size_t>(by_namespace.size(), 15));
  write_bar_chart(
      out,
      "Findings by namespace" + (more ? " (the 15 with the most; " + std::to_string(more) + " more)" : std::string()),
      by_namespace, {result::fail, result::error, result::warn}, "No findings in any namespace.", "chart-namespaces");
  std::vector<bar> by_policy;
  for (std::uint32_t c = 0; c < rep.columns.size(); ++c) by_policy.push_back({rep.column_label(c), s.by_column[c]});
  write_bar_chart(out, log ? "Decisions by policy" : "Results by policy (skip not shown)", by_policy,
                  {result::fail, result::error, result::warn, result::pass}, "No results.", "chart-policies");
  if (!log) write_vm_chart(out, rep.vm_by_namespace);
  out << "</section>\n";

  if (log && !s.by_user.empty()) {
    out << "<h2>By user</h2>\n<table id=\"users\"><thead><tr><th>User</th>";
    for (result r : {result::fail, result::warn, result::error}) out << "<th>" << to_string(r) << "</th>";
    out << "</tr></thead><tbody>\n";
    for (const auto& [user, c] : s.by_user) {
      out << "<tr><td>" << html_escape(user.empty() ? std::string("(unknown)") : user) << "</td>";
      for (result r : {result::fail, result::warn, result::error}) out << "<td class=\"num\">" << c[r] << "</td>";
      out << "</tr>\n";
    }
    out << "</tbody></table>\n";
  }

  out << "<h2>Results</h2>\n<div class=\"controls\">"
      << "<input id=\"filter\" type=\"search\" placeholder=\"Filter by namespace, object, policy, message"
      << (log ? ", user" : "") << "\" aria-label=\"Filter\">"
      << "<select id=\"ns-filter\" aria-label=\"Namespace\"><option value=\"\">all namespaces</option></select>"
      << "<span id=\"result-filters\"></span><span id=\"shown\" class=\"small\"></span></div>\n"
      << "<table id=\"results\"><thead><tr></tr></thead><tbody></tbody></table>\n"
      << "<button id=\"more\" hidden>Show more</button>\n"
      << "<noscript><p>The table needs JavaScript; the counts and charts above do not.</p></noscript>\n"
      << "<script type=\"application/json\" id=\"peergate-data\">";
  write_data(rep, out);
  out << "</script>\n<script>\n" << report_js() << "</script>\n</body>\n</html>\n";
}

}  // namespace peergate::audit
