#include "engine/chain.hpp"

#include <algorithm>
#include <optional>

#include "engine/messages.hpp"
#include "engine/mutation.hpp"
#include "engine/request_subject.hpp"
#include "engine/time_text.hpp"
#include "engine/vm/vm_messages.hpp"
#include "engine/vm/vm_request.hpp"

namespace peergate {

const char* to_string(step_kind s) {
  switch (s) {
    case step_kind::admit: return "admit";
    case step_kind::mutate: return "mutate";
    case step_kind::validate: return "validate";
  }
  return "admit";
}

namespace {

// Refusals can quote the object (names, quantities): made one safe line like every other text.
// `findings`: those of an earlier step, kept.
decision refuse(int code, std::string_view message, std::vector<finding> findings = {}) {
  decision d;
  d.allowed = false;
  d.code = code;
  d.message = one_line(message, 1024);
  d.findings = std::move(findings);
  return d;
}

// Whether any policy or mutation is about this runtime class: only then does a missing
// namespace matter.
bool names_class(const std::vector<std::string>& classes, const std::string& rc) {
  return std::find(classes.begin(), classes.end(), rc) != classes.end();
}

bool is_peer_runtime_class(const policy_set& policies, const std::string& rc) {
  if (policies.mutation_for(rc)) return true;
  return std::any_of(policies.policies.begin(), policies.policies.end(),
                     [&](const peer_pod_policy& p) { return names_class(p.runtime_class_names, rc); }) ||
         std::any_of(policies.vm_policies.begin(), policies.vm_policies.end(),
                     [&](const peer_pod_vm_policy& p) { return names_class(p.runtime_class_names, rc); });
}

bool is_exempt(const name_matcher& usernames, const name_matcher& groups, const user_info& user) {
  return usernames.matches(user.username) ||
         std::any_of(user.groups.begin(), user.groups.end(),
                     [&](const boost::json::value& g) { return groups.matches(g.get_string()); });
}

// Adds a violation's consequences to the decision, one per action of its policy: a denial
// reason, a warning, an audit annotation (one per policy: a VM policy's violations of several
// rules share its key, joined by "; "). The finding itself is recorded once.
void apply_actions(decision& d, std::vector<std::string>& denials, finding f) {
  const std::string text = finding_line(f.policy, f.message);
  if (f.actions.deny) denials.push_back(text);
  if (f.actions.warn && std::find(d.warnings.begin(), d.warnings.end(), text) == d.warnings.end())
    d.warnings.push_back(text);
  if (f.actions.audit) {
    auto same_policy = std::find_if(d.audit_annotations.begin(), d.audit_annotations.end(),
                                    [&](const auto& annotation) { return annotation.first == f.policy; });
    if (same_policy == d.audit_annotations.end()) d.audit_annotations.emplace_back(f.policy, one_line(f.message, 1024));
    else same_policy->second = one_line(same_policy->second + "; " + f.message, 1024);
  }
  d.findings.push_back(std::move(f));
}

std::string default_violation_message(const peer_pod_policy& p, const request_subject& s) {
  return s.kind_name + " \"" + s.display_name() + "\" uses runtimeClassName \"" + *s.runtime_class +
         "\", which is not allowed in namespace \"" + s.namespace_name + "\" (allowed: " + p.allowed_summary + ")";
}

// The exceptions used by one request, in the order of first use, with the policies each one
// exempted: one audit annotation per exception, one warning per exception and policy near expiry.
class exception_uses {
 public:
  // The first exception, in load order, that names `policy` and covers the request at `now`.
  static const policy_exception* find(const policy_set& policies, const std::string& policy, const request_subject& s,
                                      time_point now) {
    for (const auto& e : policies.exceptions)
      if (e.names_policy(policy) && e.active_at(now) && e.covers(s.namespace_name, s.name, s.generate_name)) return &e;
    return nullptr;
  }

