#include "engine/request_subject.hpp"

namespace peergate {

namespace {

// What the UPDATE rule reads of the old object: the way to its pod spec and its runtime class.
// The rest of it is never read, so its types do not matter.
std::string old_object_type_problem(const admission_request& request, evaluated_kind kind) {
  const boost::json::value& old = request.old_object;
  if (old.is_null()) return {};  // an UPDATE without oldObject is evaluated like a new object
  if (!old.is_object()) return "the request's oldObject must be a JSON object, got " + std::string(json_type_name(old));
  const pod_spec_read spec = read_pod_spec(kind, old.get_object(), "oldObject.");
  if (!spec.problem.empty()) return spec.problem;
  const runtime_class_read rc = read_runtime_class(spec.pod_spec);
  if (!rc.error.empty()) return "oldObject." + std::string(pod_spec_path(kind)) + "." + rc.error;
  return {};
}

}  // namespace

subject_read read_subject(const admission_request& request, const boost::json::value& object) {
  subject_read out;
  if (request.op != operation::create && request.op != operation::update) return out;
  if (!request.sub_resource.empty()) return out;  // status, binding, ephemeralcontainers: not a new pod
  auto kind = evaluated_kind_of(request.kind);
  if (!kind) return out;
  auto invalid = [&out](std::string problem) {
    out.result = subject_read::status::invalid;
    out.problem = std::move(problem);
    return out;
  };
  if (object.is_null()) return invalid("the request has no object to evaluate");
  if (!object.is_object())
    return invalid("the request's object must be a JSON object, got " + std::string(json_type_name(object)));
  request_subject& s = out.subject;
  s.kind = *kind;
  s.kind_name = request.kind.kind;

  // Every field a step could read is type-checked here, before the runtime class says whether the
  // object is a peer pod: a wrong type could hide the very field that says so (a string spec),
  // and an answer must never depend on what a step failed to read.
  if (std::string problem = metadata_type_problem(object.get_object()); !problem.empty()) return invalid(problem);
  pod_spec_read spec = read_pod_spec(*kind, object.get_object());
  if (!spec.problem.empty()) return invalid(spec.problem);
  s.pod_spec = spec.pod_spec;
  auto rc = read_runtime_class(s.pod_spec);
  if (!rc.error.empty()) return invalid(std::string(pod_spec_path(*kind)) + "." + rc.error);
  if (s.pod_spec)
    if (std::string problem = pod_spec_type_problem(*s.pod_spec, pod_spec_path(*kind)); !problem.empty())
      return invalid(problem);
  if (request.op == operation::update)
    if (std::string problem = old_object_type_problem(request, *kind); !problem.empty()) return invalid(problem);
  s.runtime_class = rc.name;

  const std::string_view object_namespace = metadata_string(object, "namespace");
  if (!request.namespace_name.empty() && !object_namespace.empty() && object_namespace != request.namespace_name)
    s.namespace_problem = "the object's metadata.namespace \"" + std::string(object_namespace) +
                          "\" differs from the request namespace \"" + request.namespace_name + "\"";
  s.namespace_name = request.namespace_name.empty() ? object_namespace : std::string_view(request.namespace_name);

  s.name = metadata_string(object, "name");
  if (s.name.empty()) s.name = request.name;
  s.generate_name = metadata_string(object, "generateName");
  out.result = subject_read::status::evaluate;
  return out;
}

std::string request_subject::display_name() const {
  if (!name.empty()) return std::string(name);
  if (generate_name.empty()) return "(unnamed)";
  std::string out;
  out.reserve(generate_name.size() + 1);
  out += generate_name;
  out += '*';
  return out;
}

std::optional<std::string> old_runtime_class(const admission_request& request, evaluated_kind kind) {
  if (!request.old_object.is_object()) return std::nullopt;
  return read_runtime_class(read_pod_spec(kind, request.old_object.get_object()).pod_spec).name;
}

}  // namespace peergate
