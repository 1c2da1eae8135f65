#include "engine/vm/vm_request.hpp"

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <charconv>
#include <cstddef>
#include <optional>
#include <system_error>

#include "engine/mutation.hpp"
#include "engine/pod_template.hpp"
#include "engine/quantity.hpp"

namespace peergate::vm {

namespace {

namespace json = boost::json;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

text_value read_text(const json::object& annotations, std::string_view key) {
  text_value out;
  const json::value* value = annotations.if_contains(key);
  if (value == nullptr) return out;
  out.present = true;
  if (const json::string* s = value->if_string()) {
    out.text = std::string_view(s->data(), s->size());
  } else {
    out.error = value_error::not_a_string;
  }
  return out;
}

count_value read_count(const json::object& annotations, std::string_view key, std::uint64_t cap) {
  const json::value* value = annotations.if_contains(key);
  if (value == nullptr) return {};
  const json::string* s = value->if_string();
  if (s == nullptr) {
    count_value out;
    out.present = true;
    out.error = value_error::not_a_string;
    return out;
  }
  return parse_count(std::string_view(s->data(), s->size()), cap);
}

// A size the mutation computed, in place of the template's annotation. Above the cap it is kept
// as too_large: the mutation would write it, and the pod would ask for it.
count_value computed(std::int64_t value, std::uint64_t cap) {
  count_value out;
  out.present = true;
  out.source = size_source::resources;
  out.value = static_cast<std::uint64_t>(value);
  if (out.value > cap) out.error = value_error::too_large;
  return out;
}

}  // namespace

std::string_view describe(value_error error) {
  switch (error) {
    case value_error::none: return "valid";
    case value_error::not_a_string: return "an annotation value must be a string";
    case value_error::empty: return "the value is empty (Kata reads that as an error, not as unset)";
    case value_error::has_sign: return "not an unsigned decimal integer (it has a sign)";
    case value_error::has_whitespace: return "not an unsigned decimal integer (it has white space)";
    case value_error::not_an_integer: return "not an unsigned decimal integer";
    case value_error::too_large: return "too large to be a real VM size";
    case value_error::bad_resources: return "the containers' resources cannot be summed";
  }
  return "invalid";
}

count_value parse_count(std::string_view text, std::uint64_t cap) {
  count_value out;
  out.present = true;
  out.text = text;
  if (text.empty()) {
    out.error = value_error::empty;
    return out;
  }
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      // Past the cap there is no need to keep counting: the answer is too_large unless a later
      // character makes it not a number at all, which takes precedence.
      if (value <= cap) value = value * 10 + static_cast<std::uint64_t>(c - '0');
      continue;
    }
    if (c == '+' || c == '-') {
      out.error = value_error::has_sign;
    } else if (is_space(c)) {
      out.error = value_error::has_whitespace;
    } else {
      out.error = value_error::not_an_integer;
    }
    return out;
  }
  if (value > cap) {
    out.error = value_error::too_large;
    return out;
  }
  out.value = value;
  return out;
}

vm_request read_vm_request(const boost::json::object* annotations) {
  vm_request out;
  if (annotations == nullptr || annotations->empty()) return out;
  out.machine_type = read_text(*annotations, machine_type_annotation);
  out.vcpus = read_count(*annotations, vcpus_annotation, max_sane_vcpus);
  out.memory_mib = read_count(*annotations, memory_annotation, max_sane_memory_mib);
  out.gpus = read_count(*annotations, gpus_annotation, max_sane_gpus);
  out.image = read_text(*annotations, image_annotation);
  out.initdata = read_text(*annotations, initdata_annotation);
  return out;
}

mutation_sizes compute_mutation_sizes(const boost::json::object& pod_spec) {
  mutation_sizes out;
  // The mutation's own sizing, after the same type checks the chain makes before it mutates.
  out.error = pod_spec_type_problem(pod_spec, "spec");
  if (!out.error.empty()) return out;
  pod_vm_size size;
  if (!compute_pod_vm_size(pod_spec, &size, &out.error)) return out;
  out.vcpus = size.vcpus;
  out.memory_mib = size.memory_mib;
  out.gpus = size.gpus;
  return out;
}

vm_request read_template_vm_request(const boost::json::object* template_annotations,
                                    const boost::json::object& pod_spec, bool mutation_writes_sizes) {
  vm_request out = read_vm_request(template_annotations);
  if (!mutation_writes_sizes) return out;
  // Sized as the pods the template creates, whose requests the apiserver defaults (templates
  // are not defaulted): a copy only when a container has a limit without its request.
  // A bad quantity is reported where it was written, so the spec as written is read first.
  mutation_sizes sizes = compute_mutation_sizes(pod_spec);
  if (sizes.error.empty() && needs_requests_from_limits(pod_spec)) {
    json::object defaulted(pod_spec);
    default_requests_from_limits(defaulted);
    sizes = compute_mutation_sizes(defaulted);
  }
  if (!sizes.error.empty()) {
    // The mutation will refuse these pods; the sizes they would ask for are unknown.
    for (count_value* field : {&out.vcpus, &out.memory_mib, &out.gpus}) {
      *field = count_value{};
      field->present = true;
      field->source = size_source::resources;
      field->error = value_error::bad_resources;
    }
    out.resources_error = std::move(sizes.error);
    return out;
  }
  if (sizes.vcpus > 0) out.vcpus = computed(sizes.vcpus, max_sane_vcpus);
  if (sizes.memory_mib > 0) out.memory_mib = computed(sizes.memory_mib, max_sane_memory_mib);
  if (sizes.gpus > 0) out.gpus = computed(sizes.gpus, max_sane_gpus);
  return out;
}

const boost::json::object* find_pod_annotations(evaluated_kind kind, const boost::json::value& object) {
  const json::object* current = object.if_object();
  auto step = [&current](std::string_view key) {
    if (current == nullptr) return;
    const json::value* next = current->if_contains(key);
    current = next != nullptr ? next->if_object() : nullptr;
  };
  switch (kind) {
    case evaluated_kind::pod: break;
    case evaluated_kind::cron_job:
      step("spec");
      step("jobTemplate");
      step("spec");
      step("template");
      break;
    default:
      step("spec");
      step("template");
      break;
  }
  step("metadata");
  step("annotations");
  return current;
}

}  // namespace peergate::vm
