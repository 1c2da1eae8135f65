#include "engine/policy/collector.hpp"

#include <cstdlib>
#include <string>
#include <string_view>

namespace peergate {

mutation_defaults mutation_defaults::from_environment() {
  mutation_defaults d;
  // Same variables, same meaning as the upstream webhook: an empty value means "unset".
  if (const char* v = std::getenv("TARGET_RUNTIMECLASS"); v && *v) {
    d.runtime_class_name = v;
    d.runtime_class_from_environment = true;
  }
  if (const char* v = std::getenv("POD_VM_EXTENDED_RESOURCE"); v && *v) {
    d.extended_resource = v;
    d.extended_resource_from_environment = true;
  }
  return d;
}

namespace {

constexpr std::string_view written_wins =
    ": the value written here wins, the variable only fills in the field where it is left out; remove the "
    "field to follow the variable";

// A set variable that a document's own value contradicts: the document wins, and says so.
// (spec.runtimeClassNames of either policy kind.)
void check_against_environment(const std::optional<std::vector<std::string>>& runtime_class_names,
                               const source_location& where, const mutation_defaults& defaults,
                               diagnostic_reporter& out) {
  if (!defaults.runtime_class_from_environment || !runtime_class_names) return;
  for (const std::string& name : *runtime_class_names)
    if (name == defaults.runtime_class_name) return;
  out.report(diagnostic_code::environment_mismatch, where,
             "spec.runtimeClassNames does not include \"" + defaults.runtime_class_name +
                 "\" from TARGET_RUNTIMECLASS" + std::string(written_wins));
}

void check_against_environment(const mutation_document& mutation, const mutation_defaults& defaults,
                               diagnostic_reporter& out) {
  if (defaults.runtime_class_from_environment && mutation.runtime_class_name &&
      *mutation.runtime_class_name != defaults.runtime_class_name)
    out.report(diagnostic_code::environment_mismatch, mutation.runtime_class_name_where,
               "spec.runtimeClassName \"" + *mutation.runtime_class_name + "\" differs from TARGET_RUNTIMECLASS \"" +
                   defaults.runtime_class_name + "\"" + std::string(written_wins));
  if (defaults.extended_resource_from_environment && mutation.extended_resource &&
      *mutation.extended_resource != defaults.extended_resource)
    out.report(diagnostic_code::environment_mismatch, mutation.extended_resource_where,
               "spec.extendedResource \"" + *mutation.extended_resource +
                   "\" differs from POD_VM_EXTENDED_RESOURCE \"" + defaults.extended_resource + "\"" +
                   std::string(written_wins));
}

}  // namespace

void policy_collector::collect(const std::string& source, std::vector<named_document> documents,
                               diagnostic_reporter& out) {
  collected_.sources.push_back(source);
  for (auto& document : documents) {
    if (auto it = names_.find(document.name); it != names_.end()) {
      out.report(diagnostic_code::duplicate_name, document.where,
                 "duplicate name \"" + document.name + "\": already defined at " + it->second.file + ":" +
                     std::to_string(it->second.line));
      continue;
    }
    names_.emplace(document.name, document.where);

    if (auto* policy = std::get_if<policy_document>(&document.content)) {
      check_against_environment(policy->runtime_class_names, policy->runtime_class_names_where, defaults_, out);
      if (!policy->runtime_class_names) policy->runtime_class_names = {defaults_.runtime_class_name};
      collected_.policies.push_back({std::move(document.name), std::move(document.where), std::move(*policy)});
    } else if (auto* vm_policy = std::get_if<vm_policy_document>(&document.content)) {
      check_against_environment(vm_policy->runtime_class_names, vm_policy->runtime_class_names_where, defaults_, out);
      if (!vm_policy->runtime_class_names) vm_policy->runtime_class_names = {defaults_.runtime_class_name};
      collected_.vm_policies.push_back({std::move(document.name), std::move(document.where), std::move(*vm_policy)});
    } else if (auto* exception = std::get_if<exception_document>(&document.content)) {
      collected_.exceptions.push_back({std::move(document.name), std::move(document.where), std::move(*exception)});
    } else if (auto* mutation = std::get_if<mutation_document>(&document.content)) {
      check_against_environment(*mutation, defaults_, out);
      if (!mutation->runtime_class_name) mutation->runtime_class_name = defaults_.runtime_class_name;
      if (!mutation->extended_resource) mutation->extended_resource = defaults_.extended_resource;
      const named_mutation* same_class = nullptr;
      for (const auto& other : collected_.mutations)
        if (other.spec.runtime_class_name == mutation->runtime_class_name) same_class = &other;
      if (same_class) {
        out.report(diagnostic_code::duplicate_mutation,
                   mutation->runtime_class_name_where.line != 0 ? mutation->runtime_class_name_where : document.where,
                   "a PeerPodMutation for runtime class \"" + *mutation->runtime_class_name +
                       "\" is already defined by \"" + same_class->name + "\" at " + same_class->where.file + ":" +
                       std::to_string(same_class->where.line) + " (at most one per runtime class)");
        continue;
      }
      collected_.mutations.push_back({std::move(document.name), std::move(document.where), std::move(*mutation)});
    }
  }
}

collected_documents policy_collector::finish() && {
  if (collected_.mutations.empty()) {
    // No PeerPodMutation: the upstream webhook's behaviour, with the upstream preset.
    mutation_document implicit;
    implicit.runtime_class_name = defaults_.runtime_class_name;
    implicit.extended_resource = defaults_.extended_resource;
    collected_.mutations.push_back({implicit_mutation_name, {}, std::move(implicit)});
  }
  return std::move(collected_);
}

}  // namespace peergate
