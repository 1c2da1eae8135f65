#pragma once
// What `peergate audit` reads of an item of its input (engine/json_shape.hpp): what the admission
// steps read of an object (engine/object_shape.hpp), and what the audit reads itself to name the
// row and fold it into its owner: apiVersion, kind, metadata.uid and metadata.ownerReferences'
// kind, name, uid and controller. The input's items are parsed to it (audit/object_stream.hpp), so
// the managedFields, status and labels that make most of the bytes of `kubectl get -o json` are
// scanned and never built. tests/audit/pruned_audit_test.cpp requires the same reports as from
// whole items, so a new field read by the audit or the engine fails it until it is added here.

#include "engine/json_shape.hpp"

namespace peergate::audit {

// Built once as the union of the two shapes, so a field the engine starts reading is kept here too.
const json_shape& audit_item_shape();

}  // namespace peergate::audit
