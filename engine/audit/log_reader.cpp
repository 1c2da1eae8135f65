#include "engine/audit/log_reader.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace peergate::audit {

namespace json = boost::json;

namespace {

std::string_view string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string_view(it->value().get_string()) : std::string_view();
}

}  // namespace

log_auditor::log_auditor() { report_.origin = report_origin::log; }

void log_auditor::begin_source(std::string_view name) {
  commit();  // a request's lines never span two files
  source_ = report_.text.intern(name);
  report_.sources.emplace_back(name);
}

std::uint32_t log_auditor::column_for(std::string_view policy, std::string_view rule) {
  // Columns are 16-bit in rows; a log naming more policies than that is not a real one.
  if (report_.columns.size() >= 65000 && !columns_.contains(std::string(policy) + '\0' + std::string(rule)))
    policy = "(more policies)", rule = "";
  std::string key(policy);
  key += '\0';
  key += rule;
  auto [it, inserted] = columns_.try_emplace(std::move(key), static_cast<std::uint32_t>(report_.columns.size()));
  if (inserted) report_.columns.push_back({policy.empty() ? std::string("(no policy)") : std::string(policy), std::string(rule), 0});
  return it->second;
}

void log_auditor::add_error(std::uint64_t line_number, std::string_view reason) {
  commit();
  row r;
  r.source = source_;
  r.line = line_number;
  r.results.push_back(
      {static_cast<std::uint16_t>(column_for("audit-log", "read")), result::error, 0, report_.intern_message(reason, {})});
  report_.rows.push_back(std::move(r));
}

void log_auditor::add_line(std::string_view line, std::uint64_t line_number) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (line.empty()) return;
  json::error_code ec;
  const json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) {
    add_error(line_number, ec ? "not a JSON line: " + ec.message() : std::string("not a JSON object"));
    return;
  }
  const json::object& o = v.get_object();
  if (auto d = o.find("dropped"); d != o.end()) {  // the writer's marker: lines the server lost
    if (d->value().is_int64() && d->value().get_int64() > 0) report_.dropped_lines += static_cast<std::uint64_t>(d->value().get_int64());
    else if (d->value().is_uint64()) report_.dropped_lines += d->value().get_uint64();
    return;
  }
  std::int64_t time = 0;
  if (!parse_time_us(string_field(o, "time"), time)) {
    add_error(line_number, "no \"time\" in RFC 3339 form");
    return;
  }
  const std::string_view action = string_field(o, "action");
  const std::uint8_t bit = action == "deny"    ? action_deny
                           : action == "warn"  ? action_warn
                           : action == "audit" ? action_audit
                                               : 0;
  if (bit == 0) {
    add_error(line_number, "unknown action \"" + std::string(action) + "\" (deny, warn or audit)");
    return;
  }
  ++report_.log_lines;
  if (report_.period_from_us == 0 || time < report_.period_from_us) report_.period_from_us = time;
  if (time > report_.period_to_us) report_.period_to_us = time;

  const std::uint32_t column = column_for(string_field(o, "policy"), string_field(o, "rule"));
  const std::string_view uid = string_field(o, "uid");
  // The writer puts the lines of one request together: a line of the same request and policy
  // as the one before is another action of the same decision.
  if (pending_.present && !uid.empty() && pending_.uid == uid && pending_.column == column) {
    pending_.actions |= bit;
    return;
  }
  commit();
  decision_lines& d = pending_;
  d.present = true;
  d.uid = uid;
  d.column = column;
  d.actions = bit;
  d.time_us = time;
  d.line = line_number;
  d.namespace_name = string_field(o, "namespace");
  d.kind = string_field(o, "kind");
  d.name = string_field(o, "name");
  d.generated_name = false;
  if (d.name.empty() && !string_field(o, "generateName").empty()) {
    d.name = string_field(o, "generateName");
    d.generated_name = true;
  }
  d.user = string_field(o, "user");
  d.operation = string_field(o, "operation");
  d.message = string_field(o, "message");
}

void log_auditor::commit() {
  if (!pending_.present) return;
  decision_lines& d = pending_;
  d.present = false;
  report_.columns[d.column].actions |= d.actions;
  const result outcome = (d.actions & action_deny) ? result::fail : result::warn;
  std::string key;
  for (std::string_view part : {std::string_view(d.namespace_name), std::string_view(d.kind), std::string_view(d.name),
                                d.generated_name ? std::string_view("*") : std::string_view(), std::string_view(d.user),
                                std::string_view(d.operation)}) {
    key.append(part);
    key += '\0';
  }
  key += std::to_string(d.column) + "/" + std::to_string(d.actions);
  auto [it, inserted] = groups_.try_emplace(std::move(key), static_cast<std::uint32_t>(report_.rows.size()));
  const std::uint32_t message = report_.intern_message(d.message, {});
  if (inserted) {
    row r;
    r.kind = report_.text.intern(d.kind);
    r.namespace_name = report_.text.intern(d.namespace_name);
    r.name = d.name;
    r.generated_name = d.generated_name;
    r.user = report_.text.intern(d.user);
    r.operation = report_.text.intern(d.operation);
    r.source = source_;
    r.line = d.line;
    r.first_seen_us = r.last_seen_us = d.time_us;
    r.results.push_back({static_cast<std::uint16_t>(d.column), outcome, d.actions, message, 1});
    report_.rows.push_back(std::move(r));
    return;
  }
  row& r = report_.rows[it->second];
  row_result& x = r.results.front();
  ++x.count;
  if (d.time_us < r.first_seen_us) r.first_seen_us = d.time_us;
  if (d.time_us >= r.last_seen_us) {
    r.last_seen_us = d.time_us;
    x.message = message;  // the latest wording
  }
}

report log_auditor::finish(std::int64_t generated_s) {
  commit();
  columns_ = {};
  groups_ = {};
  sort_rows(report_);
  report_.generated_s = generated_s;
  return std::move(report_);
}

void read_log(std::istream& in, log_auditor& auditor) {
  std::string line;
  std::uint64_t number = 0;
  while (std::getline(in, line)) auditor.add_line(line, ++number);
}

}  // namespace peergate::audit
