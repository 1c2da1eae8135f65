#include "engine/vm/vm_limits.hpp"

#include "engine/quantity.hpp"
#include "engine/vm/initdata.hpp"

namespace peergate::vm {

namespace {

vm_violation invalid(vm_rule rule, std::string requested, std::string reason) {
  return {rule, vm_violation_kind::invalid, std::move(requested), {}, std::move(reason)};
}

// Why a count cannot be used; a template's resources carry their own reason.
std::string count_reason(const count_value& value, const vm_request& request) {
  if (value.error == value_error::bad_resources && !request.resources_error.empty()) return request.resources_error;
  return std::string(describe(value.error));
}

// The value as asked: the annotation as written, or the computed number.
std::string count_text(const count_value& value) {
  if (value.source == size_source::annotation) return std::string(value.text);
  if (value.error == value_error::bad_resources) return {};
  return std::to_string(value.value);
}

// A size as asked: vCPUs and GPUs as numbers, memory (MiB) as a quantity in the unit a limit is
// written in ("32Gi", "1536Mi"), so a message compares like with like.
std::string size_text(vm_rule rule, std::uint64_t value) {
  if (rule != vm_rule::memory) return std::to_string(value);
  if (value % 1024 == 0) return std::to_string(value / 1024) + "Gi";
  return std::to_string(value) + "Mi";
}

void check_count(vm_rule rule, const count_value& value, std::uint64_t maximum, std::string limit_text,
                 const vm_request& request, std::vector<vm_violation>& out) {
  if (!value.present) return;
  if (value.error != value_error::none) {
    out.push_back(invalid(rule, count_text(value), count_reason(value, request)));
    return;
  }
  if (value.value > maximum) {
    out.push_back({rule, vm_violation_kind::over_limit, size_text(rule, value.value), std::move(limit_text), {}});
  }
}

void check_name(vm_rule rule, const text_value& value, const allowed_names& allowed, std::vector<vm_violation>& out) {
  if (!value.present) return;
  if (value.error != value_error::none) {
    out.push_back(invalid(rule, {}, std::string(describe(value.error))));
  } else if (allowed.forbids_all()) {
    out.push_back({rule, vm_violation_kind::forbidden, std::string(value.text), {}, {}});
  } else if (!allowed.allows(value.text)) {
    out.push_back({rule, vm_violation_kind::not_allowed, std::string(value.text), allowed.display(), {}});
  }
}

// The allowed digests for a message: each shortened to its first 12 hex digits, as `git log`
// shortens commits, so a list of several fits a 256-character warning and each stays
// recognisable; the full digests are in the policy.
std::string digests_display(const std::vector<allowed_digest>& digests) {
  constexpr std::size_t shown_hex = 12;
  std::string out;
  for (const allowed_digest& d : digests) {
    if (!out.empty()) out += ", ";
    out += std::string(to_string(d.algorithm)) + ":" + d.hex.substr(0, shown_hex) + "\xE2\x80\xA6";  // …
  }
  return out;
}

void check_initdata(const text_value& value, const std::vector<allowed_digest>& allowed, const digest_provider& digests,
                    std::vector<vm_violation>& out) {
  if (!value.present) return;
  if (value.error != value_error::none) {
    out.push_back(invalid(vm_rule::initdata, {}, std::string(describe(value.error))));
    return;
  }
  // Forbidden needs no decoding: whatever the document is, it may not be set.
  if (allowed.empty()) {
    out.push_back({vm_rule::initdata, vm_violation_kind::forbidden, {}, {}, {}});
    return;
  }
  const initdata_document doc = decode_initdata(value.text);
  if (doc.error != initdata_error::none) {
    std::string reason(describe(doc.error));
    if (!doc.detail.empty()) reason += " (" + doc.detail + ")";
    out.push_back(invalid(vm_rule::initdata, {}, std::move(reason)));
    return;
  }
  // One digest per algorithm the list uses, computed when first needed.
  std::optional<std::string> computed[3];
  bool tried[3] = {false, false, false};
  std::string first_requested;
  for (const allowed_digest& candidate : allowed) {
    const auto index = static_cast<std::size_t>(candidate.algorithm);
    if (!tried[index]) {
      tried[index] = true;
      computed[index] = digests.hex_digest(candidate.algorithm, doc.document);
      if (!computed[index]) {
        out.push_back(invalid(vm_rule::initdata, {},
                              "the " + std::string(to_string(candidate.algorithm)) + " digest could not be computed"));
        return;
      }
    }
    if (first_requested.empty()) first_requested = std::string(to_string(candidate.algorithm)) + ":" + *computed[index];
    if (*computed[index] == candidate.hex) return;
  }
  out.push_back(
      {vm_rule::initdata, vm_violation_kind::not_allowed, std::move(first_requested), digests_display(allowed), {}});
}

// A size that grew, appeared, or became unreadable.
bool raised(const count_value& before, const count_value& after) {
  if (!after.present) return false;
  if (after.error != value_error::none)
    return !(before.present && before.error == after.error && before.text == after.text);
  if (!before.present || before.error != value_error::none) return true;
  return after.value > before.value;
}

}  // namespace

std::string_view to_string(vm_rule rule) {
  switch (rule) {
    case vm_rule::instance_type: return "instance-type";
    case vm_rule::vcpus: return "vcpus";
    case vm_rule::memory: return "memory";
    case vm_rule::gpus: return "gpus";
    case vm_rule::image: return "image";
    case vm_rule::initdata: return "initdata";
  }
  return "vcpus";
}

std::optional<memory_limit> memory_limit::parse(std::string_view text, std::string* error) {
  std::string reason;
  const std::optional<quantity> q = quantity::parse(text, &reason);
  if (!q) {
    if (error != nullptr) *error = "invalid quantity \"" + std::string(text) + "\": " + reason;
    return std::nullopt;
  }
  if (q->sign() < 0) {
    if (error != nullptr) *error = "a memory limit cannot be negative: \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  return memory_limit{std::string(text), static_cast<std::uint64_t>(q->ceil_mebibytes())};
}

vm_rule_set vm_limits::configured_rules() const {
  vm_rule_set out;
  if (instance_types) out.insert(vm_rule::instance_type);
  if (max_vcpus) out.insert(vm_rule::vcpus);
  if (max_memory) out.insert(vm_rule::memory);
  if (max_gpus) out.insert(vm_rule::gpus);
  if (images) out.insert(vm_rule::image);
  if (initdata_digests) out.insert(vm_rule::initdata);
  return out;
}

std::vector<vm_violation> check(const vm_request& request, const vm_limits& limits, const digest_provider& digests,
                                vm_rule_set rules) {
  std::vector<vm_violation> out;
  if (request.empty()) return out;
  if (limits.instance_types && rules.contains(vm_rule::instance_type)) {
    check_name(vm_rule::instance_type, request.machine_type, *limits.instance_types, out);
  }
  if (limits.max_vcpus && rules.contains(vm_rule::vcpus)) {
    check_count(vm_rule::vcpus, request.vcpus, *limits.max_vcpus, std::to_string(*limits.max_vcpus), request, out);
  }
  if (limits.max_memory && rules.contains(vm_rule::memory)) {
    check_count(vm_rule::memory, request.memory_mib, limits.max_memory->mebibytes, limits.max_memory->text, request,
                out);
  }
  if (limits.max_gpus && rules.contains(vm_rule::gpus)) {
    check_count(vm_rule::gpus, request.gpus, *limits.max_gpus, std::to_string(*limits.max_gpus), request, out);
  }
  if (limits.images && rules.contains(vm_rule::image)) {
    check_name(vm_rule::image, request.image, *limits.images, out);
  }
  if (limits.initdata_digests && rules.contains(vm_rule::initdata)) {
    check_initdata(request.initdata, *limits.initdata_digests, digests, out);
  }
  return out;
}

vm_rule_set rules_to_check_on_update(const vm_request& old_request, const vm_request& new_request) {
  vm_rule_set out;
  if (new_request.machine_type.present && !(new_request.machine_type == old_request.machine_type)) {
    out.insert(vm_rule::instance_type);
  }
  if (raised(old_request.vcpus, new_request.vcpus)) out.insert(vm_rule::vcpus);
  if (raised(old_request.memory_mib, new_request.memory_mib)) out.insert(vm_rule::memory);
  if (raised(old_request.gpus, new_request.gpus)) out.insert(vm_rule::gpus);
  if (new_request.image.present && !(new_request.image == old_request.image)) out.insert(vm_rule::image);
  if (new_request.initdata.present && !(new_request.initdata == old_request.initdata)) out.insert(vm_rule::initdata);
  return out;
}

}  // namespace peergate::vm
