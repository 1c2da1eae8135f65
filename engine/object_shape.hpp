#pragma once
// What the admission steps read of an object under review (request.object and request.oldObject):
// the shape a reader may prune the object to without changing any decision (engine/json_shape.hpp).
// The webhook parses reviews to it; a differential test and a fuzz target compare every answer with
// the one computed from the whole document, so a step that starts reading another field fails them
// until the field is added here.

#include "engine/json_shape.hpp"

namespace peergate {

// metadata.{name, generateName, namespace, annotations}; and on the way to the pod spec of every
// evaluated kind (spec, spec.template, spec.jobTemplate.spec.template) the template's metadata and
// the pod spec's runtimeClassName and containers and initContainers, each container's name and
// resources. The kind is not known while an object is read (request.kind may come after it), so
// the shape is the union over the kinds.
const json_shape& evaluated_object_shape();

}  // namespace peergate
