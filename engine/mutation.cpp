#include "engine/mutation.hpp"

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string_view>

#include "engine/json_fields.hpp"
#include "engine/json_patch.hpp"
#include "engine/pod_template.hpp"
#include "engine/quantity.hpp"

namespace peergate {

namespace {

namespace json = boost::json;

// Sums over containers plus init containers, as utils.GetResource{Request,Limit}Quantity do.
struct resource_totals {
  quantity cpu_request;
  quantity cpu_limit;
  quantity memory_request;
  quantity memory_limit;
  quantity gpu_request;
};

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::object: return "an object";
    case json::kind::array: return "an array";
    case json::kind::string: return "a string";
    default: return "a number";
  }
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out += '"';
  return out;
}

// "containers[1] (name \"sidecar\")": how a pod author finds the container in their manifest.
std::string container_label(std::string_view list, std::size_t index, const json::object& container) {
  std::string label = std::string(list) + "[" + std::to_string(index) + "]";
  if (const json::value* name = container.if_contains("name"); name != nullptr && name->is_string()) {
    label += " (name " + quoted(name->get_string()) + ")";
  }
  return label;
}

// Where a quantity sits, for a refusal: "containers[1] (name \"sidecar\") resources.limits.cpu".
// Made only when a refusal needs it: this runs for every peer pod.
struct quantity_place {
  std::string_view list;  // "containers" or "initContainers"
  std::size_t index;
  const json::object& container;
  std::string_view part;  // "requests" or "limits"
  std::string_view resource;

  std::string text() const {
    return container_label(list, index, container) + " resources." + std::string(part) + "." + std::string(resource);
  }
};

// Reads one resource list (requests or limits) of one container. Absent or null lists count as
// empty, as Go's decoder treats them.
class resource_reader {
 public:
  explicit resource_reader(std::string* reason) : reason_(reason) {}

  // Adds the cpu, memory and (optionally) GPU values of `list` to the totals. False on refusal.
  bool add(const json::object& resources, std::string_view list, std::size_t index, const json::object& container,
           std::string_view part, quantity* cpu, quantity* memory, quantity* gpu) {
    const json::object* quantities = object_field(resources, part);
    if (quantities == nullptr) return true;
    // Limits on GPUs are validated like every other quantity but not summed: upstream reads GPU
    // requests only.
    quantity ignored;
    return read(*quantities, {list, index, container, part, "cpu"}, cpu) &&
           read(*quantities, {list, index, container, part, "memory"}, memory) &&
           read(*quantities, {list, index, container, part, gpu_resource}, gpu != nullptr ? gpu : &ignored);
  }

 private:
  bool read(const json::object& quantities, const quantity_place& place, quantity* total) {
    const json::value* value = quantities.if_contains(place.resource);
    if (value == nullptr || value->is_null()) return true;
    const auto text = quantity_text(*value);
    if (!text) {
      *reason_ = place.text() + ": a quantity must be a string such as \"500m\" or a number, not " +
                 std::string(kind_name(*value));
      return false;
    }
    std::string error;
    const auto parsed = quantity::parse(*text, &error);
    if (!parsed) {
      *reason_ = place.text() + ": invalid quantity " + quoted(*text) + ": " + error;
      return false;
    }
    if (parsed->sign() < 0) {
      *reason_ = place.text() + ": negative quantity " + quoted(*text) + " is not allowed";
      return false;
    }
    *total += *parsed;
    return true;
  }

  std::string* reason_;
};

// Adds the resources of one container list to `totals`; an absent list adds nothing. The JSON
// types were checked before (pod_spec_type_problem): only quantities can be refused here.
bool sum_containers(const json::object& spec, std::string_view list_name, resource_totals* totals,
                    std::string* reason) {
  const json::value* list = spec.if_contains(list_name);
  if (list == nullptr || !list->is_array()) return true;
  resource_reader reader(reason);
  const json::array& containers = list->get_array();
  for (std::size_t i = 0; i < containers.size(); ++i) {
    const json::object& container = containers[i].get_object();
    const json::object* resources = object_field(container, "resources");
    if (resources == nullptr) continue;
    if (!reader.add(*resources, list_name, i, container, "requests", &totals->cpu_request, &totals->memory_request,
                    &totals->gpu_request) ||
        !reader.add(*resources, list_name, i, container, "limits", &totals->cpu_limit, &totals->memory_limit,
                    nullptr)) {
      return false;
    }
  }
  return true;
}

// The upstream choice between limit and request: the limit when a request exists and the limit
// is at least as large, otherwise the request if positive. 0 means "no annotation".
std::int64_t pick(const quantity& request, const quantity& limit, std::int64_t (quantity::*round)() const) {
  if (!request.is_zero() && limit >= request) return (limit.*round)();
  if (request.sign() > 0) return (request.*round)();
  return 0;
}

patch_mutation refused(std::string reason) { return {true, std::move(reason)}; }

}  // namespace

bool compute_pod_vm_size(const json::object& spec, pod_vm_size* size, std::string* reason) {
  resource_totals totals;
  if (!sum_containers(spec, "containers", &totals, reason) || !sum_containers(spec, "initContainers", &totals, reason))
    return false;
  size->vcpus = pick(totals.cpu_request, totals.cpu_limit, &quantity::ceil_units);
  size->memory_mib = pick(totals.memory_request, totals.memory_limit, &quantity::ceil_mebibytes);
  // Upstream writes gpuRequest.String(); for the whole numbers Kubernetes allows for extended
  // resources that is the same decimal string.
  size->gpus = totals.gpu_request.sign() > 0 ? totals.gpu_request.ceil_units() : 0;
  return true;
}

