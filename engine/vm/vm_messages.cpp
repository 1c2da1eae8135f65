#include "engine/vm/vm_messages.hpp"

#include "engine/messages.hpp"

namespace peergate::vm {

namespace {

std::string clip(std::string_view text, std::size_t max_chars) { return one_line(text, max_chars); }

// The annotation a pod author wrote, for "an invalid default_vcpus".
std::string_view annotation_word(vm_rule rule) {
  switch (rule) {
    case vm_rule::instance_type: return "machine_type";
    case vm_rule::vcpus: return "default_vcpus";
    case vm_rule::memory: return "default_memory";
    case vm_rule::gpus: return "default_gpus";
    case vm_rule::image: return "image";
    case vm_rule::initdata: return "cc_init_data";
  }
  return "annotation";
}

// "a VM with 8 vCPUs": what was asked.
std::string asked(const vm_violation& v) {
  const std::string requested = clip(v.requested, max_requested_chars);
  if (v.kind == vm_violation_kind::invalid) {
    std::string out = "a VM with an invalid " + std::string(annotation_word(v.rule));
    if (!requested.empty()) out += " \"" + requested + "\"";
    return out;
  }
  switch (v.rule) {
    case vm_rule::vcpus: return "a VM with " + requested + " vCPUs";
    case vm_rule::memory: return "a VM with " + requested + " MiB of memory";
    case vm_rule::gpus: return "a VM with " + requested + " GPUs";
    case vm_rule::instance_type: return "a VM of instance type \"" + requested + "\"";
    case vm_rule::image: return "a VM with image \"" + requested + "\"";
    case vm_rule::initdata:
      return requested.empty() ? std::string("a VM with its own initdata") : "a VM with initdata " + requested;
  }
  return "a VM";
}

// "at most 4 allowed": the limit, after "; " (or the reason, after ": ").
std::string limit_phrase(const vm_violation& v) {
  switch (v.kind) {
    case vm_violation_kind::over_limit: return "; at most " + clip(v.limit, max_limit_chars) + " allowed";
    case vm_violation_kind::not_allowed: return "; allowed: " + clip(v.limit, max_limit_chars);
    case vm_violation_kind::forbidden:
      switch (v.rule) {
        case vm_rule::instance_type: return "; no instance type may be set";
        case vm_rule::image: return "; no image override allowed";
        case vm_rule::initdata: return "; no initdata override allowed";
        default: return "; not allowed";
      }
    case vm_violation_kind::invalid: return ": " + clip(v.reason, max_limit_chars);
  }
  return {};
}

}  // namespace

std::string default_vm_message(const vm_violation& violation, const vm_message_subject& subject) {
  return std::string(subject.kind) + " \"" + std::string(subject.name) + "\" asks for " + asked(violation) +
         " in namespace \"" + std::string(subject.namespace_name) + "\"" + limit_phrase(violation);
}

std::string expand_vm_message(std::string_view templ, std::string_view policy, const vm_message_subject& subject,
                              const vm_violation& violation) {
  const std::string requested = clip(violation.requested, max_requested_chars);
  const std::string limit = clip(violation.limit, max_limit_chars);
  return expand_message(templ, {.policy = policy,
                                .namespace_name = subject.namespace_name,
                                .runtime_class = subject.runtime_class,
                                .kind = subject.kind,
                                .name = subject.name,
                                .rule = to_string(violation.rule),
                                .requested = requested,
                                .limit = limit});
}

}  // namespace peergate::vm
