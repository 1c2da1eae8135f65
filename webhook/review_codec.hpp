#pragma once
// AdmissionReview v1 (and v1beta1) to and from the engine's plain types. No sockets.

#include <optional>
#include <string>
#include <string_view>

#include "engine/admission.hpp"

namespace peergate::webhook {

struct decoded_review {
  std::string api_version;  // "admission.k8s.io/v1" or "admission.k8s.io/v1beta1", echoed back
  admission_request request;
};

struct decode_result {
  std::optional<decoded_review> review;
  std::string error;  // why the body is not a well-formed review, when !review
};

// Parses `body` with `storage` (the webhook passes a per-request arena; objects are moved out
// of the parsed document, never copied). `temp` holds the parser's temporary stack (the webhook
// passes the review's memory budget; the default: the heap).
decode_result decode_review(std::string_view body, boost::json::storage_ptr storage = {},
                            boost::json::storage_ptr temp = {});

// Decodes an already-parsed document (the CLI reads YAML as well as JSON); the objects are
// moved out of it.
decode_result decode_review(boost::json::value&& document);
decode_result decode_review(const boost::json::value& document);

// {"apiVersion": <api_version>, "kind": "AdmissionReview", "response": {...}}
std::string encode_response(std::string_view api_version, std::string_view uid, const decision& d);

// Standard base64 with padding: the encoding of the API's byte fields (patch, caBundle).
std::string base64_encode(std::string_view in);

}  // namespace peergate::webhook
