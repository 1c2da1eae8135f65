#include "audit/log_line.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

#include "audit/report.hpp"
#include "engine/json_fields.hpp"
#include "engine/json_text.hpp"

namespace peergate::audit {

namespace json = boost::json;

namespace {

// The keys, in the order they are written.
constexpr std::string_view key_time = "time";
constexpr std::string_view key_uid = "uid";
constexpr std::string_view key_user = "user";
constexpr std::string_view key_operation = "operation";
constexpr std::string_view key_kind = "kind";
constexpr std::string_view key_namespace = "namespace";
constexpr std::string_view key_name = "name";
constexpr std::string_view key_generate_name = "generateName";
constexpr std::string_view key_policy = "policy";
constexpr std::string_view key_rule = "rule";
constexpr std::string_view key_action = "action";
constexpr std::string_view key_message = "message";
constexpr std::string_view key_dropped = "dropped";

std::int64_t micros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += ',';
  append_json_quoted(out, key);
  out += ':';
  append_json_quoted(out, value);
}

void append_line(std::string& out, const log_request& r, const std::string& time, std::string_view policy,
                 std::string_view rule, std::string_view action, std::string_view message) {
  out += '{';
  append_json_quoted(out, key_time);
  out += ':';
  append_json_quoted(out, time);
  append_field(out, key_uid, r.uid);
  append_field(out, key_user, r.user);
  append_field(out, key_operation, r.operation);
  append_field(out, key_kind, r.kind);
  append_field(out, key_namespace, r.namespace_name);
  if (!r.name.empty() || r.generate_name.empty()) append_field(out, key_name, r.name);
  else append_field(out, key_generate_name, r.generate_name);
  append_field(out, key_policy, policy);
  append_field(out, key_rule, rule);
  append_field(out, key_action, action);
  append_field(out, key_message, message);
  out += "}\n";
}

std::optional<policy_action> action_named(std::string_view word) {
  for (policy_action a : all_policy_actions)
    if (word == to_string(a)) return a;
  return std::nullopt;
}

}  // namespace

std::string format_log_lines(const log_request& request, std::span<const finding> findings,
                             std::chrono::system_clock::time_point when, std::size_t* line_count) {
  std::string out;
  std::size_t lines = 0;
  bool denial_logged = false;
  std::string time;
  for (const finding& f : findings) {
    if (f.result != finding_result::violation) continue;
    for (policy_action a : all_policy_actions) {
      if (!f.actions.contains(a)) continue;
      if (time.empty()) time = format_time_us(micros(when));
      append_line(out, request, time, f.policy, to_string(f.rule), to_string(a), f.message);
      ++lines;
      denial_logged = denial_logged || a == policy_action::deny;
    }
  }
  if (request.denied && !denial_logged) {
    // Refused without a policy violation: say which step refused it, if one did.
    const auto error = std::find_if(findings.begin(), findings.end(),
                                    [](const finding& f) { return f.result == finding_result::error; });
    if (time.empty()) time = format_time_us(micros(when));
    append_line(out, request, time, error != findings.end() ? std::string_view(error->policy) : std::string_view(),
                error != findings.end() ? std::string_view(to_string(error->rule)) : std::string_view(),
                to_string(policy_action::deny), request.message);
    ++lines;
  }
  if (line_count) *line_count = lines;
  return out;
}

std::string format_dropped_line(std::uint64_t dropped, std::chrono::system_clock::time_point when) {
  std::string out = "{";
  append_json_quoted(out, key_time);
  out += ':';
  append_json_quoted(out, format_time_us(micros(when)));
  out += ',';
  append_json_quoted(out, key_dropped);
  out += ':' + std::to_string(dropped);
  append_field(out, key_message, std::to_string(dropped) + " audit log lines were dropped: the queue was full");
  out += "}\n";
  return out;
}

parsed_log_line parse_log_line(std::string_view line) {
  parsed_log_line out;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (line.empty()) return out;
  out.what = parsed_log_line::kind::unreadable;
  json::error_code ec;
  const json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) {
    out.problem = ec ? "not a JSON line: " + ec.message() : std::string("not a JSON object");
    return out;
  }
  const json::object& o = v.get_object();
  if (auto d = o.find(key_dropped); d != o.end()) {
    out.what = parsed_log_line::kind::dropped_marker;
    if (d->value().is_int64() && d->value().get_int64() > 0)
      out.dropped = static_cast<std::uint64_t>(d->value().get_int64());
    else if (d->value().is_uint64()) out.dropped = d->value().get_uint64();
    return out;
  }
  log_entry& e = out.entry;
  if (!parse_time_us(string_field(o, key_time), e.time_us)) {
    out.problem = "no \"time\" in RFC 3339 form";
    return out;
  }
  const std::string action = string_field(o, key_action);
  const std::optional<policy_action> a = action_named(action);
  if (!a) {
    out.problem = "unknown action \"" + action + "\" (deny, warn or audit)";
    return out;
  }
  out.what = parsed_log_line::kind::entry;
  e.action = *a;
  e.uid = string_field(o, key_uid);
  e.user = string_field(o, key_user);
  e.operation = string_field(o, key_operation);
  e.kind = string_field(o, key_kind);
  e.namespace_name = string_field(o, key_namespace);
  e.name = string_field(o, key_name);
  if (e.name.empty()) e.generate_name = string_field(o, key_generate_name);
  e.policy = string_field(o, key_policy);
  e.rule = string_field(o, key_rule);
  e.message = string_field(o, key_message);
  return out;
}

}  // namespace peergate::audit