  // The skip finding of `policy`'s `rule`, not evaluated because of `e`.
  static finding skipped(const policy_exception& e, const std::string& policy, rule_kind rule,
                         const validation_actions& actions) {
    finding f{policy, rule, actions, finding_result::skip,
              one_line("exempt by exception \"" + e.name + "\" until " + e.expires_text + ": " + e.reason, 1024)};
    f.exception = e.name;
    return f;
  }

  void add(const policy_exception& e, const std::string& policy) {
    auto used = std::find_if(uses_.begin(), uses_.end(), [&](const auto& u) { return u.first == &e; });
    if (used == uses_.end()) used = uses_.insert(uses_.end(), {&e, {}});
    if (std::find(used->second.begin(), used->second.end(), policy) == used->second.end())
      used->second.push_back(policy);
  }

  // The record of each use, in the decision: an audit annotation keyed by the exception's name
  // (names are unique across every kind, so no policy's key), and a warning when near expiry.
  void record(decision& d, time_point now) const {
    for (const auto& [e, exempted] : uses_) {
      std::string list;
      for (const auto& policy : exempted) list += (list.empty() ? "" : ", ") + policy;
      d.audit_annotations.emplace_back(
          e->name, one_line("exempts " + list + " until " + e->expires_text + ": " + e->reason, 1024));
      if (!e->expiring_at(now)) continue;
      for (const auto& policy : exempted)
        d.warnings.push_back(
            one_line("exception \"" + e->name + "\" for policy \"" + policy + "\" expires " + e->expires_text, 1024));
    }
  }

