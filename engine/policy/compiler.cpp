#include "engine/policy/compiler.hpp"

#include <algorithm>
#include <map>

#include "engine/policy/presets.hpp"
#include "engine/time_text.hpp"

namespace peergate {

namespace {

// Builds one list's matcher, reporting each pattern RE2 rejects at the pattern and a failure of
// the list as a whole at `list_where`. `extra` are exact names with no place in the file (presets).
std::optional<name_matcher> build_matcher(const std::vector<located_pattern>& entries, std::vector<name_pattern> extra,
                                          const source_location& list_where, const std::string& path,
                                          diagnostic_reporter& out) {
  std::vector<name_pattern> patterns;
  patterns.reserve(entries.size() + extra.size());
  for (const auto& entry : entries) patterns.push_back(entry.pattern);
  for (auto& p : extra) patterns.push_back(std::move(p));
  name_matcher_build built = name_matcher::build(std::move(patterns));
  for (const pattern_error& error : built.errors) {
    if (error.pattern && *error.pattern < entries.size()) {
      const located_pattern& entry = entries[*error.pattern];
      out.report(diagnostic_code::invalid_regex, entry.where,
                 "invalid regex \"" + entry.pattern.text + "\": " + error.reason);
    } else {
      out.report(diagnostic_code::invalid_regex, list_where, path + ": " + error.reason);
    }
  }
  return std::move(built.matcher);
}

std::string summarize_entries(const std::vector<name_pattern>& patterns) {
  if (patterns.empty()) return "none";
  constexpr std::size_t max_shown = 5;
  std::string out;
  for (std::size_t i = 0; i < patterns.size() && i < max_shown; ++i) out += (i ? ", " : "") + patterns[i].display();
  if (patterns.size() > max_shown) out += " and " + std::to_string(patterns.size() - max_shown) + " more";
  return out;
}

std::optional<peer_pod_policy> compile_policy(const named_policy& document, diagnostic_reporter& out) {
  const policy_document& spec = document.spec;
  auto allowed =
      build_matcher(spec.allowed_namespaces, {}, spec.allowed_namespaces_where, "spec.allowedNamespaces", out);
  auto usernames = build_matcher(spec.exempt_usernames, {}, spec.exemptions_where, "spec.exemptions.usernames", out);
  auto groups = build_matcher(spec.exempt_groups, {}, spec.exemptions_where, "spec.exemptions.groups", out);
  if (!allowed || !usernames || !groups) return std::nullopt;
  std::string summary = summarize_entries(allowed->patterns());
  return peer_pod_policy{
      .name = document.name,
      .where = document.where,
      .runtime_class_names = spec.runtime_class_names.value(),
      .actions = spec.actions,
      .allowed_namespaces = std::move(*allowed),
      .exempt_usernames = std::move(*usernames),
      .exempt_groups = std::move(*groups),
      .message = spec.message,
      .allowed_summary = std::move(summary),
  };
}

// instanceTypes or images: [] forbids any value; otherwise the matcher of the entries.
std::optional<vm::allowed_names> compile_allowed_names(const std::vector<located_pattern>& entries,
                                                       const source_location& where, const std::string& path,
                                                       diagnostic_reporter& out) {
  if (entries.empty()) return vm::allowed_names::none();
  auto matcher = build_matcher(entries, {}, where, path, out);
  if (!matcher) return std::nullopt;
  std::string display;
  for (const auto& entry : entries) display += (display.empty() ? "" : ", ") + entry.pattern.display();
  return vm::allowed_names::any_of([m = std::move(*matcher)](std::string_view value) { return m.matches(value); },
                                   std::move(display));
}

std::optional<peer_pod_vm_policy> compile_vm_policy(const named_vm_policy& document, diagnostic_reporter& out) {
  const vm_policy_document& spec = document.spec;
  bool ok = true;
  std::optional<name_matcher> namespaces;
  if (spec.namespaces) {
    namespaces = build_matcher(*spec.namespaces, {}, spec.namespaces_where, "spec.namespaces", out);
    ok = ok && namespaces.has_value();
  }
  auto usernames = build_matcher(spec.exempt_usernames, {}, spec.exemptions_where, "spec.exemptions.usernames", out);
  auto groups = build_matcher(spec.exempt_groups, {}, spec.exemptions_where, "spec.exemptions.groups", out);
  vm::vm_limits limits;
  if (spec.instance_types) {
    limits.instance_types =
        compile_allowed_names(*spec.instance_types, spec.instance_types_where, "spec.vm.instanceTypes", out);
    ok = ok && limits.instance_types.has_value();
  }
  if (spec.images) {
    limits.images = compile_allowed_names(*spec.images, spec.images_where, "spec.vm.images", out);
    ok = ok && limits.images.has_value();
  }
  limits.max_vcpus = spec.max_vcpus;
  limits.max_memory = spec.max_memory;
  limits.max_gpus = spec.max_gpus;
  limits.initdata_digests = spec.initdata_digests;
  if (!ok || !usernames || !groups) return std::nullopt;
  return peer_pod_vm_policy{
      .name = document.name,
      .where = document.where,
      .runtime_class_names = spec.runtime_class_names.value(),
      .actions = spec.actions,
      .namespaces = std::move(namespaces),
      .exempt_usernames = std::move(*usernames),
      .exempt_groups = std::move(*groups),
      .limits = std::move(limits),
      .message = spec.message,
  };
}

std::optional<mutation_settings> compile_mutation(const named_mutation& document, diagnostic_reporter& out) {
  const mutation_document& spec = document.spec;
  // The names written down first, then the presets' (the order the manifests list them in).
  std::vector<name_pattern> preset_names;
  for (const auto& preset : spec.presets)
    for (const auto& n : *excluded_namespace_preset(preset)) preset_names.push_back({name_pattern::kind::exact, n});
  auto excluded =
      build_matcher(spec.excluded_names, std::move(preset_names), spec.spec_where, "spec.excludedNamespaces", out);
  if (!excluded) return std::nullopt;
  std::vector<std::string> exact_names;
  for (const auto& p : excluded->patterns())
    if (p.type == name_pattern::kind::exact &&
        std::find(exact_names.begin(), exact_names.end(), p.text) == exact_names.end())
      exact_names.push_back(p.text);
  return mutation_settings{
      .name = document.name,
      .where = document.where,
      .runtime_class_name = spec.runtime_class_name.value(),
      .extended_resource = spec.extended_resource.value(),
      .sizing_annotations = spec.sizing_annotations,
      .excluded_namespaces = std::move(*excluded),
      .excluded_exact_names = std::move(exact_names),
      .unaccounted = spec.unaccounted,
  };
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// Warns when an allowed-namespace entry names a namespace the mutation skips: peer pods there
// would not be counted against the extended resource. The warning points at the entry.
void check_allowed_against_excluded(const peer_pod_policy& p, const policy_document& written,
                                    const std::vector<mutation_settings>& mutations, diagnostic_reporter& out) {
  const auto& entries = p.allowed_namespaces.patterns();
  for (const auto& rc : p.runtime_class_names) {
    const mutation_settings* m = nullptr;
    for (const auto& candidate : mutations)
      if (candidate.runtime_class_name == rc) m = &candidate;
    if (!m) continue;
    // Which allowed entries cover which excluded names: one set match per excluded name.
    std::map<std::size_t, std::vector<std::string>> hits_by_entry;
    for (const auto& ns : m->excluded_exact_names)
      for (std::size_t index : p.allowed_namespaces.matching_patterns(ns)) hits_by_entry[index].push_back(ns);
    for (std::size_t index = 0; index < entries.size(); ++index) {
      const name_pattern& entry = entries[index];
      const std::string consequence = ", so peer pods there are not counted against " + m->extended_resource;
      std::string message;
      if (entry.type == name_pattern::kind::exact) {
        // An exact name: excluded by name, or by one of the mutation's globs or regexes.
        if (!m->excluded_namespaces.matches(entry.text)) continue;
        message = "policy " + quoted(p.name) + " allows " + quoted(entry.text) + ", which the mutation " +
                  quoted(m->name) + " excludes" + consequence;
      } else {
        const std::vector<std::string>& hits = hits_by_entry[index];
        if (hits.empty()) continue;
        std::string list;
        for (std::size_t k = 0; k < hits.size() && k < 3; ++k) list += (k ? ", " : "") + hits[k];
        if (hits.size() > 3) list += " and " + std::to_string(hits.size() - 3) + " more";
        message = "policy " + quoted(p.name) + " allows " + entry.display() + ", which covers " + list +
                  ": the mutation " + quoted(m->name) + " skips " +
                  (hits.size() == 1 ? "that namespace" : "those namespaces") + consequence;
      }
      out.report(diagnostic_code::allowed_but_excluded, written.allowed_namespaces[index].where, message);
    }
  }
}

// Whether some string matches both globs (* any run, ? one character): a walk over pairs of
// positions, each glob's * either consuming the other's next character or ending.
bool globs_can_overlap(std::string_view a, std::string_view b) {
  std::vector<std::vector<bool>> seen(a.size() + 1, std::vector<bool>(b.size() + 1, false));
  std::vector<std::pair<std::size_t, std::size_t>> todo{{0, 0}};
  while (!todo.empty()) {
    auto [i, j] = todo.back();
    todo.pop_back();
    if (seen[i][j]) continue;
    seen[i][j] = true;
    if (i == a.size() && j == b.size()) return true;
    const bool a_star = i < a.size() && a[i] == '*';
    const bool b_star = j < b.size() && b[j] == '*';
    if (a_star) todo.emplace_back(i + 1, j);
    if (b_star) todo.emplace_back(i, j + 1);
    if (a_star && j < b.size() && !b_star) todo.emplace_back(i, j + 1);
    if (b_star && i < a.size() && !a_star) todo.emplace_back(i + 1, j);
    if (i < a.size() && j < b.size() && !a_star && !b_star && (a[i] == '?' || b[j] == '?' || a[i] == b[j]))
      todo.emplace_back(i + 1, j + 1);
  }
  return false;
}

// Whether the namespace entry `entry` surely shares no namespace with `allowed`. Exact names are
// decided by matching, two globs by globs_can_overlap; a regex against a glob or a regex cannot
// be decided here, so it counts as overlapping (no warning rather than a wrong one).
bool surely_disjoint(const name_pattern& entry, const name_matcher& allowed) {
  if (entry.type == name_pattern::kind::exact) return !allowed.matches(entry.text);
  auto single = name_matcher::build({entry});
  if (!single.matcher) return false;
  for (const name_pattern& a : allowed.patterns()) {
    if (a.type == name_pattern::kind::exact) {
      if (single.matcher->matches(a.text)) return false;
    } else if (a.type == name_pattern::kind::glob && entry.type == name_pattern::kind::glob) {
      if (globs_can_overlap(entry.text, a.text)) return false;
    } else {
      return false;
    }
  }
  return true;
}

// Warns at each namespace entry of a VM policy where, for each of its runtime classes, a
// PeerPodPolicy that denies allows no peer pod: the entry can never apply, most often a typo or a
// namespace renamed in one policy only.
void check_vm_namespaces_against_policies(const peer_pod_vm_policy& vm_policy, const vm_policy_document& written,
                                          const std::vector<peer_pod_policy>& policies, diagnostic_reporter& out) {
  if (!vm_policy.namespaces) return;
  const auto& entries = vm_policy.namespaces->patterns();
  for (std::size_t index = 0; index < entries.size() && index < written.namespaces->size(); ++index) {
    const peer_pod_policy* first_blocking = nullptr;
    bool every_class_blocked = true;
    for (const std::string& rc : vm_policy.runtime_class_names) {
      auto blocks = [&](const peer_pod_policy& p) {
        return p.actions.deny &&
               std::find(p.runtime_class_names.begin(), p.runtime_class_names.end(), rc) !=
                   p.runtime_class_names.end() &&
               surely_disjoint(entries[index], p.allowed_namespaces);
      };
      auto blocking = std::find_if(policies.begin(), policies.end(), blocks);
      if (blocking == policies.end()) {
        every_class_blocked = false;
        break;
      }
      if (!first_blocking) first_blocking = &*blocking;
    }
    if (!every_class_blocked || !first_blocking) continue;
    out.report(diagnostic_code::vm_namespaces_without_peer_pods, (*written.namespaces)[index].where,
               "VM policy " + quoted(vm_policy.name) + " covers " + entries[index].display() +
                   ", where the PeerPodPolicy " + quoted(first_blocking->name) +
                   " allows no peer pods (allowed: " + first_blocking->allowed_summary + "): this entry never applies");
  }
}
// The names of the loaded policies of both kinds, for a message: "a, b and 3 more".
std::string loaded_policy_names(const policy_set& set) {
  std::vector<name_pattern> names;
  for (const auto& p : set.policies) names.push_back({name_pattern::kind::exact, p.name});
  for (const auto& p : set.vm_policies) names.push_back({name_pattern::kind::exact, p.name});
  return summarize_entries(names);
}

// Whether the namespace entry `entry` is surely allowed by `allowed` in every namespace it
// covers: an exact name allowed, or the very same glob or regex written in the allowed list.
bool surely_allowed(const name_pattern& entry, const name_matcher& allowed) {
  if (entry.type == name_pattern::kind::exact) return allowed.matches(entry.text);
  for (const name_pattern& a : allowed.patterns())
    if (a.type == entry.type && a.text == entry.text) return true;
  return false;
}

std::optional<policy_exception> compile_exception(const named_exception& document, const policy_set& set,
                                                  const std::optional<time_point>& now, diagnostic_reporter& out) {
  const exception_document& spec = document.spec;
  bool ok = true;
  for (const auto& [policy_name, where] : spec.policies) {
    // A structured binding captured by a lambda needs clang 16 (the fuzz build, clang-tidy): a plain reference.
    const std::string& policy = policy_name;
    const auto named = [&](const auto& p) { return p.name == policy; };
    if (std::any_of(set.policies.begin(), set.policies.end(), named) ||
        std::any_of(set.vm_policies.begin(), set.vm_policies.end(), named))
      continue;
    ok = false;
    if (std::any_of(set.mutations.begin(), set.mutations.end(), named)) {
      out.report(diagnostic_code::unknown_policy, where,
                 "exception " + quoted(document.name) + " names " + quoted(policy) +
                     ", a PeerPodMutation: only PeerPodPolicies and PeerPodVMPolicies can be excepted");
    } else {
      out.report(diagnostic_code::unknown_policy, where,
                 "exception " + quoted(document.name) + " names " + quoted(policy) +
                     ", which is no loaded PeerPodPolicy or PeerPodVMPolicy (loaded: " + loaded_policy_names(set) +
                     ")");
    }
  }
  auto namespaces = build_matcher(spec.namespaces, {}, spec.namespaces_where, "spec.namespaces", out);
  std::optional<name_matcher> objects;
  if (spec.objects) {
    objects = build_matcher(*spec.objects, {}, spec.objects_where, "spec.objects", out);
    ok = ok && objects.has_value();
  }
  if (!ok || !namespaces) return std::nullopt;

  if (now) {
    if (spec.expires <= *now) {
      out.report(diagnostic_code::exception_expired, spec.expires_where,
                 "exception " + quoted(document.name) + " expired at " + spec.expires_text + " (now " +
                     format_rfc3339(*now) +
                     "): it applies to nothing; remove it, or extend expires if it is still needed");
    } else if (spec.expires - *now > std::chrono::days(365)) {
      out.report(diagnostic_code::exception_far_expiry, spec.expires_where,
                 "exception " + quoted(document.name) + " expires " + spec.expires_text +
                     ", more than a year ahead (now " + format_rfc3339(*now) +
                     "): an exception is time-boxed; change the policy if this is how it should be");
    }
  }
  // An entry the named PeerPodPolicy allows anyway excepts nothing of it there.
  for (const auto& [policy, where] : spec.policies) {
    for (const auto& p : set.policies) {
      if (p.name != policy) continue;
      for (const auto& entry : spec.namespaces)
        if (surely_allowed(entry.pattern, p.allowed_namespaces))
          out.report(diagnostic_code::exception_already_allowed, entry.where,
                     "exception " + quoted(document.name) + " covers " + entry.pattern.display() +
                         ", which the PeerPodPolicy " + quoted(p.name) + " already allows (allowed: " +
                         p.allowed_summary + "): the entry changes nothing for that policy");
    }
  }
  std::vector<std::string> policies;
  for (const auto& [policy, where] : spec.policies) policies.push_back(policy);
  return policy_exception{
      .name = document.name,
      .where = document.where,
      .policies = std::move(policies),
      .namespaces = std::move(*namespaces),
      .objects = std::move(objects),
      .expires = spec.expires,
      .expires_text = spec.expires_text,
      .warn_before = spec.warn_before,
      .reason = spec.reason,
  };
}

}  // namespace

policy_set compile_policy_set(collected_documents collected, diagnostic_reporter& out,
                              std::optional<std::chrono::system_clock::time_point> now) {
  policy_set set;
  for (const auto& document : collected.mutations)
    if (auto m = compile_mutation(document, out)) set.mutations.push_back(std::move(*m));
  std::vector<const policy_document*> written;  // written[i] is what set.policies[i] was compiled from
  for (const auto& document : collected.policies) {
    if (auto p = compile_policy(document, out)) {
      set.policies.push_back(std::move(*p));
      written.push_back(&document.spec);
    }
  }
  for (std::size_t i = 0; i < set.policies.size(); ++i)
    check_allowed_against_excluded(set.policies[i], *written[i], set.mutations, out);
  for (const auto& document : collected.vm_policies) {
    if (auto p = compile_vm_policy(document, out)) {
      check_vm_namespaces_against_policies(*p, document.spec, set.policies, out);
      set.vm_policies.push_back(std::move(*p));
    }
  }
  // After the policies, which the exceptions name.
  for (const auto& document : collected.exceptions)
    if (auto e = compile_exception(document, set, now, out)) set.exceptions.push_back(std::move(*e));
  set.sources = std::move(collected.sources);
  return set;
}

const mutation_settings* policy_set::mutation_for(std::string_view runtime_class) const {
  for (const auto& m : mutations)
    if (m.runtime_class_name == runtime_class) return &m;
  return nullptr;
}

}  // namespace peergate
