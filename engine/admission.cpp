#include "engine/admission.hpp"

namespace peergate {

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
  }
  return "allowed-namespaces";
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
