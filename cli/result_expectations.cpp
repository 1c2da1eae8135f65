#include "cli/result_expectations.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "engine/chain.hpp"

namespace peergate::cli {

namespace json = boost::json;

namespace {

template <typename Enum, std::size_t N>
std::string words_of(const Enum (&values)[N]) {
  std::string out;
  for (Enum v : values) out += (out.empty() ? "" : ", ") + std::string(to_string(v));
  return out;
}

std::string json_type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "a list";
    case json::kind::object: return "a mapping";
  }
  return "a value";
}

// The rules a loaded policy or mutation named `name` can report findings for, with its kind for
// messages; nullopt when nothing of that name is loaded. An expectation outside these can never
// be met, whatever the object under test.
struct reported_rules {
  const char* kind;
  std::vector<rule_kind> rules;
};
std::optional<reported_rules> rules_reported_by(const policy_set& policies, std::string_view name) {
  for (const peer_pod_policy& p : policies.policies)
    if (p.name == name) return reported_rules{"PeerPodPolicy", {rule_kind::allowed_namespaces}};
  for (const peer_pod_vm_policy& p : policies.vm_policies) {
    if (p.name != name) continue;
    reported_rules out{"PeerPodVMPolicy", {}};
    const vm::vm_rule_set configured = p.limits.configured_rules();
    for (vm::vm_rule rule : vm::all_vm_rules)
      if (configured.contains(rule)) out.rules.push_back(rule_of(rule));
    return out;
  }
  for (const mutation_settings& m : policies.mutations) {
    if (m.name != name) continue;
    reported_rules out{"PeerPodMutation", {rule_kind::mutation}};
    if (m.unaccounted != unaccounted_action::ignore) out.rules.push_back(rule_kind::accounting);
    return out;
  }
  return std::nullopt;
}

std::string loaded_names(const policy_set& policies) {
  std::string out;
  auto add = [&out](const std::string& name) { out += (out.empty() ? "" : ", ") + name; };
  for (const auto& p : policies.policies) add(p.name);
  for (const auto& p : policies.vm_policies) add(p.name);
  for (const auto& m : policies.mutations) add(m.name);
  return out;
}

std::string rule_words(const std::vector<rule_kind>& rules) {
  std::string out;
  for (rule_kind r : rules) out += (out.empty() ? "" : ", ") + std::string(to_string(r));
  return out.empty() ? "none" : out;
}

constexpr std::string_view entry_keys[] = {"policy", "rule", "result"};

// One entry {policy, rule, result}; nullopt after reporting why it cannot be read.
std::optional<result_expectation> read_entry(const json::value& entry, const value_locator& where,
                                             const std::string& path, const policy_set& policies,
                                             diagnostics& problems) {
  const json::object* fields = entry.if_object();
  if (fields == nullptr) {
    where.report(problems, diagnostic_code::wrong_type,
                 path + " must be a mapping {policy, rule, result}, not " + json_type_name(entry));
    return std::nullopt;
  }
  for (const auto& field : *fields)
    if (std::find(std::begin(entry_keys), std::end(entry_keys), field.key()) == std::end(entry_keys))
      where.key(field.key())
          .report(problems, diagnostic_code::unknown_field,
                  "unknown field \"" + std::string(field.key()) + "\" in " + path +
                      " (known: policy, rule, result); it is ignored");
  bool readable = true;
  std::string words[3];
  for (std::size_t i = 0; i < std::size(entry_keys); ++i) {
    const json::value* value = fields->if_contains(entry_keys[i]);
    const std::string key_path = path + "." + std::string(entry_keys[i]);
    if (value == nullptr) {
      where.report(problems, diagnostic_code::missing_field, key_path + " is required");
      readable = false;
    } else if (!value->is_string()) {
      where[entry_keys[i]].report(problems, diagnostic_code::wrong_type,
                                  key_path + " must be a string, not " + json_type_name(*value));
      readable = false;
    } else {
      words[i] = std::string(value->get_string());
    }
  }
  if (!readable) return std::nullopt;
  const std::string& policy = words[0];
  const std::optional<rule_kind> rule = rule_kind_named(words[1]);
  const std::optional<finding_result> result = finding_result_named(words[2]);
  if (!rule)
    where["rule"].report(problems, diagnostic_code::unknown_enum,
                         "unknown rule \"" + words[1] + "\" (expected " + words_of(all_rule_kinds) + ")");
  if (!result)
    where["result"].report(problems, diagnostic_code::unknown_enum,
                           "unknown result \"" + words[2] + "\" (expected " + words_of(all_finding_results) + ")");
  const std::optional<reported_rules> reported = rules_reported_by(policies, policy);
  if (!reported) {
    where["policy"].report(
        problems, diagnostic_code::unknown_enum,
        "no loaded policy or mutation is named \"" + policy + "\" (loaded: " + loaded_names(policies) + ")");
    return std::nullopt;
  }
  if (!rule || !result) return std::nullopt;
  if (std::find(reported->rules.begin(), reported->rules.end(), *rule) == reported->rules.end()) {
    where["rule"].report(problems, diagnostic_code::unknown_enum,
                         std::string(reported->kind) + " \"" + policy + "\" never reports rule \"" + words[1] +
                             "\" (its rules: " + rule_words(reported->rules) + ")");
    return std::nullopt;
  }
  return result_expectation{policy, *rule, *result};
}

}  // namespace

std::vector<result_expectation> read_result_expectations(const json::value& results, const value_locator& where,
                                                         const std::string& path, const policy_set& policies,
                                                         diagnostics& problems) {
  std::vector<result_expectation> out;
  const json::array* entries = results.if_array();
  if (entries == nullptr) {
    where.report(problems, diagnostic_code::wrong_type,
                 path + " must be a list of {policy, rule, result}, not " + json_type_name(results));
    return out;
  }
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string entry_path = path + "[" + std::to_string(i) + "]";
    if (auto expectation = read_entry((*entries)[i], where[i], entry_path, policies, problems))
      out.push_back(std::move(*expectation));
  }
  return out;
}

std::vector<std::string> compare_results(const std::vector<result_expectation>& expected,
                                         const std::vector<finding>& findings) {
  std::vector<std::string> diff;
  for (const result_expectation& want : expected) {
    // One finding per (policy, rule) in practice; should a step ever report more, each must match.
    std::vector<const finding*> reported;
    for (const finding& f : findings)
      if (f.policy == want.policy && f.rule == want.rule) reported.push_back(&f);
    const bool met = !reported.empty() && std::all_of(reported.begin(), reported.end(),
                                                      [&](const finding* f) { return f->result == want.result; });
    if (met) continue;
    std::string got;
    for (const finding* f : reported) {
      if (!got.empty()) got += ", ";
      got += to_string(f->result);
      if (!f->message.empty()) got += " (" + f->message + ")";
    }
    diff.push_back("results " + want.policy + "/" + to_string(want.rule) + ": expected " + to_string(want.result) +
                   ", got " + (got.empty() ? std::string("no finding") : got));
  }
  return diff;
}

}  // namespace peergate::cli
