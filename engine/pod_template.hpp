#pragma once
// Where the pod spec lives in each kind peergate evaluates, and the few facts read from it.

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

// The pod spec inside an object of `kind` (spec, spec.template.spec or
// spec.jobTemplate.spec.template.spec), or nullptr when the object has none.
const boost::json::object* find_pod_spec(evaluated_kind kind, const boost::json::value& object);

// Dotted path of the pod spec for messages: "spec", "spec.template.spec", ...
std::string_view pod_spec_path(evaluated_kind kind);

struct runtime_class_read {
  std::optional<std::string> name;  // absent when the pod does not set one
  std::string error;                // set when the field exists but is not a string
};
runtime_class_read read_runtime_class(const boost::json::object* pod_spec);

// True when any container or init container requests or limits `resource`.
bool requests_resource(const boost::json::object& pod_spec, std::string_view resource);

// metadata.<field> of an object as a string, or "".
std::string metadata_string(const boost::json::value& object, std::string_view field);

}  // namespace peergate
