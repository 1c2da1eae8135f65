#pragma once
// Where the pod spec lives in each kind peergate evaluates, and the few facts read from it.
//
// JSON types: a field the steps read is either not set (absent, or null: Kubernetes omits empty
// fields and Go's decoder reads null as absent) or of its Kubernetes type. Any other type means
// the object cannot be evaluated safely; the functions below name the field and the type found.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "engine/admission.hpp"

namespace peergate {

enum class evaluated_kind { pod, deployment, replica_set, stateful_set, daemon_set, job, cron_job };

// The kind of a request, when it is one whose pods peergate evaluates.
std::optional<evaluated_kind> evaluated_kind_of(const group_version_kind& kind);

// Dotted path of the pod spec for messages: "spec", "spec.template.spec", ...
std::string_view pod_spec_path(evaluated_kind kind);

// The JSON type of a value as messages name it: "object", "array", "string", "number", "boolean", "null".
std::string_view json_type_name(const boost::json::value& v);

struct pod_spec_read {
  // The pod spec (spec, spec.template.spec or spec.jobTemplate.spec.template.spec), or nullptr
  // when a field on the way is not set: the object has no pod spec.
  const boost::json::object* pod_spec = nullptr;
  // Set when a field on the way is not an object: "spec.template must be an object, got string".
  std::string problem;
};
// `path_prefix` goes in front of the paths in `problem` ("oldObject.").
pod_spec_read read_pod_spec(evaluated_kind kind, const boost::json::object& object, std::string_view path_prefix = {});

// The first field of a pod spec that a step reads and that has the wrong JSON type, as a message
// ("spec.containers[1].resources must be an object, got string"), or "" when there is none:
// containers and initContainers must be arrays of objects, and each container's resources, and
// their requests and limits, objects. `path` is the pod spec's own, for the message.
// runtimeClassName is read_runtime_class's.
std::string pod_spec_type_problem(const boost::json::object& pod_spec, std::string_view path);

// The same for metadata: metadata and metadata.annotations must be objects, metadata.name,
// generateName and namespace strings.
std::string metadata_type_problem(const boost::json::object& object);

struct runtime_class_read {
  std::optional<std::string> name;  // absent when the pod does not set one
  std::string error;                // set when the field exists but is not a string
};
runtime_class_read read_runtime_class(const boost::json::object* pod_spec);

// True when any container or init container requests or limits `resource`.
bool requests_resource(const boost::json::object& pod_spec, std::string_view resource);

// The apiserver's defaulting of a Pod (SetDefaults_Pod, pkg/apis/core/v1/defaults.go): each
// container's and init container's requests default to its limits, resource by resource. It
// runs before any webhook sees a Pod, never on a pod template. The first says whether a pod spec
// needs it; fields of another JSON type than Kubernetes' are left alone (the steps report them).
bool needs_requests_from_limits(const boost::json::object& pod_spec);
void default_requests_from_limits(boost::json::object& pod_spec);

// metadata.<field> of an object as a string, or "": a view into `object`.
std::string_view metadata_string(const boost::json::value& object, std::string_view field);

}  // namespace peergate
