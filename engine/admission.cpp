#include "engine/admission.hpp"

namespace peergate {

group_version_kind kind_of_object(std::string_view api_version, std::string_view kind) {
  const std::size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) return {"", std::string(api_version), std::string(kind)};
  return {std::string(api_version.substr(0, slash)), std::string(api_version.substr(slash + 1)), std::string(kind)};
}

const char* to_string(operation op) {
  switch (op) {
    case operation::create: return "CREATE";
    case operation::update: return "UPDATE";
    case operation::remove: return "DELETE";
    case operation::connect: return "CONNECT";
  }
  return "UNKNOWN";
}

const char* to_string(policy_action a) {
  switch (a) {
    case policy_action::deny: return "deny";
    case policy_action::warn: return "warn";
    case policy_action::audit: return "audit";
  }
  return "deny";
}

const char* to_string(rule_kind r) {
  switch (r) {
    case rule_kind::allowed_namespaces: return "allowed-namespaces";
    case rule_kind::accounting: return "accounting";
    case rule_kind::mutation: return "mutation";
    case rule_kind::vm_instance_type: return "instance-type";
    case rule_kind::vm_vcpus: return "vcpus";
    case rule_kind::vm_memory: return "memory";
    case rule_kind::vm_gpus: return "gpus";
    case rule_kind::vm_image: return "image";
    case rule_kind::vm_initdata: return "initdata";
  }
  return "allowed-namespaces";
}

std::optional<rule_kind> rule_kind_named(std::string_view word) {
  for (rule_kind r : all_rule_kinds)
    if (word == to_string(r)) return r;
  return std::nullopt;
}

std::optional<finding_result> finding_result_named(std::string_view word) {
  for (finding_result r : all_finding_results)
    if (word == to_string(r)) return r;
  return std::nullopt;
}

const char* to_string(finding_result r) {
  switch (r) {
    case finding_result::pass: return "pass";
    case finding_result::violation: return "violation";
    case finding_result::skip: return "skip";
    case finding_result::error: return "error";
  }
  return "error";
}

}  // namespace peergate
