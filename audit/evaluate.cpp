#include "audit/evaluate.hpp"

#include <algorithm>

#include "engine/chain.hpp"
#include "engine/json_fields.hpp"
#include "engine/messages.hpp"
#include "engine/pod_template.hpp"
#include "engine/request_subject.hpp"

namespace peergate::audit {

namespace json = boost::json;

namespace {

std::uint8_t action_bits(const validation_actions& a) {
  return static_cast<std::uint8_t>((a.deny ? action_deny : 0) | (a.warn ? action_warn : 0) |
                                   (a.audit ? action_audit : 0));
}

// The actions of a mutation's accounting check, as the engine gives them to its findings.
std::uint8_t accounting_bits(unaccounted_action a) {
  switch (a) {
    case unaccounted_action::deny: return action_deny;
    case unaccounted_action::warn: return action_warn;
    case unaccounted_action::audit: return action_audit;
    case unaccounted_action::ignore: return 0;
  }
  return 0;
}

// The engine's finding of `policy` for `rule` in the validation step's decision, if it made one.
const finding* finding_of(const decision& d, const std::string& policy, rule_kind rule) {
  for (const finding& f : d.findings)
    if (f.rule == rule && f.policy == policy) return &f;
  return nullptr;
}

const char* json_type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::array: return "a JSON array";
    case json::kind::string: return "a JSON string";
    case json::kind::null: return "null";
    case json::kind::bool_: return "a JSON boolean";
    default: return "a JSON number";
  }
}

std::optional<owner_reference> controller_of(const json::object* metadata) {
  if (!metadata) return std::nullopt;
  auto it = metadata->find("ownerReferences");
  if (it == metadata->end() || !it->value().is_array()) return std::nullopt;
  const json::object* chosen = nullptr;
  for (const auto& ref : it->value().get_array()) {
    const json::object* o = ref.if_object();
    if (!o) continue;
    if (!chosen) chosen = o;
    if (auto c = o->find("controller"); c != o->end() && c->value().is_bool() && c->value().get_bool()) {
      chosen = o;
      break;
    }
  }
  if (!chosen) return std::nullopt;
  owner_reference out{string_field(chosen, "kind"), string_field(chosen, "name"), string_field(chosen, "uid")};
  if (out.kind.empty() || (out.name.empty() && out.uid.empty())) return std::nullopt;
  return out;
}

std::string not_peer_reason(const std::optional<std::string>& runtime_class, std::string_view governed_by) {
  if (!runtime_class) return "not a peer pod: no runtimeClassName";
  return "runtimeClassName \"" + *runtime_class + "\" is not governed by this " + std::string(governed_by);
}

// The outcome of a finding that is not a pass; false for a pass, which each kind of column
// words itself.
bool outcome_of_finding(const finding& f, column_outcome& out) {
  switch (f.result) {
    case finding_result::violation:
      out.actions = action_bits(f.actions);
      out.outcome = f.actions.deny ? result::fail : result::warn;
      out.message = f.message;
      return true;
    case finding_result::skip:
      // Exempted by a PeerPodPolicyException: a skip that names it and its reason, never a pass.
      if (!f.exception.empty()) {
        out.message = f.message;
        return true;
      }
      // Evaluated without a user, so only an exemption that matches every name, even the
      // empty one ("*"), gets here: admission never applies such a policy either.
      out.message = "exempt: the policy's exemptions match any user, even none, so it never applies";
      return true;
    case finding_result::error:
      out.outcome = result::error;
      out.message = f.message;
      return true;
    case finding_result::pass: break;
  }
  return false;
}

column_outcome policy_outcome(const peer_pod_policy& p, const decision& d, const request_subject& s) {
  column_outcome out;
  const finding* f = finding_of(d, p.name, rule_kind::allowed_namespaces);
  if (!f) {
    out.message = not_peer_reason(s.runtime_class, "policy");
    return out;
  }
  if (outcome_of_finding(*f, out)) return out;
  out.outcome = result::pass;
  out.message = "namespace \"" + s.namespace_name + "\" allows runtimeClassName \"" + *s.runtime_class + "\"";
  return out;
}

// Calls `f(rule)` for each limit `p` sets, in rule order: its columns.
template <typename F>
void for_each_vm_rule(const peer_pod_vm_policy& p, F f) {
  const vm::vm_rule_set rules = p.limits.configured_rules();
  for (vm::vm_rule rule : vm::all_vm_rules)
    if (rules.contains(rule)) f(rule);
}

std::size_t column_count(const policy_set& policies) {
  std::size_t n = policies.policies.size() + policies.mutations.size();
  for (const auto& p : policies.vm_policies) for_each_vm_rule(p, [&n](vm::vm_rule) { ++n; });
  return n;
}

