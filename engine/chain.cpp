#include "engine/chain.hpp"

#include <algorithm>

#include "engine/messages.hpp"
#include "engine/mutation.hpp"
#include "engine/request_subject.hpp"

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
decision refuse(int code, std::string_view message) {
  decision d;
  d.allowed = false;
  d.code = code;
  d.message = one_line(message, 1024);
  return d;
}

// Whether any policy or mutation is about this runtime class: only then does a missing
// namespace matter.
bool is_peer_runtime_class(const policy_set& policies, const std::string& rc) {
  if (policies.mutation_for(rc)) return true;
  return std::any_of(policies.policies.begin(), policies.policies.end(), [&](const peer_pod_policy& p) {
    return std::find(p.runtime_class_names.begin(), p.runtime_class_names.end(), rc) != p.runtime_class_names.end();
  });
}

// Adds a violation's consequences to the decision, one per action of its policy: a denial
// reason, a warning, an audit annotation. The finding itself is recorded once.
void apply_actions(decision& d, std::vector<std::string>& denials, finding f) {
  const std::string text = one_line("[" + f.policy + "] " + f.message);
  if (f.actions.deny) denials.push_back(text);
  if (f.actions.warn && std::find(d.warnings.begin(), d.warnings.end(), text) == d.warnings.end())
    d.warnings.push_back(text);
  if (f.actions.audit) d.audit_annotations.emplace_back(f.policy, one_line(f.message, 1024));
  d.findings.push_back(std::move(f));
}

std::string default_violation_message(const peer_pod_policy& p, const request_subject& s) {
  return s.kind_name + " \"" + s.display_name + "\" uses runtimeClassName \"" + *s.runtime_class +
         "\", which is not allowed in namespace \"" + s.namespace_name + "\" (allowed: " + p.allowed_summary + ")";
}

void check_policies(const request_subject& s, const admission_request& request, const policy_set& policies, decision& d,
                    std::vector<std::string>& denials) {
  for (const auto& p : policies.policies) {
    finding f{p.name, rule_kind::allowed_namespaces, p.actions};
    const auto& classes = p.runtime_class_names;
    if (std::find(classes.begin(), classes.end(), *s.runtime_class) == classes.end()) continue;
    const bool exempt = p.exempt_usernames.matches(request.user.username) ||
                        std::any_of(request.user.groups.begin(), request.user.groups.end(),
                                    [&](const std::string& g) { return p.exempt_groups.matches(g); });
    if (exempt) {
      f.result = finding_result::skip;
      f.message = "user \"" + request.user.username + "\" is exempt";
      d.findings.push_back(std::move(f));
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
            : expand_message(p.message, {p.name, s.namespace_name, *s.runtime_class, s.kind_name, s.display_name});
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
  patch_mutation result = mutate_peer_pod_in_place(object, m->extended_resource, m->sizing_annotations);
  if (result.refused) {
    decision refused = refuse(400, "[" + m->name + "] peer pod \"" + s.display_name + "\" cannot be prepared for " +
                                       m->extended_resource + " accounting: " + result.reason);
    f.result = finding_result::error;
    f.message = result.reason;
    refused.findings.push_back(std::move(f));
    return refused;
  }
  d.patch = std::move(result.patch);
  d.findings.push_back(std::move(f));
  return d;
}

// The validation step on `object`: the request's own, or the one the mutation produced.
decision validate(const admission_request& request, const boost::json::value& object, const policy_set& policies) {
  subject_read read = read_subject(request, object);
  if (read.result == subject_read::status::not_evaluated) return {};
  if (read.result == subject_read::status::invalid) return refuse(400, read.problem);
  const request_subject& s = read.subject;
  if (!s.runtime_class || !is_peer_runtime_class(policies, *s.runtime_class)) return {};
  if (!s.namespace_problem.empty()) return refuse(400, s.namespace_problem);
  if (s.namespace_name.empty())
    return refuse(400, "the request has no namespace: cannot tell whether peer pods are allowed");
  // An UPDATE that keeps the runtime class does not introduce a peer pod: the object passed (or
  // predates) admission. Blocking it would block scaling, relabelling and finalizer removal.
  if (request.op == operation::update && old_runtime_class(request, s.kind) == s.runtime_class) return {};

  decision d;
  std::vector<std::string> denials;
  check_policies(s, request, policies, d, denials);
  check_accounting(s, policies, d, denials);
  if (!denials.empty()) {
    d.allowed = false;
    d.code = 403;
    d.message.clear();
    for (const auto& text : denials) d.message += (d.message.empty() ? "" : "; ") + text;
  }
  return d;
}

// mutate, then validate the mutated object: denied (no patch), or allowed with the patch.
decision admit(const admission_request& request, boost::json::value& object, const policy_set& policies) {
  decision mutation = mutate(request, object, policies);
  if (!mutation.allowed) return mutation;
  decision validation = validate(request, object, policies);
  validation.findings.insert(validation.findings.begin(), mutation.findings.begin(), mutation.findings.end());
  if (validation.allowed) validation.patch = std::move(mutation.patch);
  return validation;
}

}  // namespace

decision run_validate(const admission_request& request, const policy_set& policies) {
  return validate(request, request.object, policies);
}

// The const entry points work on a copy of the object; run_step_in_place, on the request's own.
decision run_mutate(const admission_request& request, const policy_set& policies) {
  boost::json::value object(request.object, request.object.storage());
  return mutate(request, object, policies);
}

decision run_admit(const admission_request& request, const policy_set& policies) {
  boost::json::value object(request.object, request.object.storage());
  return admit(request, object, policies);
}

decision run_step_in_place(step_kind step, admission_request& request, const policy_set& policies) {
  switch (step) {
    case step_kind::mutate: return mutate(request, request.object, policies);
    case step_kind::validate: return validate(request, request.object, policies);
    case step_kind::admit: break;
  }
  return admit(request, request.object, policies);
}

decision run_step(step_kind step, const admission_request& request, const policy_set& policies) {
  switch (step) {
    case step_kind::admit: return run_admit(request, policies);
    case step_kind::mutate: return run_mutate(request, policies);
    case step_kind::validate: return run_validate(request, policies);
  }
  return run_admit(request, policies);
}

}  // namespace peergate
