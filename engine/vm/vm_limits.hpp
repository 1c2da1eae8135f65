#pragma once
// The compiled limits of one PeerPodVMPolicy (spec.vm) and the check of a vm_request against
// them. Built once by the loader; check() runs on the request path after the mutation step.
//
// Every limit is optional: an absent one is not checked, and an annotation it reads is not
// even parsed. For the lists (instance types, images, initdata digests) an empty list means
// "setting it is forbidden".

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/vm/digest.hpp"
#include "engine/vm/vm_request.hpp"

namespace peergate::vm {

enum class vm_rule : std::uint8_t { instance_type, vcpus, memory, gpus, image, initdata };

inline constexpr std::array<vm_rule, 6> all_vm_rules = {vm_rule::instance_type, vm_rule::vcpus, vm_rule::memory,
                                                        vm_rule::gpus,          vm_rule::image, vm_rule::initdata};

// "instance-type", "vcpus", "memory", "gpus", "image", "initdata": the rule names of findings,
// metrics and test suites.
std::string_view to_string(vm_rule rule);

// A set of rules (six bits).
class vm_rule_set {
 public:
  constexpr vm_rule_set() = default;
  static constexpr vm_rule_set all() { return vm_rule_set(0x3f); }

  constexpr bool contains(vm_rule rule) const { return (bits_ & bit(rule)) != 0; }
  constexpr void insert(vm_rule rule) { bits_ = static_cast<std::uint8_t>(bits_ | bit(rule)); }
  constexpr bool empty() const { return bits_ == 0; }
  friend constexpr bool operator==(vm_rule_set, vm_rule_set) = default;
  friend constexpr vm_rule_set operator&(vm_rule_set a, vm_rule_set b) {
    return vm_rule_set(static_cast<std::uint8_t>(a.bits_ & b.bits_));
  }

 private:
  constexpr explicit vm_rule_set(std::uint8_t bits) : bits_(bits) {}
  static constexpr std::uint8_t bit(vm_rule rule) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(rule));
  }
  std::uint8_t bits_ = 0;
};

// An allowed list of names (instanceTypes, images). The loader compiles the entries (exact,
// glob, regex) into a name_matcher and passes its match as a callable, so this file does not
// depend on how name_matcher is built.
class allowed_names {
 public:
  using predicate = std::function<bool(std::string_view)>;

  // `[]`: no value may be set.
  static allowed_names none() { return allowed_names({}, {}); }
  // `display` is the entries as written, for messages: "Standard_DC2as_v5, Standard_DC*as_v5, /m6a\..+/".
  static allowed_names any_of(predicate matches, std::string display) {
    return allowed_names(std::move(matches), std::move(display));
  }

  bool forbids_all() const { return !matches_; }
  bool allows(std::string_view value) const { return matches_ && matches_(value); }
  const std::string& display() const { return display_; }

 private:
  allowed_names(predicate matches, std::string display) : matches_(std::move(matches)), display_(std::move(display)) {}
  predicate matches_;
  std::string display_;
};

// maxMemory: a Kubernetes quantity, compared in MiB rounded up as the mutation rounds a pod's
// memory (so a limit of 1.5Mi allows a pod whose summed memory is 1.5Mi, written as 2 MiB).
struct memory_limit {
  std::string text;             // as written: "16Gi"
  std::uint64_t mebibytes = 0;  // 16384

  // For the loader: nullopt with *error for an invalid or negative quantity.
  static std::optional<memory_limit> parse(std::string_view text, std::string* error);
};

struct vm_limits {
  std::optional<allowed_names> instance_types;
  std::optional<std::uint64_t> max_vcpus;
  std::optional<memory_limit> max_memory;
  std::optional<std::uint64_t> max_gpus;
  std::optional<allowed_names> images;
  std::optional<std::vector<allowed_digest>> initdata_digests;

  // The rules this policy checks (its limits that are set).
  vm_rule_set configured_rules() const;
};

enum class vm_violation_kind : std::uint8_t {
  over_limit,   // vcpus, memory, gpus: more than the maximum
  not_allowed,  // instance-type, image, initdata: a value not in the list
  forbidden,    // instance-type, image, initdata: the list is [] and a value is set
  invalid,      // the value cannot be read (vm_violation::reason says why)
};

struct vm_violation {
  vm_rule rule = vm_rule::vcpus;
  vm_violation_kind kind = vm_violation_kind::over_limit;
  // What was asked: "8" (vCPUs), "32768" (MiB), "2" (GPUs), the instance type, the image,
  // "sha256:<hex>" of the initdata document; for an invalid value, the value as written ("" for
  // initdata, whose base64 is not worth quoting, and for sizes that come from resources).
  std::string requested;
  // The limit: "4", "16Gi", "0", the allowed entries as written; "" when forbidden.
  std::string limit;
  // For invalid: why ("not an unsigned decimal integer (it has a sign)", "truncated gzip stream").
  std::string reason;

  friend bool operator==(const vm_violation&, const vm_violation&) = default;
};

// The violations of `request` against `limits`, in rule order, for the rules in `rules` (all by
// default; an UPDATE passes rules_to_check_on_update). A bad value of a checked rule is an
// invalid violation, never a pass. Allocates nothing when nothing is violated and the request
// has no initdata to decode.
std::vector<vm_violation> check(const vm_request& request, const vm_limits& limits, const digest_provider& digests,
                                vm_rule_set rules = vm_rule_set::all());

// For an UPDATE that keeps the runtime class: the rules whose input the update changes in a
// way that can matter. A size counts when it is raised, newly set, or becomes invalid (a lower
// size is never blocked, so scaling down or lowering a template's resources always passes); an
// instance type, image or initdata counts when it changes at all. An update that changes none
// of these yields an empty set: it is never blocked, whatever the limits are now.
vm_rule_set rules_to_check_on_update(const vm_request& old_request, const vm_request& new_request);

}  // namespace peergate::vm