// What a limit that passed was compared with: "asks for 2 vCPUs; at most 4 allowed". The engine
// says nothing about a pass; the audit shows what it saw, so that a pass can be checked too.
std::string vm_pass_message(vm::vm_rule rule, const vm::vm_request& asked, const vm::vm_limits& limits) {
  constexpr std::size_t max_value_chars = 120;
  auto quoted = [](std::string_view text) { return "\"" + one_line(text, max_value_chars) + "\""; };
  auto count = [](const vm::count_value& v, std::string_view unit, std::string_view annotation,
                  const std::string& limit) {
    if (!v.valid()) return "no " + std::string(annotation) + ": no size asked";
    return "asks for " + std::to_string(v.value) + std::string(unit) + "; at most " + limit + " allowed";
  };
  switch (rule) {
    case vm::vm_rule::instance_type:
      if (!asked.machine_type.valid()) return "no machine_type: no instance type asked";
      return "asks for instance type " + quoted(asked.machine_type.text) +
             "; allowed: " + one_line(limits.instance_types->display(), max_value_chars);
    case vm::vm_rule::vcpus: return count(asked.vcpus, " vCPUs", "default_vcpus", std::to_string(*limits.max_vcpus));
    case vm::vm_rule::memory:
      return count(asked.memory_mib, " MiB of memory", "default_memory", limits.max_memory->text);
    case vm::vm_rule::gpus: return count(asked.gpus, " GPUs", "default_gpus", std::to_string(*limits.max_gpus));
    case vm::vm_rule::image:
      if (!asked.image.valid()) return "no image override";
      return "asks for image " + quoted(asked.image.text) +
             "; allowed: " + one_line(limits.images->display(), max_value_chars);
    case vm::vm_rule::initdata:
      return asked.initdata.valid() ? "its initdata document has an allowed digest" : "no initdata override";
  }
  return "within the limit";
}

// One limit of a VM policy. The engine makes a finding for every limit of a VM policy that
// covers the object (a CREATE is checked whole); where it made none, the audit says why.
column_outcome vm_outcome(const peer_pod_vm_policy& p, vm::vm_rule rule, const decision& d, const request_subject& s,
                          const vm::vm_request* asked) {
  column_outcome out;
  const finding* f = finding_of(d, p.name, rule_of(rule));
  if (!f) {
    if (!s.runtime_class || std::find(p.runtime_class_names.begin(), p.runtime_class_names.end(), *s.runtime_class) ==
                                p.runtime_class_names.end())
      out.message = not_peer_reason(s.runtime_class, "VM policy");
    else if (!p.applies_to_namespace(s.namespace_name))
      out.message = "namespace \"" + s.namespace_name + "\" is not covered by this VM policy";
    else out.message = "not checked";
    return out;
  }
  if (outcome_of_finding(*f, out)) return out;
  out.outcome = result::pass;
  out.message = asked ? vm_pass_message(rule, *asked, p.limits) : std::string("within the limit");
  return out;
}

// The sizes of a request, for the report's sums. A size that cannot be read counts as none.
vm_size size_of(const vm::vm_request& asked) {
  vm_size out;
  out.peer_pod = true;
  auto take = [&out](const vm::count_value& v, std::uint32_t& into) {
    if (!v.valid()) return;
    into = static_cast<std::uint32_t>(v.value);  // below the max_sane_* caps, all far under 2^32
    out.sized = true;
  };
  take(asked.vcpus, out.vcpus);
  take(asked.memory_mib, out.memory_mib);
  take(asked.gpus, out.gpus);
  return out;
}

// The engine's accounting check decides in the namespaces the mutation skips (a finding: pass or
// violation). Where it made no finding, the audit says why, and adds the one check admission
// cannot make: a stored Pod in a namespace the mutation covers that does not request the
// resource was admitted while the mutation was not in place (installed later, or bypassed under
// failurePolicy Ignore), so it is not counted. At admission such a pod is mutated before it is
// validated; templates are fine either way: their pods get mutated when they are created.
column_outcome accounting_outcome(const mutation_settings& m, const decision& d, const request_subject& s) {
  column_outcome out;
  if (const finding* f = finding_of(d, m.name, rule_kind::accounting)) {
    if (f->result == finding_result::violation) {
      out.actions = action_bits(f->actions);
      out.outcome = f->actions.deny ? result::fail : result::warn;
      out.message = f->message;
    } else {
      out.outcome = result::pass;
      out.message = "counted: its spec requests " + m.extended_resource;
    }
    return out;
  }
  if (!s.runtime_class || *s.runtime_class != m.runtime_class_name) {
    out.message = not_peer_reason(s.runtime_class, "mutation");
    return out;
  }
  if (m.unaccounted == unaccounted_action::ignore) {
    out.message = "accounting check off (unaccountedPeerPods: Ignore)";
    return out;
  }
  if (s.kind == evaluated_kind::pod && s.pod_spec && !requests_resource(*s.pod_spec, m.extended_resource)) {
    out.outcome = result::warn;
    out.actions = action_warn;
    out.message = "peer pod not counted against " + m.extended_resource +
                  ": its spec does not request it (created before the peer-pods mutation, or the webhook was "
                  "bypassed); recreate it to have it counted";
    return out;
  }
  out.outcome = result::pass;
  out.message = "counted: the mutation adds " + m.extended_resource + " in namespace \"" + s.namespace_name + "\"";
  return out;
}

}  // namespace