 private:
  std::vector<std::pair<const policy_exception*, std::vector<std::string>>> uses_;
};

void check_policies(const request_subject& s, const admission_request& request, const policy_set& policies,
                    const evaluation_context& context, decision& d, std::vector<std::string>& denials,
                    exception_uses& uses) {
  for (const auto& p : policies.policies) {
    finding f{p.name, rule_kind::allowed_namespaces, p.actions};
    if (!names_class(p.runtime_class_names, *s.runtime_class)) continue;
    if (is_exempt(p.exempt_usernames, p.exempt_groups, request.user)) {
      f.result = finding_result::skip;
      f.message = "user \"" + std::string(request.user.username) + "\" is exempt";
      d.findings.push_back(std::move(f));
      continue;
    }
    if (const policy_exception* e = exception_uses::find(policies, p.name, s, context.now)) {
      d.findings.push_back(exception_uses::skipped(*e, p.name, rule_kind::allowed_namespaces, p.actions));
      uses.add(*e, p.name);
      continue;
    }
    if (p.allowed_namespaces.matches(s.namespace_name)) {
      d.findings.push_back(std::move(f));  // pass
      continue;
    }
    f.result = finding_result::violation;
    f.message =
        p.message.empty()
            ? default_violation_message(p, s)
            : expand_message(p.message, {p.name, s.namespace_name, *s.runtime_class, s.kind_name, s.display_name()});
    apply_actions(d, denials, std::move(f));
  }
}

// The action of an accounting check that is on (unaccountedPeerPods other than Ignore).
policy_action accounting_action(unaccounted_action a) {
  switch (a) {
    case unaccounted_action::deny: return policy_action::deny;
    case unaccounted_action::audit: return policy_action::audit;
    case unaccounted_action::warn:
    case unaccounted_action::ignore: break;
  }
  return policy_action::warn;
}

// A peer pod in a namespace the mutation skips is not counted against the extended resource,
// unless its spec already asks for it.
void check_accounting(const request_subject& s, const policy_set& policies, decision& d,
                      std::vector<std::string>& denials) {
  const mutation_settings* m = policies.mutation_for(*s.runtime_class);
  if (!m || m->unaccounted == unaccounted_action::ignore) return;
  if (!m->excluded_namespaces.matches(s.namespace_name)) return;
  finding f{m->name, rule_kind::accounting, validation_actions::only(accounting_action(m->unaccounted))};
  if (s.pod_spec && requests_resource(*s.pod_spec, m->extended_resource)) {
    d.findings.push_back(std::move(f));  // pass: counted by its own spec
    return;
  }
  f.result = finding_result::violation;
  f.message = "peer pod not counted against " + m->extended_resource + ": the peer-pods webhook skips namespace \"" +
              s.namespace_name + "\"; set resources.limits[\"" + m->extended_resource +
              "\"]: 1 on one container or run it in another namespace";
  apply_actions(d, denials, std::move(f));
}

// What VM `object` asks for: a pod's own annotations (after the mutation step, so the sizes it
// wrote), or for a workload, its template's annotations with the sizes the mutation will write
// into every pod the template creates. `pod_spec` is the object's (nullptr when it has none).
vm::vm_request requested_vm(const request_subject& s, const boost::json::value& object,
                            const boost::json::object* pod_spec, const policy_set& policies) {
  const boost::json::object* annotations = vm::find_pod_annotations(s.kind, object);
  if (s.kind == evaluated_kind::pod || pod_spec == nullptr) return vm::read_vm_request(annotations);
  const mutation_settings* m = policies.mutation_for(*s.runtime_class);
  const bool mutation_writes_sizes =
      m != nullptr && m->sizing_annotations && !m->excluded_namespaces.matches(s.namespace_name);
  return vm::read_template_vm_request(annotations, *pod_spec, mutation_writes_sizes);
}

// The same for the object before an UPDATE (read_subject checked the types on the way to its
// pod spec).
vm::vm_request requested_vm_before(const request_subject& s, const admission_request& request,
                                   const policy_set& policies) {
  const boost::json::object* old_spec =
      request.old_object.is_object() ? read_pod_spec(s.kind, request.old_object.get_object()).pod_spec : nullptr;
  return requested_vm(s, request.old_object, old_spec, policies);
}

// Each PeerPodVMPolicy for the runtime class and namespace, on its own: one finding per rule it
// checks. `update_rules` is set for an UPDATE that keeps the runtime class: then only what the
// update raised or changed is checked (rules_to_check_on_update), so lowering a limit never
// blocks scaling what already runs.
void check_vm_policies(const request_subject& s, const admission_request& request, const boost::json::value& object,
                       const policy_set& policies, const evaluation_context& context, bool keeps_runtime_class,
                       decision& d, std::vector<std::string>& denials, exception_uses& uses) {
  std::optional<vm::vm_request> asked;  // read once, when a policy first needs it
  std::optional<vm::vm_rule_set> changed_by_update;
  for (const auto& p : policies.vm_policies) {
    if (!names_class(p.runtime_class_names, *s.runtime_class) || !p.applies_to_namespace(s.namespace_name)) continue;
    vm::vm_rule_set rules = p.limits.configured_rules();
    if (is_exempt(p.exempt_usernames, p.exempt_groups, request.user)) {
      for (vm::vm_rule rule : vm::all_vm_rules)
        if (rules.contains(rule))
          d.findings.push_back({p.name, rule_of(rule), p.actions, finding_result::skip,
                                "user \"" + std::string(request.user.username) + "\" is exempt"});
      continue;
    }
    if (keeps_runtime_class) {
      if (!asked) asked = requested_vm(s, object, s.pod_spec, policies);
      if (!changed_by_update)
        changed_by_update = vm::rules_to_check_on_update(requested_vm_before(s, request, policies), *asked);
      rules = rules & *changed_by_update;
    }
    if (rules.empty()) continue;
    // An exception stops the whole policy: every rule it would check is skipped, none evaluated.
    if (const policy_exception* e = exception_uses::find(policies, p.name, s, context.now)) {
      for (vm::vm_rule rule : vm::all_vm_rules)
        if (rules.contains(rule)) d.findings.push_back(exception_uses::skipped(*e, p.name, rule_of(rule), p.actions));
      uses.add(*e, p.name);
      continue;
    }
    if (!asked) asked = requested_vm(s, object, s.pod_spec, policies);
    const std::vector<vm::vm_violation> violations = vm::check(*asked, p.limits, context.digests, rules);
    // The subject's display name is made only for a message: most reviews pass every rule.
    std::optional<std::string> display_name;
    for (vm::vm_rule rule : vm::all_vm_rules) {
      if (!rules.contains(rule)) continue;
      finding f{p.name, rule_of(rule), p.actions};
      auto violated = std::find_if(violations.begin(), violations.end(),
                                   [rule](const vm::vm_violation& v) { return v.rule == rule; });
      if (violated == violations.end()) {
        d.findings.push_back(std::move(f));  // pass
        continue;
      }
      if (!display_name) display_name = s.display_name();
      const vm::vm_message_subject subject{s.kind_name, *display_name, s.namespace_name, *s.runtime_class};
      f.result = finding_result::violation;
      f.message = p.message.empty() ? vm::default_vm_message(*violated, subject)
                                    : vm::expand_vm_message(p.message, p.name, subject, *violated);
      apply_actions(d, denials, std::move(f));
    }
  }
}

// Room for the findings of one request, reserved once by the first step that records one so that
// neither step's appends reallocate: the most it can get (one for the mutation, one per policy and
// for the accounting check, one per rule of each VM policy), up to 16. Past that, with many
// policies of which few apply to one runtime class, the bound would reserve far more than is used;
// the vector grows instead.
std::size_t findings_room(const policy_set& policies) {
  constexpr std::size_t most_reserved = 16;
  return std::min(most_reserved, 2 + policies.policies.size() + policies.vm_policies.size() * vm::all_vm_rules.size());
}

// The mutation step on `object` (the request's object, or a copy of it), changed in place.
decision mutate(const admission_request& request, boost::json::value& object, const policy_set& policies) {
  subject_read read = read_subject(request, object);
  if (read.result == subject_read::status::not_evaluated) return {};
  // Refused on every step, whatever the kind and operation: nothing is allowed unread.
  if (read.result == subject_read::status::invalid) return refuse(400, read.problem);
  // upstream mutates Pods on CREATE only
  if (request.op != operation::create || read.subject.kind != evaluated_kind::pod) return {};
  const request_subject& s = read.subject;
  if (!s.runtime_class) return {};
  const mutation_settings* m = policies.mutation_for(*s.runtime_class);
  if (!m) return {};
  decision d;
  d.findings.reserve(findings_room(policies));
  finding f{m->name, rule_kind::mutation};
  if (!s.namespace_problem.empty()) return refuse(400, s.namespace_problem);
  if (s.namespace_name.empty())
    return refuse(400, "the request has no namespace: cannot tell whether to mutate this peer pod");
  if (m->excluded_namespaces.matches(s.namespace_name)) {
    f.result = finding_result::skip;
    f.message = "namespace \"" + s.namespace_name + "\" is excluded from mutation";
    d.findings.push_back(std::move(f));
    return d;
  }
  // The patch is written as text in the object's storage (the review's arena in the webhook).
  json_patch::patch_text patch(object.storage());
  // read_subject checked the pod's types: an object, with the types the mutation reads.
  patch_mutation result =
      mutate_checked_peer_pod(object.get_object(), m->extended_resource, m->sizing_annotations, patch);
  if (result.refused) {
    decision refused = refuse(400, "[" + m->name + "] peer pod \"" + s.display_name() + "\" cannot be prepared for " +
                                       m->extended_resource + " accounting: " + result.reason);
    f.result = finding_result::error;
    f.message = result.reason;
    refused.findings.push_back(std::move(f));
    return refused;
  }
  d.patch = std::move(patch);
  d.findings.push_back(std::move(f));
  return d;
}

// The validation step on `object`: the request's own, or the one the mutation produced.
// `earlier_findings` (the mutation's, in the admit chain) come first in the decision's findings:
// its own are appended to the same vector rather than merged into a third.
decision validate(const admission_request& request, const boost::json::value& object, const policy_set& policies,
                  const evaluation_context& context, std::vector<finding> earlier_findings = {}) {
  decision d;
  d.findings = std::move(earlier_findings);
  subject_read read = read_subject(request, object);
  if (read.result == subject_read::status::not_evaluated) return d;
  if (read.result == subject_read::status::invalid) return refuse(400, read.problem, std::move(d.findings));
  const request_subject& s = read.subject;
  if (!s.runtime_class || !is_peer_runtime_class(policies, *s.runtime_class)) return d;
  d.findings.reserve(findings_room(policies));  // none when the mutation reserved them
  if (!s.namespace_problem.empty()) return refuse(400, s.namespace_problem, std::move(d.findings));
  if (s.namespace_name.empty())
    return refuse(400, "the request has no namespace: cannot tell whether peer pods are allowed",
                  std::move(d.findings));
  // An UPDATE that keeps the runtime class does not introduce a peer pod: the object passed (or
  // predates) admission. Blocking it would block scaling, relabelling and finalizer removal; only
  // a bigger or different VM than before is checked, by the VM policies.
  const bool keeps_runtime_class =
      request.op == operation::update && old_runtime_class(request, s.kind) == s.runtime_class;

  std::vector<std::string> denials;
  exception_uses uses;
  if (!keeps_runtime_class) {
    check_policies(s, request, policies, context, d, denials, uses);
    check_accounting(s, policies, d, denials);
  }
  if (!policies.vm_policies.empty())
    check_vm_policies(s, request, object, policies, context, keeps_runtime_class, d, denials, uses);
  uses.record(d, context.now);
  if (!denials.empty()) {
    d.allowed = false;
    d.code = 403;
    d.message.clear();
    for (const auto& text : denials) d.message += (d.message.empty() ? "" : "; ") + text;
  }
  return d;
}

// mutate, then validate the mutated object: denied (no patch), or allowed with the patch.
decision admit(const admission_request& request, boost::json::value& object, const policy_set& policies,
               const evaluation_context& context) {
  decision mutation = mutate(request, object, policies);
  if (!mutation.allowed) return mutation;
  decision validation = validate(request, object, policies, context, std::move(mutation.findings));
  if (validation.allowed) validation.patch = std::move(mutation.patch);
  return validation;
}

}  // namespace

rule_kind rule_of(vm::vm_rule rule) {
  switch (rule) {
    case vm::vm_rule::instance_type: return rule_kind::vm_instance_type;
    case vm::vm_rule::vcpus: return rule_kind::vm_vcpus;
    case vm::vm_rule::memory: return rule_kind::vm_memory;
    case vm::vm_rule::gpus: return rule_kind::vm_gpus;
    case vm::vm_rule::image: return rule_kind::vm_image;
    case vm::vm_rule::initdata: return rule_kind::vm_initdata;
  }
  return rule_kind::vm_vcpus;
}

std::optional<vm::vm_request> requested_vm(const request_subject& subject, const boost::json::value& object,
                                           const policy_set& policies) {
  if (!subject.runtime_class || !is_peer_runtime_class(policies, *subject.runtime_class)) return std::nullopt;
  return requested_vm(subject, object, subject.pod_spec, policies);
}

decision run_validate(const admission_request& request, const policy_set& policies, const evaluation_context& context) {
  return validate(request, request.object, policies, context);
}

// The const entry points work on a copy of the object; run_step_in_place, on the request's own.
decision run_mutate(const admission_request& request, const policy_set& policies) {
  boost::json::value object(request.object, request.object.storage());
  return mutate(request, object, policies);
}

decision run_admit(const admission_request& request, const policy_set& policies, const evaluation_context& context) {
  boost::json::value object(request.object, request.object.storage());
  return admit(request, object, policies, context);
}

decision run_step_in_place(step_kind step, admission_request& request, const policy_set& policies,
                           const evaluation_context& context) {
  switch (step) {
    case step_kind::mutate: return mutate(request, request.object, policies);
    case step_kind::validate: return validate(request, request.object, policies, context);
    case step_kind::admit: break;
  }
  return admit(request, request.object, policies, context);
}

decision run_step(step_kind step, const admission_request& request, const policy_set& policies,
                  const evaluation_context& context) {
  switch (step) {
    case step_kind::admit: return run_admit(request, policies, context);
    case step_kind::mutate: return run_mutate(request, policies);
    case step_kind::validate: return run_validate(request, policies, context);
  }
  return run_admit(request, policies, context);
}

}  // namespace peergate
