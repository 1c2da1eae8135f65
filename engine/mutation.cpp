#include "engine/mutation.hpp"

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <cstddef>
#include <cstdint>
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

// Reads one resource list (requests or limits) of one container. Absent or null lists count as
// empty, as Go's decoder treats them.
class resource_reader {
 public:
  explicit resource_reader(std::string* reason) : reason_(reason) {}

  // Adds the cpu, memory and (optionally) GPU values of `list` to the totals. False on refusal.
  bool add(const json::object& resources, std::string_view list_name, const std::string& label, quantity* cpu,
           quantity* memory, quantity* gpu) {
    const json::object* list = object_field(resources, list_name);
    if (list == nullptr) return true;
    const std::string where = label + " resources." + std::string(list_name);
    // Limits on GPUs are validated like every other quantity but not summed: upstream reads GPU
    // requests only.
    quantity ignored;
    return read(*list, "cpu", where, cpu) && read(*list, "memory", where, memory) &&
           read(*list, gpu_resource, where, gpu != nullptr ? gpu : &ignored);
  }

 private:
  bool read(const json::object& list, std::string_view name, const std::string& where, quantity* total) {
    const json::value* value = list.if_contains(name);
    if (value == nullptr || value->is_null()) return true;
    const std::string field = where + "." + std::string(name);
    const auto text = quantity_text(*value);
    if (!text) {
      *reason_ =
          field + ": a quantity must be a string such as \"500m\" or a number, not " + std::string(kind_name(*value));
      return false;
    }
    std::string error;
    const auto parsed = quantity::parse(*text, &error);
    if (!parsed) {
      *reason_ = field + ": invalid quantity " + quoted(*text) + ": " + error;
      return false;
    }
    if (parsed->sign() < 0) {
      *reason_ = field + ": negative quantity " + quoted(*text) + " is not allowed";
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
    const std::string label = container_label(list_name, i, container);
    if (!reader.add(*resources, "requests", label, &totals->cpu_request, &totals->memory_request,
                    &totals->gpu_request) ||
        !reader.add(*resources, "limits", label, &totals->cpu_limit, &totals->memory_limit, nullptr)) {
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
                                        bool sizing_annotations) {
  patch_mutation result;
  auto refuse = [&result](std::string reason) {
    result.refused = true;
    result.reason = std::move(reason);
    return result;
  };

  json::object* pod_object = pod.if_object();
  if (pod_object == nullptr) return refuse("the pod is not a JSON object");
  // The JSON types are checked as read_subject checks them, with the same messages: the chain
  // refuses such a pod before it gets here, a direct caller gets the same answer.
  if (std::string problem = metadata_type_problem(*pod_object); !problem.empty()) return refuse(std::move(problem));
  const pod_spec_read spec_read = read_pod_spec(evaluated_kind::pod, *pod_object);
  if (!spec_read.problem.empty()) return refuse(spec_read.problem);
  if (spec_read.pod_spec == nullptr) return refuse("pod has no spec");
  const json::object* spec = spec_read.pod_spec;
  if (std::string problem = pod_spec_type_problem(*spec, pod_spec_path(evaluated_kind::pod)); !problem.empty())
    return refuse(std::move(problem));

  // Upstream indexes containers[0] unconditionally and panics on an empty list.
  const json::value* containers = spec->if_contains("containers");
  const bool no_containers =
      containers == nullptr || containers->is_null() || (containers->is_array() && containers->get_array().empty());
  if (no_containers) {
    return refuse("pod has no containers: a peer pod needs at least one container to carry " +
                  std::string(extended_resource));
  }

  pod_vm_size size;
  std::string reason;
  if (!compute_pod_vm_size(*spec, &size, &reason)) return refuse(std::move(reason));

  // Nothing was changed above; from here on every change is made and recorded in the patch.
  json::object& out = *pod_object;
  json::array& ops = result.patch;

  if (sizing_annotations) {
    const std::int64_t vcpus = size.vcpus;
    const std::int64_t memory = size.memory_mib;
    const std::int64_t gpus = size.gpus;

    json::object wanted;
    if (vcpus > 0) wanted[vcpus_annotation] = std::to_string(vcpus);
    if (memory > 0) wanted[memory_annotation] = std::to_string(memory);
    if (gpus > 0) wanted[gpus_annotation] = std::to_string(gpus);

    // metadata and annotations are created only when there is something to write, so a pod
    // without sizing gets no empty annotations map.
    if (!wanted.empty()) {
      json::value& metadata = out["metadata"];
      if (!metadata.is_object()) {
        ops.push_back(
            json::object{{"op", "add"}, {"path", "/metadata"}, {"value", json::object{{"annotations", wanted}}}});
        metadata = json::object{{"annotations", wanted}};
      } else if (json::value* annotations = metadata.get_object().if_contains("annotations");
                 annotations == nullptr || !annotations->is_object()) {
        ops.push_back(json::object{{"op", "add"}, {"path", "/metadata/annotations"}, {"value", wanted}});
        metadata.get_object()["annotations"] = wanted;
      } else {
        json::object& existing = annotations->get_object();
        for (const auto& [key, value] : wanted) {
          const json::value* current = existing.if_contains(key);
          if (current != nullptr && *current == value) continue;
          ops.push_back(json::object{{"op", current ? "replace" : "add"},
                                     {"path", "/metadata/annotations/" + json_patch::escape_token(key)},
                                     {"value", value}});
          existing[key] = value;
        }
      }
    }
  }

  const json::object one{{std::string(extended_resource), "1"}};
  const json::value counted = json::object{{"requests", one}, {"limits", one}};
  const json::value empty = json::object{};
  json::object& out_spec = out["spec"].get_object();
  // initContainers first: their resources are emptied whatever containers[0] gets.
  for (const char* list_name : {"initContainers", "containers"}) {
    json::value* list = out_spec.if_contains(list_name);
    if (list == nullptr || !list->is_array()) continue;
    json::array& items = list->get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const json::value& target = (i == 0 && std::string_view(list_name) == "containers") ? counted : empty;
      json::object& container = items[i].get_object();
      const std::string path = "/spec/" + std::string(list_name) + "/" + std::to_string(i) + "/resources";
      json::value* current = container.if_contains("resources");
      if (current == nullptr) {
        ops.push_back(json::object{{"op", "add"}, {"path", path}, {"value", target}});
      } else {
        json_patch::diff_at(*current, target, path, ops);
      }
      container["resources"] = target;
    }
  }
  return result;
}

}  // namespace peergate