std::vector<column> columns_for(const policy_set& policies) {
  std::vector<column> out;
  out.reserve(column_count(policies));
  for (const auto& p : policies.policies)
    out.push_back({p.name, to_string(rule_kind::allowed_namespaces), action_bits(p.actions)});
  for (const auto& p : policies.vm_policies)
    for_each_vm_rule(p, [&](vm::vm_rule rule) {
      out.push_back({p.name, to_string(rule_of(rule)), action_bits(p.actions)});
    });
  for (const auto& m : policies.mutations)
    out.push_back({m.name, to_string(rule_kind::accounting), accounting_bits(m.unaccounted)});
  return out;
}

std::vector<column_outcome> error_outcomes(std::size_t columns, const std::string& reason) {
  return std::vector<column_outcome>(columns, column_outcome{result::error, 0, reason});
}

object_evaluation evaluate_object(json::value object, const policy_set& policies, const evaluation_context& context,
                                  const std::string& default_namespace) {
  object_evaluation out;
  const std::size_t columns = column_count(policies);
  const json::object* obj = object.if_object();
  if (!obj) {
    out.evaluated = true;
    out.outcomes =
        error_outcomes(columns, std::string("the item is ") + json_type_name(object) + ", not a Kubernetes object");
    return out;
  }
  out.api_version = string_field(obj, "apiVersion");
  out.kind = string_field(obj, "kind");
  const json::object* metadata = object_field(obj, "metadata");
  out.name = string_field(metadata, "name");
  if (out.name.empty()) {
    out.name = string_field(metadata, "generateName");
    out.generated_name = !out.name.empty();
  }
  out.uid = string_field(metadata, "uid");
  out.namespace_name = string_field(metadata, "namespace");
  if (out.namespace_name.empty()) out.namespace_name = default_namespace;
  if (out.kind.empty() || out.api_version.empty()) {
    out.evaluated = true;
    out.outcomes = error_outcomes(columns, "the item has no apiVersion or kind");
    return out;
  }

  // In the object's storage (an item's arena, audit/object_stream.hpp), so that moving it in below
  // is a move and not a copy.
  admission_request request(object.storage());
  request.uid = "peergate-audit";
  request.kind = kind_of_object(out.api_version, out.kind);
  if (!evaluated_kind_of(request.kind)) return out;  // no pods: not audited
  out.evaluated = true;
  out.owner = controller_of(metadata);
  if (!out.generated_name) request.name = out.name;
  request.namespace_name = out.namespace_name;
  request.op = operation::create;
  request.dry_run = true;
  request.object = std::move(object);  // `obj` and `metadata` dangle from here on

  const subject_read read = read_subject(request);
  if (read.result == subject_read::status::invalid) {
    out.outcomes = error_outcomes(columns, read.problem);
    return out;
  }
  const decision d = run_validate(request, policies, context);
  if (!d.allowed && d.findings.empty()) {  // refused before any policy looked at it
    out.outcomes = error_outcomes(columns, d.message);
    return out;
  }
  // What the VM asks for, read as the VM policies read it (views into request.object).
  const std::optional<vm::vm_request> asked = requested_vm(read.subject, request.object, policies);
  if (asked) out.vm = size_of(*asked);
  out.outcomes.reserve(columns);
  for (const auto& p : policies.policies) out.outcomes.push_back(policy_outcome(p, d, read.subject));
  for (const auto& p : policies.vm_policies)
    for_each_vm_rule(p, [&](vm::vm_rule rule) {
      out.outcomes.push_back(vm_outcome(p, rule, d, read.subject, asked ? &*asked : nullptr));
    });
  for (const auto& m : policies.mutations) out.outcomes.push_back(accounting_outcome(m, d, read.subject));
  return out;
}

}  // namespace peergate::audit
