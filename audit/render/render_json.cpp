// The json format: the full result set, written row by row (never one large JSON value), one
// object or log entry a line so that it also greps well.
#include "audit/render/render.hpp"
#include "engine/json_text.hpp"

namespace peergate::audit {

namespace {

// A key of this file, written as it is: each is checked when the file is compiled to need no
// escape (a row writes twenty keys, and 100 000 rows are common).
struct plain_key {
  template <std::size_t n>
  consteval plain_key(const char (&key)[n]) : text(key, n - 1) {  // NOLINT: implicit, for literals
    for (char c : text)
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') throw "this key needs escaping";
  }
  std::string_view text;
};

void append_key(std::string& out, plain_key key, bool comma) {
  if (comma) out += ',';
  out += '"';
  out += key.text;
  out += "\":";
}

void append_field(std::string& out, plain_key key, std::string_view value, bool comma = true) {
  append_key(out, key, comma);
  append_json_quoted(out, value);
}

void append_number(std::string& out, plain_key key, std::uint64_t value, bool comma = true) {
  append_key(out, key, comma);
  out += std::to_string(value);
}

// The same under a key that is data (a kind read from the input, a result's word).
void append_number_under(std::string& out, std::string_view key, std::uint64_t value, bool comma = true) {
  if (comma) out += ',';
  append_json_quoted(out, key);
  out += ':';
  out += std::to_string(value);
}

void append_counts(std::string& out, const counts& c) {
  for (result r : all_results) append_number_under(out, to_string(r), c[r]);
}

// The VM sizes one pod asks for: memory in MiB, as the annotation (default_memory) holds it.
void append_vm_size(std::string& out, const vm_size& vm) {
  out += ",\"vmPerPod\":{";
  append_number(out, "vcpus", vm.vcpus, false);
  append_number(out, "memoryMiB", vm.memory_mib);
  append_number(out, "gpus", vm.gpus);
  out += '}';
}

void append_actions(std::string& out, std::uint8_t actions) {
  out += ",\"actions\":[";
  bool first = true;
  for (auto [bit, word] : {std::pair{action_deny, "Deny"}, {action_warn, "Warn"}, {action_audit, "Audit"}}) {
    if (!(actions & bit)) continue;
    if (!first) out += ',';
    append_json_quoted(out, word);
    first = false;
  }
  out += ']';
}

}  // namespace

void render_json(const report& rep, std::ostream& out) {
  const report_summary s = summarize(rep);
  const bool log = rep.origin == report_origin::log;
  std::string buf;
  buf += "{\"apiVersion\":\"peergate.dev/v1alpha1\",\"kind\":\"AuditReport\"";
  append_field(buf, "generated", format_time_s(rep.generated_s));
  append_field(buf, "origin", log ? "log" : "objects");
  buf += ",\"sources\":[";
  for (std::size_t i = 0; i < rep.sources.size(); ++i) {
    if (i) buf += ',';
    append_json_quoted(buf, rep.sources[i]);
  }
  buf += "],\n\"summary\":{";
  append_number(buf, "rows", s.rows, false);
  if (!log) append_number(buf, "pods", s.pods);
  append_number(buf, "namespaces", s.namespaces);
  append_counts(buf, s.total);
  if (log) {
    append_number(buf, "lines", rep.log_lines);
    append_number(buf, "droppedLines", rep.dropped_lines);
    if (rep.period_from_us) {
      append_field(buf, "from", format_time_us(rep.period_from_us));
      append_field(buf, "to", format_time_us(rep.period_to_us));
    }
  } else {
    append_number(buf, "itemsRead", rep.items_read);
    append_number(buf, "folded", rep.folded);
    append_number(buf, "duplicates", rep.duplicates);
    buf += ",\"notAudited\":{";
    bool first = true;
    for (const auto& [kind, n] : rep.ignored_kinds) {
      append_number_under(buf, kind, n, !first);
      first = false;
    }
    buf += '}';
  }
  buf += "},\n\"policies\":[";
  for (std::uint32_t c = 0; c < rep.columns.size(); ++c) {
    buf += c ? ",\n{" : "\n{";
    append_field(buf, "policy", rep.columns[c].policy, false);
    append_field(buf, "rule", rep.columns[c].rule);
    append_actions(buf, rep.columns[c].actions);
    append_counts(buf, s.by_column[c]);
    buf += '}';
  }
  buf += "],\n\"namespaces\":[";
  for (std::size_t i = 0; i < s.by_namespace.size(); ++i) {
    buf += i ? ",\n{" : "\n{";
    append_field(buf, "namespace", s.by_namespace[i].first, false);
    append_counts(buf, s.by_namespace[i].second);
    buf += '}';
  }
  buf += ']';
  if (!log) {
    buf += ",\n\"vmByNamespace\":[";
    for (std::size_t i = 0; i < rep.vm_by_namespace.size(); ++i) {
      const namespace_vm_totals& t = rep.vm_by_namespace[i];
      buf += i ? ",\n{" : "\n{";
      append_field(buf, "namespace", t.namespace_name, false);
      append_number(buf, "peerPods", t.peer_pods);
      append_number(buf, "sizedPods", t.sized_pods);
      append_number(buf, "vcpus", t.vcpus);
      append_number(buf, "memoryMiB", t.memory_mib);
      append_number(buf, "gpus", t.gpus);
      buf += '}';
    }
    buf += ']';
  }
  if (log) {
    buf += ",\n\"users\":[";
    for (std::size_t i = 0; i < s.by_user.size(); ++i) {
      buf += i ? ",\n{" : "\n{";
      append_field(buf, "user", s.by_user[i].first, false);
      append_counts(buf, s.by_user[i].second);
      buf += '}';
    }
    buf += ']';
  }
  buf += log ? ",\n\"entries\":[" : ",\n\"objects\":[";
  out << buf;
  std::string message;  // of one result, reused

  for (std::size_t i = 0; i < rep.rows.size(); ++i) {
    const row& r = rep.rows[i];
    buf.clear();
    buf += i ? ",\n{" : "\n{";
    append_field(buf, "apiVersion", rep.str(r.api_version), false);
    append_field(buf, "kind", rep.str(r.kind));
    append_field(buf, "namespace", rep.str(r.namespace_name));
    append_field(buf, r.generated_name ? plain_key("generateName") : plain_key("name"), r.name);
    if (!r.uid.empty()) append_field(buf, "uid", r.uid);
    if (log) {
      append_field(buf, "user", rep.str(r.user));
      append_field(buf, "operation", rep.str(r.operation));
      if (r.first_seen_us) append_field(buf, "first", format_time_us(r.first_seen_us));
      if (r.last_seen_us) append_field(buf, "last", format_time_us(r.last_seen_us));
      if (r.kind == 0) {  // an unreadable line: where it is
        append_field(buf, "source", rep.str(r.source));
        append_number(buf, "line", r.line);
      }
    } else {
      append_number(buf, "pods", r.pods);
      if (r.vm.sized) append_vm_size(buf, r.vm);
      append_field(buf, "source", rep.str(r.source));
      append_number(buf, "line", r.line);
      if (!r.where.empty()) append_field(buf, "where", r.where);
    }
    append_field(buf, "worst", to_string(r.worst()));
    buf += ",\"results\":[";
    for (std::size_t k = 0; k < r.results.size(); ++k) {
      const row_result& x = r.results[k];
      buf += k ? ",{" : "{";
      append_field(buf, "policy", rep.columns[x.column].policy, false);
      append_field(buf, "rule", rep.columns[x.column].rule);
      append_field(buf, "result", to_string(x.outcome));
      if (x.actions) append_actions(buf, x.actions);
      if (log) append_number(buf, "count", x.count);
      message.clear();
      rep.append_message(message, r, x);
      append_field(buf, "message", message);
      buf += '}';
    }
    buf += "]}";
    out << buf;
  }
  out << "\n]}\n";
}

}  // namespace peergate::audit
