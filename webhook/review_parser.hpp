#pragma once
// The JSON parser for AdmissionReview bodies: one pass that builds only what decode_review and the
// admission steps read (review_shape() below), the rest skipped unbuilt by Boost.JSON's tokenizer.
// A pod made by a controller is 9 KB of which the steps read a few hundred bytes (status, env,
// volumes, managedFields are never read), and an 8 MB array under spec costs its scan and no memory.

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <string_view>
#include <system_error>

#include "engine/json_shape.hpp"

namespace peergate::webhook {

// The review's members that are read: kind, apiVersion and request's uid, kind, operation,
// subResource, name, namespace, dryRun, userInfo.username and .groups, and request.object and
// request.oldObject in evaluated_object_shape() (engine/object_shape.hpp).
const json_shape& review_shape();

// As boost::json::parse(body, ec, storage) with kubernetes_parse_options() (engine/json_parse.hpp),
// pruned to review_shape(): accepted and refused alike, with the same errors. `temp` holds the
// parser's stack of values not yet placed in their container (the default: the heap); an
// exception thrown by `storage` or `temp` (a memory budget, webhook/document_budget.hpp) leaves
// the function.
// `padded`: in_place_padding readable bytes follow `body` (engine/json_pruned_parse.hpp), so that
// it is read where it lies (parse_pruned_in_place) rather than copied first.
boost::json::value parse_review_body(std::string_view body, std::error_code& ec, boost::json::storage_ptr storage,
                                     boost::json::storage_ptr temp = {}, bool padded = false);

}  // namespace peergate::webhook
