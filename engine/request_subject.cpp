#include "engine/request_subject.hpp"

namespace peergate {

subject_read read_subject(const admission_request& request, const boost::json::value& object) {
  subject_read out;
  if (request.op != operation::create && request.op != operation::update) return out;
  if (!request.sub_resource.empty()) return out;  // status, binding, ephemeralcontainers: not a new pod
  auto kind = evaluated_kind_of(request.kind);
  if (!kind) return out;
  if (!object.is_object()) {
    out.result = subject_read::status::invalid;
    out.problem = "the request has no object to evaluate";
    return out;
  }
  request_subject& s = out.subject;
  s.kind = *kind;
  s.kind_name = request.kind.kind;
  s.pod_spec = find_pod_spec(*kind, object);
  auto rc = read_runtime_class(s.pod_spec);
  if (!rc.error.empty()) {
    out.result = subject_read::status::invalid;
    out.problem = std::string(pod_spec_path(*kind)) + "." + rc.error;
    return out;
  }
  s.runtime_class = rc.name;

  const std::string object_namespace = metadata_string(object, "namespace");
  if (!request.namespace_name.empty() && !object_namespace.empty() && object_namespace != request.namespace_name)
    s.namespace_problem = "the object's metadata.namespace \"" + object_namespace +
                          "\" differs from the request namespace \"" + request.namespace_name + "\"";
  s.namespace_name = request.namespace_name.empty() ? object_namespace : request.namespace_name;

  s.display_name = metadata_string(object, "name");
  if (s.display_name.empty()) s.display_name = request.name;
  if (s.display_name.empty()) {
    const std::string generate = metadata_string(object, "generateName");
    s.display_name = generate.empty() ? std::string("(unnamed)") : generate + "*";
  }
  out.result = subject_read::status::evaluate;
  return out;
}

std::optional<std::string> old_runtime_class(const admission_request& request, evaluated_kind kind) {
  if (!request.old_object.is_object()) return std::nullopt;
  return read_runtime_class(find_pod_spec(kind, request.old_object)).name;
}

}  // namespace peergate