patch_mutation mutate_peer_pod_in_place(boost::json::value& pod, std::string_view extended_resource,
                                        bool sizing_annotations, json_patch::operation_sink& ops) {
  json::object* pod_object = pod.if_object();
  if (pod_object == nullptr) return refused("the pod is not a JSON object");
  // The JSON types are checked as read_subject checks them, with the same messages: the chain
  // refuses such a pod before it gets here, a direct caller gets the same answer.
  if (std::string problem = metadata_type_problem(*pod_object); !problem.empty()) return refused(std::move(problem));
  const pod_spec_read spec_read = read_pod_spec(evaluated_kind::pod, *pod_object);
  if (!spec_read.problem.empty()) return refused(spec_read.problem);
  if (spec_read.pod_spec == nullptr) return refused("pod has no spec");
  if (std::string problem = pod_spec_type_problem(*spec_read.pod_spec, pod_spec_path(evaluated_kind::pod));
      !problem.empty())
    return refused(std::move(problem));
  return mutate_checked_peer_pod(*pod_object, extended_resource, sizing_annotations, ops);
}

patch_mutation mutate_checked_peer_pod(boost::json::object& pod, std::string_view extended_resource,
                                       bool sizing_annotations, json_patch::operation_sink& ops) {
  const json::value* spec_value = pod.if_contains("spec");
  if (spec_value == nullptr || !spec_value->is_object()) return refused("pod has no spec");
  const json::object* spec = &spec_value->get_object();

  // Upstream indexes containers[0] unconditionally and panics on an empty list.
  const json::value* containers = spec->if_contains("containers");
  const bool no_containers =
      containers == nullptr || containers->is_null() || (containers->is_array() && containers->get_array().empty());
  if (no_containers) {
    return refused("pod has no containers: a peer pod needs at least one container to carry " +
                   std::string(extended_resource));
  }

  pod_vm_size size;
  std::string reason;
  if (!compute_pod_vm_size(*spec, &size, &reason)) return refused(std::move(reason));

  // Nothing was changed above; from here on every change is made and recorded in the patch.
  // Everything is built in the pod's own storage (the review's arena in the webhook): values
  // copied across storages would be allocated twice.
  const json::storage_ptr& storage = pod.storage();
  json::object& out = pod;
  // Every pointer of the patch is built in this one buffer, on the stack: the longest the
  // mutation writes (an annotation's, "/metadata/annotations/io.katacontainers.config.hypervisor.
  // default_memory", or a container's resource with a long name) fits; only a longer one would
  // reach the heap.
  std::array<std::byte, 512> path_space;
  std::pmr::monotonic_buffer_resource path_arena(path_space.data(), path_space.size());
  std::pmr::string path(&path_arena);
  path.reserve(128);

  if (sizing_annotations) {
    const std::int64_t vcpus = size.vcpus;
    const std::int64_t memory = size.memory_mib;
    const std::int64_t gpus = size.gpus;

    json::object wanted(storage);
    if (vcpus > 0) wanted[vcpus_annotation] = std::to_string(vcpus);
    if (memory > 0) wanted[memory_annotation] = std::to_string(memory);
    if (gpus > 0) wanted[gpus_annotation] = std::to_string(gpus);

    // metadata and annotations are created only when there is something to write, so a pod
    // without sizing gets no empty annotations map.
    if (!wanted.empty()) {
      json::value& metadata = out["metadata"];
      if (!metadata.is_object()) {
        json::object added(storage);
        added.emplace("annotations", wanted);
        metadata.emplace_object() = std::move(added);
        ops.append("add", "/metadata", &metadata);
      } else if (json::value* annotations = metadata.get_object().if_contains("annotations");
                 annotations == nullptr || !annotations->is_object()) {
        json::value& written = metadata.get_object()["annotations"];
        written = wanted;
        ops.append("add", "/metadata/annotations", &written);
      } else {
        json::object& existing = annotations->get_object();
        for (const auto& [key, value] : wanted) {
          const json::value* current = existing.if_contains(key);
          if (current != nullptr && *current == value) continue;
          path = "/metadata/annotations";
          json_patch::append_token(path, key);
          ops.append(current ? "replace" : "add", path, &value);
          existing[key] = value;
        }
      }
    }
  }

  json::object one(storage);
  one.emplace(extended_resource, "1");
  json::object counted_object(storage);
  counted_object.reserve(2);
  counted_object.emplace("requests", one);
  counted_object.emplace("limits", std::move(one));
  const json::value counted(std::move(counted_object));
  const json::value empty = json::object(storage);
  json::object& out_spec = out["spec"].get_object();
  // initContainers first: their resources are emptied whatever containers[0] gets.
  for (const char* list_name : {"initContainers", "containers"}) {
    json::value* list = out_spec.if_contains(list_name);
    if (list == nullptr || !list->is_array()) continue;
    json::array& items = list->get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const json::value& target = (i == 0 && std::string_view(list_name) == "containers") ? counted : empty;
      json::object& container = items[i].get_object();
      path = "/spec/";
      path += list_name;
      json_patch::append_index(path, i);
      path += "/resources";
      json::value* current = container.if_contains("resources");
      if (current == nullptr) {
        ops.append("add", path, &target);
      } else {
        json_patch::diff_at(*current, target, path, ops);
      }
      container["resources"] = target;
    }
  }
  return {};
}

}  // namespace peergate
