#include "engine/pod_template.hpp"

#include <boost/json/array.hpp>
#include <cstddef>

#include "engine/json_fields.hpp"

namespace peergate {

namespace {

namespace json = boost::json;

// parent[key] when it is set: neither absent nor null.
const json::value* set_member(const json::object& parent, std::string_view key) {
  const json::value* v = parent.if_contains(key);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

std::string wrong_type(std::string_view path, std::string_view expected, const json::value& found) {
  std::string out(path);
  out += " must be ";
  out += expected;
  out += ", got ";
  out += json_type_name(found);
  return out;
}

}  // namespace

std::string_view json_type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "null";
}

std::optional<evaluated_kind> evaluated_kind_of(const group_version_kind& kind) {
  const std::string& g = kind.group;
  const std::string& k = kind.kind;
  if (g.empty() && k == "Pod") return evaluated_kind::pod;
  // "extensions" served Deployments, ReplicaSets and DaemonSets before apps/v1.
  if (g == "apps" || g == "extensions") {
    if (k == "Deployment") return evaluated_kind::deployment;
    if (k == "ReplicaSet") return evaluated_kind::replica_set;
    if (k == "DaemonSet") return evaluated_kind::daemon_set;
    if (k == "StatefulSet" && g == "apps") return evaluated_kind::stateful_set;
  }
  if (g == "batch") {
    if (k == "Job") return evaluated_kind::job;
    if (k == "CronJob") return evaluated_kind::cron_job;
  }
  return std::nullopt;
}

std::string_view pod_spec_path(evaluated_kind kind) {
  switch (kind) {
    case evaluated_kind::pod: return "spec";
    case evaluated_kind::cron_job: return "spec.jobTemplate.spec.template.spec";
    default: return "spec.template.spec";
  }
}

pod_spec_read read_pod_spec(evaluated_kind kind, const json::object& object, std::string_view path_prefix) {
  pod_spec_read out;
  // The path's own components are the members to walk through.
  const std::string_view path = pod_spec_path(kind);
  const json::object* at = &object;
  for (std::size_t start = 0; start < path.size();) {
    std::size_t end = path.find('.', start);
    if (end == std::string_view::npos) end = path.size();
    const json::value* next = set_member(*at, path.substr(start, end - start));
    if (!next) return out;  // no pod spec
    if (!next->is_object()) {
      out.problem = wrong_type(std::string(path_prefix) + std::string(path.substr(0, end)), "an object", *next);
      return out;
    }
    at = &next->get_object();
    start = end + 1;
  }
  out.pod_spec = at;
  return out;
}

std::string pod_spec_type_problem(const json::object& pod_spec, std::string_view path) {
  for (std::string_view list_name : {"containers", "initContainers"}) {
    const json::value* list = set_member(pod_spec, list_name);
    if (!list) continue;
    // Paths are made only for a message: this runs on every request.
    const auto list_path = [&] { return std::string(path) + "." + std::string(list_name); };
    if (!list->is_array()) return wrong_type(list_path(), "an array", *list);
    const json::array& items = list->get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      // A null item is not an omitted field: the container itself has no shape.
      const json::object* container = items[i].if_object();
      const auto item_path = [&] { return list_path() + "[" + std::to_string(i) + "]"; };
      if (!container) return wrong_type(item_path(), "an object", items[i]);
      const json::value* resources = set_member(*container, "resources");
      if (!resources) continue;
      if (!resources->is_object()) return wrong_type(item_path() + ".resources", "an object", *resources);
      for (std::string_view part : {"requests", "limits"}) {
        const json::value* quantities = set_member(resources->get_object(), part);
        if (quantities && !quantities->is_object())
          return wrong_type(item_path() + ".resources." + std::string(part), "an object", *quantities);
      }
    }
  }
  return {};
}

std::string metadata_type_problem(const json::object& object) {
  const json::value* metadata = set_member(object, "metadata");
  if (!metadata) return {};
  if (!metadata->is_object()) return wrong_type("metadata", "an object", *metadata);
  const json::object& fields = metadata->get_object();
  if (const json::value* annotations = set_member(fields, "annotations"); annotations && !annotations->is_object())
    return wrong_type("metadata.annotations", "an object", *annotations);
  for (std::string_view name : {"name", "generateName", "namespace"}) {
    const json::value* v = set_member(fields, name);
    if (v && !v->is_string()) return wrong_type("metadata." + std::string(name), "a string", *v);
  }
  return {};
}

runtime_class_read read_runtime_class(const boost::json::object* pod_spec) {
  runtime_class_read out;
  if (!pod_spec) return out;
  auto it = pod_spec->find("runtimeClassName");
  if (it == pod_spec->end() || it->value().is_null()) return out;
  if (const auto* s = it->value().if_string()) out.name = std::string(*s);
  else out.error = "runtimeClassName must be a string";
  return out;
}

bool requests_resource(const boost::json::object& pod_spec, std::string_view resource) {
  for (std::string_view list : {"containers", "initContainers"}) {
    auto it = pod_spec.find(list);
    if (it == pod_spec.end() || !it->value().is_array()) continue;
    for (const auto& c : it->value().get_array()) {
      const auto* resources = object_field(c.if_object(), "resources");
      for (std::string_view part : {"requests", "limits"})
        if (const auto* r = object_field(resources, part); r && r->contains(resource)) return true;
    }
  }
  return false;
}

std::string_view metadata_string(const boost::json::value& object, std::string_view field) {
  return string_view_field(object_field(object.if_object(), "metadata"), field);
}

namespace {

constexpr std::string_view container_lists[] = {"containers", "initContainers"};

// The container's limits when one of them has no request of its own, else nullptr.
const json::object* limits_without_requests(const json::value& container) {
  const json::object* c = container.if_object();
  const json::value* resources = c ? c->if_contains("resources") : nullptr;
  const json::object* r = resources ? resources->if_object() : nullptr;
  const json::value* limits = r ? r->if_contains("limits") : nullptr;
  if (limits == nullptr || !limits->is_object()) return nullptr;
  const json::value* requests = r->if_contains("requests");
  if (requests != nullptr && !requests->is_null() && !requests->is_object()) return nullptr;
  const json::object* present = requests != nullptr ? requests->if_object() : nullptr;
  for (const auto& limit : limits->get_object())
    if (present == nullptr || !present->contains(limit.key())) return &limits->get_object();
  return nullptr;
}

}  // namespace

bool needs_requests_from_limits(const json::object& pod_spec) {
  for (std::string_view list : container_lists) {
    const json::value* containers = pod_spec.if_contains(list);
    if (containers == nullptr || !containers->is_array()) continue;
    for (const json::value& c : containers->get_array())
      if (limits_without_requests(c) != nullptr) return true;
  }
  return false;
}

void default_requests_from_limits(json::object& pod_spec) {
  for (std::string_view list : container_lists) {
    json::value* containers = pod_spec.if_contains(list);
    if (containers == nullptr || !containers->is_array()) continue;
    for (json::value& c : containers->get_array()) {
      const json::object* limits = limits_without_requests(c);
      if (limits == nullptr) continue;
      // Built aside and stored once: Boost.JSON's operator[] may rehash the object it indexes,
      // so no reference into `resources` is held across an insertion.
      json::object requests;
      json::object& resources = c.get_object().at("resources").get_object();
      if (const json::value* written = resources.if_contains("requests"); written && written->is_object())
        requests = written->get_object();
      for (const auto& limit : *limits)
        if (!requests.contains(limit.key())) requests.emplace(limit.key(), limit.value());
      resources.insert_or_assign("requests", std::move(requests));
    }
  }
}

}  // namespace peergate
