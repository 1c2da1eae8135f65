#pragma once
// What both steps need to know about a request before looking at policies: is it an object
// peergate evaluates, which pod spec, which runtime class, which namespace.

#include <optional>
#include <string>
#include <string_view>

#include "engine/admission.hpp"
#include "engine/pod_template.hpp"

namespace peergate {

// `pod_spec`, `name` and `generate_name` point into the object read_subject was given (or the
// request): valid while that object lives unchanged, as long as the request's own decision.
struct request_subject {
  evaluated_kind kind = evaluated_kind::pod;
  std::string kind_name;  // "Pod", "Deployment", ...
  const boost::json::object* pod_spec = nullptr;
  std::optional<std::string> runtime_class;
  std::string namespace_name;
  std::string_view name;           // metadata.name, else request.name; "" before the apiserver names it
  std::string_view generate_name;  // metadata.generateName, "" when none
  // name, or generateName followed by "*", for messages: made only when a message needs it.
  std::string display_name() const;
  // Set when metadata.namespace and the request namespace disagree. Only a request that a
  // policy or the mutation is about is refused for it: an ordinary pod is none of our business.
  std::string namespace_problem;
};

struct subject_read {
  enum class status { evaluate, not_evaluated, invalid } result = status::not_evaluated;
  request_subject subject;
  std::string problem;  // for invalid: why the request cannot be evaluated
};

// DELETE, CONNECT, subresources and kinds without pods are not evaluated. An evaluated request
// is invalid when it cannot be evaluated safely: no object, or a field a step reads of the wrong
// JSON type (pod_template.hpp), in the object or, for an UPDATE, on the way to oldObject's
// runtime class. That is decided before the runtime class, so whatever the object's runtime class.
// `object` is request.object, or the object after mutation in the admit chain.
subject_read read_subject(const admission_request& request, const boost::json::value& object);
inline subject_read read_subject(const admission_request& request) { return read_subject(request, request.object); }

// The same object's runtime class before an UPDATE, if it had one.
std::optional<std::string> old_runtime_class(const admission_request& request, evaluated_kind kind);

}  // namespace peergate
