#include "engine/policy/collector.hpp"

#include <cstdlib>

namespace peergate {

mutation_defaults mutation_defaults::from_environment() {
  mutation_defaults d;
  // Same variables, same meaning as the upstream webhook: an empty value means "unset".
  if (const char* v = std::getenv("TARGET_RUNTIMECLASS"); v && *v) d.runtime_class_name = v;
  if (const char* v = std::getenv("POD_VM_EXTENDED_RESOURCE"); v && *v) d.extended_resource = v;
  return d;
}

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
      if (!policy->runtime_class_names) policy->runtime_class_names = {defaults_.runtime_class_name};
      collected_.policies.push_back({std::move(document.name), std::move(document.where), std::move(*policy)});
    } else if (auto* mutation = std::get_if<mutation_document>(&document.content)) {
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
