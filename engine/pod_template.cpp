#include "engine/pod_template.hpp"

namespace peergate {

namespace {

const boost::json::object* object_at(const boost::json::object* parent, std::string_view key) {
  if (!parent) return nullptr;
  auto it = parent->find(key);
  return it != parent->end() ? it->value().if_object() : nullptr;
}

}  // namespace

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

const boost::json::object* find_pod_spec(evaluated_kind kind, const boost::json::value& object) {
  const boost::json::object* spec = object_at(object.if_object(), "spec");
  switch (kind) {
    case evaluated_kind::pod:
      return spec;
    case evaluated_kind::cron_job:
      return object_at(object_at(object_at(object_at(spec, "jobTemplate"), "spec"), "template"), "spec");
    default:
      return object_at(object_at(spec, "template"), "spec");
  }
}

runtime_class_read read_runtime_class(const boost::json::object* pod_spec) {
  runtime_class_read out;
  if (!pod_spec) return out;
  auto it = pod_spec->find("runtimeClassName");
  if (it == pod_spec->end() || it->value().is_null()) return out;
  if (const auto* s = it->value().if_string())
    out.name = std::string(*s);
  else
    out.error = "runtimeClassName must be a string";
  return out;
}

bool requests_resource(const boost::json::object& pod_spec, std::string_view resource) {
  for (std::string_view list : {"containers", "initContainers"}) {
    auto it = pod_spec.find(list);
    if (it == pod_spec.end() || !it->value().is_array()) continue;
    for (const auto& c : it->value().get_array()) {
      const auto* resources = object_at(c.if_object(), "resources");
      for (std::string_view part : {"requests", "limits"})
        if (const auto* r = object_at(resources, part); r && r->contains(resource)) return true;
    }
  }
  return false;
}

std::string metadata_string(const boost::json::value& object, std::string_view field) {
  const auto* metadata = object_at(object.if_object(), "metadata");
  if (!metadata) return {};
  auto it = metadata->find(field);
  if (it == metadata->end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}

}  // namespace peergate
