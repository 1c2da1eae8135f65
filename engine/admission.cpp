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

const char* to_string(finding_action a) {
  switch (a) {
    case finding_action::none: return "none";
    case finding_action::deny: return "deny";
    case finding_action::warn: return "warn";
    case finding_action::audit: return "audit";
  }
  return "none";
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
