#pragma once
// AdmissionReview v1 (and v1beta1) to and from the engine's plain types. No sockets.

#include <optional>
#include <string>
#include <string_view>

#include "engine/admission.hpp"
#include "engine/json_pruned_parse.hpp"

namespace peergate::webhook {

// A request body, and whether in_place_padding readable bytes (engine/json_pruned_parse.hpp)
// follow it in memory: the rest of the server's read buffer, or a string's spare capacity. The
// webhook's decoder then reads it where it lies; otherwise it first copies it into a padded buffer.
struct review_body {
  review_body() = default;
  review_body(std::string_view text, bool padded) : text(text), padded(padded) {}
  review_body(std::string_view text) : text(text) {}
  review_body(const char* text) : text(text) {}
  // A string's spare capacity is padding when there is enough of it (reading it reads the
  // string's own buffer).
  review_body(const std::string& text) : text(text), padded(text.capacity() - text.size() >= in_place_padding) {}

  std::string_view text;
  bool padded = false;
};

struct decoded_review {
  // "admission.k8s.io/v1" or "admission.k8s.io/v1beta1", echoed back: a view of the codec's own
  // static text, never of the body, so it outlives the review's arena.
  std::string_view api_version;
  admission_request request;
};

struct decode_result {
  std::optional<decoded_review> review;
  std::string error;  // why the body is not a well-formed review, when !review
};

// Parses `body` with `storage` (the webhook passes a per-request arena; objects are moved out
// of the parsed document, never copied) into what the steps read of it: parse_review_body's
// pruned document (webhook/review_parser.hpp). `temp` holds the parser's temporary stack (the
// webhook passes the review's memory budget; the default: the heap).
// `padded`: as review_body's.
decode_result decode_review(std::string_view body, boost::json::storage_ptr storage = {},
                            boost::json::storage_ptr temp = {}, bool padded = false);

// Decodes an already-parsed document (the CLI reads YAML as well as JSON); the objects are
// moved out of it.
decode_result decode_review(boost::json::value&& document);
decode_result decode_review(const boost::json::value& document);

// {"apiVersion": <api_version>, "kind": "AdmissionReview", "response": {...}}, written straight
// into one string, byte for byte what Boost.JSON's serializer writes for the same members
// (encode_response_reference in webhook/review_reference.hpp, which tests compare it with).
std::string encode_response(std::string_view api_version, std::string_view uid, const decision& d);

// A body and a decision to and from AdmissionReview JSON: the webhook's own (fast_review_codec),
// or the plain Boost.JSON one it is proved equal to (reference_review_codec,
// webhook/review_reference.hpp).
struct review_codec {
  decode_result (*decode)(review_body body, boost::json::storage_ptr storage, boost::json::storage_ptr temp);
  std::string (*encode)(std::string_view api_version, std::string_view uid, const decision& d);
};
// decode_review(body, ...) and encode_response above.
const review_codec& fast_review_codec();

// The reason phrase of a response status code: "Forbidden" for 403, ...
const char* status_reason(int code);

// Standard base64 with padding: the encoding of the API's byte fields (patch, caBundle). 24 bytes
// a step with AVX2 where the processor has it (every mutating answer encodes its patch).
std::string base64_encode(std::string_view in);
void append_base64(std::string& out, std::string_view in);
// The same 3 bytes at a time, without SIMD: the reference the tests and the reference codec hold
// append_base64 to.
void append_base64_reference(std::string& out, std::string_view in);
// Whether append_base64 runs its AVX2 kernel on this processor (for the tests to say what they ran).
bool base64_uses_avx2();

}  // namespace peergate::webhook
