#pragma once
// The JSON parser for AdmissionReview bodies. It builds the same DOM as boost::json::parse but
// leaves out metadata.managedFields of request.object and request.oldObject: the server-side
// apply bookkeeping no step ever reads, and often half the bytes of a pod made by a controller
// (3.7 of the 8.5 KB of the benchmark's review). Skipping it while parsing saves building
// hundreds of small objects per request.

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <string_view>
#include <system_error>

namespace peergate::webhook {

// As boost::json::parse(body, ec, storage) with kubernetes_parse_options() (engine/json_parse.hpp),
// minus the managedFields above. Errors are Boost.JSON's. `temp` holds the parser's stack of
// values not yet placed in their container (the default: the heap); an exception thrown by
// `storage` or `temp` (a memory budget, webhook/document_budget.hpp) leaves the function.
boost::json::value parse_review_body(std::string_view body, std::error_code& ec, boost::json::storage_ptr storage,
                                     boost::json::storage_ptr temp = {});

}  // namespace peergate::webhook
