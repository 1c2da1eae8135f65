#pragma once
// What cloud VM a peer pod asks for: the Kata hypervisor annotations the cloud-api-adaptor reads
// (REFERENCE.md section 7), read from a pod after the mutation step, or from a workload
// template together with the sizes the mutation will write into the pods it creates.
//
// Reading allocates nothing and never throws: every text is a view into the object that was
// read, so a vm_request must not outlive that object. Only a template whose resources cannot be
// summed allocates, for the reason.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/pod_template.hpp"

namespace peergate::vm {

inline constexpr std::string_view annotation_prefix = "io.katacontainers.config.hypervisor.";
inline constexpr std::string_view machine_type_annotation = "io.katacontainers.config.hypervisor.machine_type";
inline constexpr std::string_view vcpus_annotation = "io.katacontainers.config.hypervisor.default_vcpus";
inline constexpr std::string_view memory_annotation = "io.katacontainers.config.hypervisor.default_memory";
inline constexpr std::string_view gpus_annotation = "io.katacontainers.config.hypervisor.default_gpus";
inline constexpr std::string_view image_annotation = "io.katacontainers.config.hypervisor.image";
inline constexpr std::string_view initdata_annotation = "io.katacontainers.config.hypervisor.cc_init_data";

// Sizes above these are refused as typos rather than compared: the largest cloud VMs today have
// under 1000 vCPUs, 32 TiB of memory and 16 GPUs. Kata itself would accept up to 2^32-1.
inline constexpr std::uint64_t max_sane_vcpus = 4096;
inline constexpr std::uint64_t max_sane_memory_mib = std::uint64_t{64} * 1024 * 1024;  // 64 TiB
inline constexpr std::uint64_t max_sane_gpus = 256;

// Why an annotation's value cannot be used. The count annotations follow Kata's reading
// (Go's strconv.ParseUint(value, 10, 32)): ASCII digits only, leading zeros allowed, no sign,
// no space, no underscore, no decimal point, no exponent.
enum class value_error : std::uint8_t {
  none,
  not_a_string,    // a JSON value other than a string (Kubernetes annotations are strings)
  empty,           // "" (Kata reads it as a parse error, not as "unset")
  has_sign,        // "+4", "-1": ParseUint takes no sign
  has_whitespace,  // " 4", "4\n"
  not_an_integer,  // "two", "1.5", "4Gi", "1e3", "0x10", "4_000"
  too_large,       // above the sane cap for the field (max_sane_*)
  bad_resources,   // template: the containers' resources cannot be summed (vm_request::resources_error)
};

// "not an unsigned decimal integer (it has a sign)": what is wrong, for messages.
std::string_view describe(value_error error);

enum class size_source : std::uint8_t {
  annotation,  // the object's own annotation (for a pod after mutation: also what the mutation wrote)
  resources,   // computed from a template's containers, as the mutation will write it
};

// default_vcpus, default_memory (MiB) or default_gpus.
struct count_value {
  bool present = false;
  value_error error = value_error::none;  // meaningful when present
  std::uint64_t value = 0;                // meaningful when present and error == none
  std::string_view text;                  // the annotation as written; empty when computed
  size_source source = size_source::annotation;

  bool valid() const { return present && error == value_error::none; }
  friend bool operator==(const count_value&, const count_value&) = default;
};

// machine_type, image or cc_init_data.
struct text_value {
  bool present = false;
  value_error error = value_error::none;  // only none or not_a_string
  std::string_view text;

  bool valid() const { return present && error == value_error::none; }
  friend bool operator==(const text_value&, const text_value&) = default;
};

struct vm_request {
  text_value machine_type;
  count_value vcpus;
  count_value memory_mib;
  count_value gpus;
  text_value image;
  text_value initdata;  // the base64 text; decode_initdata (engine/vm/initdata.hpp) reads it
  // Why a template's resources could not be summed (error bad_resources on vcpus, memory and
  // gpus); empty otherwise.
  std::string resources_error;

  // No VM annotation at all and nothing computed: nothing for a VM policy to check.
  bool empty() const {
    return !machine_type.present && !vcpus.present && !memory_mib.present && !gpus.present && !image.present &&
           !initdata.present;
  }
  friend bool operator==(const vm_request&, const vm_request&) = default;
};

// Parses a count annotation the way Kata does (see value_error), refusing values above `cap`.
count_value parse_count(std::string_view text, std::uint64_t cap);

// The request carried by an object's annotations (`metadata.annotations` of a pod, or of a
// template). `annotations` may be null (no annotations). For a pod this is read after the
// mutation step, so it is the VM the pod will get.
vm_request read_vm_request(const boost::json::object* annotations);

// The sizes the peer-pods mutation computes from a pod spec (REFERENCE.md section 2): summed
// container and init-container requests and limits, the limit when it is at least the request,
// rounded up to whole vCPUs and MiB; GPUs from nvidia.com/gpu requests. 0 means "no annotation".
struct mutation_sizes {
  std::int64_t vcpus = 0;
  std::int64_t memory_mib = 0;
  std::int64_t gpus = 0;
  std::string error;  // set when a quantity or a container list is malformed (the mutation refuses the pod)
};
mutation_sizes compute_mutation_sizes(const boost::json::object& pod_spec);

// The request of the pods a workload template will create: the template's annotations, where
// the mutation overwrites each size it computes above 0 (as it does for every pod it admits)
// when `mutation_writes_sizes` (a PeerPodMutation covers the runtime class and namespace, with
// sizing annotations on). The sizes are computed as for the pods the template creates, whose
// requests the apiserver defaults to their limits (templates are not defaulted).
vm_request read_template_vm_request(const boost::json::object* template_annotations,
                                    const boost::json::object& pod_spec, bool mutation_writes_sizes);

// metadata.annotations of the pod (kind pod) or of the pod template (the other kinds), or null.
const boost::json::object* find_pod_annotations(evaluated_kind kind, const boost::json::value& object);

}  // namespace peergate::vm
