#include "engine/vm/vm_messages.hpp"

#include <algorithm>
#include <vector>

#include "engine/json_text.hpp"
#include "engine/messages.hpp"

namespace peergate::vm {

namespace {

std::string clip(std::string_view text, std::size_t max_chars) { return one_line(text, max_chars); }

// The last `max_chars` characters, "…" first when cut: an image or instance type is told apart
// by its end (".../galleries/g/images/name/versions/1.0", "Standard_DC4as_v5").
std::string clip_keeping_end(std::string_view text, std::size_t max_chars) {
  std::string whole = one_line(text, std::string_view::npos);
  std::vector<std::size_t> starts;  // byte offset of each character
  for (std::size_t i = 0; i < whole.size(); i += std::max<std::size_t>(1, utf8_sequence_length(whole, i)))
    starts.push_back(i);
  if (starts.size() <= max_chars || max_chars == 0) return whole;
  return "\xE2\x80\xA6" + whole.substr(starts[starts.size() - (max_chars - 1)]);  // …
}

// A value that cannot be read, quoted with its control characters and edge spaces visible
// (" 4", "4\n"): they are often the very problem.
std::string quoted_as_written(std::string_view text) { return clip(json_quote(text), max_requested_chars + 2); }

// "1 vCPU", "8 vCPUs".
std::string count_of(const std::string& number, std::string_view unit) {
  return number + " " + std::string(unit) + (number == "1" ? "" : "s");
}

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
  if (v.kind == vm_violation_kind::invalid) {
    std::string out = "a VM with an invalid " + std::string(annotation_word(v.rule));
    if (!v.requested.empty()) out += " " + quoted_as_written(v.requested);
    return out;
  }
  const std::string requested = clip(v.requested, max_requested_chars);
  switch (v.rule) {
    case vm_rule::vcpus: return "a VM with " + count_of(requested, "vCPU");
    case vm_rule::memory: return "a VM with " + requested + " of memory";
    case vm_rule::gpus: return "a VM with " + count_of(requested, "GPU");
    case vm_rule::instance_type:
      return "a VM of instance type \"" + clip_keeping_end(v.requested, max_requested_chars) + "\"";
    case vm_rule::image: return "a VM with image \"" + clip_keeping_end(v.requested, max_requested_chars) + "\"";
    case vm_rule::initdata:
      // A whole sha256 digest (71 characters) is kept: it is what a policy author adds to the list.
      return v.requested.empty() ? std::string("a VM with its own initdata")
                                 : "a VM with initdata " + clip(v.requested, max_digest_chars);
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
