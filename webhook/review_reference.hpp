#pragma once
// The plain way to read and answer a review, kept as the reference the webhook's own codec is
// proved equal to (tests/webhook/differential_test.cpp, fuzz/review_differential_fuzz.cpp): the
// whole body parsed by boost::json::parse, the response built as a boost::json::object and
// serialized. Not used to answer requests.

#include <string>
#include <string_view>

#include "webhook/review_codec.hpp"

namespace peergate::webhook {

// The whole body parsed as boost::json::parse parses it (kubernetes_parse_options(); the parser's
// temporary stack in `temp`), then decode_review of the document.
decode_result decode_review_reference(std::string_view body, boost::json::storage_ptr storage,
                                      boost::json::storage_ptr temp);

// The response as a boost::json::object, serialized by Boost.JSON.
std::string encode_response_reference(std::string_view api_version, std::string_view uid, const decision& d);

// decode_review_reference and encode_response_reference.
const review_codec& reference_review_codec();

}  // namespace peergate::webhook
