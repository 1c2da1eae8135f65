#include "engine/object_shape.hpp"

namespace peergate {

namespace {

using member = json_shape::member;

// metadata: the names and the annotations (sizes, instance type, image, initdata, and those the
// mutation writes); labels, ownerReferences and managedFields are never read.
const member metadata_members[] = {{"name", &whole_json_value},
                                   {"generateName", &whole_json_value},
                                   {"namespace", &whole_json_value},
                                   {"annotations", &whole_json_value}};
const json_shape metadata_shape{false, metadata_members, nullptr};

// A container: its name (messages) and its resources, whole: the mutation replaces them and its
// patch is the difference from what was there.
const member container_members[] = {{"name", &whole_json_value}, {"resources", &whole_json_value}};
const json_shape container_shape{false, container_members, nullptr};
const json_shape container_list_shape{false, {}, &container_shape};

// The union of a pod spec, a workload's spec and a CronJob's spec: each kind reads its own path.
extern const json_shape spec_shape;
const member template_members[] = {{"metadata", &metadata_shape}, {"spec", &spec_shape}};
const json_shape template_shape{false, template_members, nullptr};
const member job_template_members[] = {{"spec", &spec_shape}};
const json_shape job_template_shape{false, job_template_members, nullptr};
const member spec_members[] = {{"runtimeClassName", &whole_json_value},
                               {"containers", &container_list_shape},
                               {"initContainers", &container_list_shape},
                               {"template", &template_shape},
                               {"jobTemplate", &job_template_shape}};
const json_shape spec_shape{false, spec_members, nullptr};

const member object_members[] = {{"metadata", &metadata_shape}, {"spec", &spec_shape}};
const json_shape object_shape{false, object_members, nullptr};

}  // namespace

const json_shape& evaluated_object_shape() { return object_shape; }

}  // namespace peergate
