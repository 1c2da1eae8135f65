#include "audit/log_reader.hpp"

#include "audit/log_line.hpp"

namespace peergate::audit {

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
  if (inserted)
    report_.columns.push_back(
        {policy.empty() ? std::string("(no policy)") : std::string(policy), std::string(rule), 0});
  return it->second;
}

void log_auditor::add_error(std::uint64_t line_number, std::string_view reason) {
  commit();
  row r;
  r.source = source_;
  r.line = line_number;
  r.results.push_back({static_cast<std::uint16_t>(column_for("audit-log", "read")), result::error, 0,
                       report_.intern_message(reason, {})});
  report_.rows.push_back(std::move(r));
}

namespace {

std::uint8_t action_bit(policy_action a) {
  switch (a) {
    case policy_action::deny: return action_deny;
    case policy_action::warn: return action_warn;
    case policy_action::audit: return action_audit;
  }
  return action_deny;
}

}  // namespace

void log_auditor::add_line(std::string_view line, std::uint64_t line_number) {
  parsed_log_line parsed = parse_log_line(line);
  switch (parsed.what) {
    case parsed_log_line::kind::blank: return;
    case parsed_log_line::kind::unreadable: add_error(line_number, parsed.problem); return;
    case parsed_log_line::kind::dropped_marker: report_.dropped_lines += parsed.dropped; return;
    case parsed_log_line::kind::entry: break;
  }
  log_entry& e = parsed.entry;
  const std::uint8_t bit = action_bit(e.action);
  ++report_.log_lines;
  if (report_.period_from_us == 0 || e.time_us < report_.period_from_us) report_.period_from_us = e.time_us;
  if (e.time_us > report_.period_to_us) report_.period_to_us = e.time_us;

  const std::uint32_t column = column_for(e.policy, e.rule);
  // The writer puts the lines of one request together: a line of the same request, policy and
  // rule as the one before is another action of the same finding.
  if (pending_.present && !e.uid.empty() && pending_.uid == e.uid && pending_.column == column) {
    pending_.actions |= bit;
    return;
  }
  commit();
  decision_lines& d = pending_;
  d.present = true;
  d.uid = std::move(e.uid);
  d.column = column;
  d.actions = bit;
  d.time_us = e.time_us;
  d.line = line_number;
  d.namespace_name = std::move(e.namespace_name);
  d.kind = std::move(e.kind);
  d.generated_name = e.name.empty() && !e.generate_name.empty();
  d.name = d.generated_name ? std::move(e.generate_name) : std::move(e.name);
  d.user = std::move(e.user);
  d.operation = std::move(e.operation);
  d.message = std::move(e.message);
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
