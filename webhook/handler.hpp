#pragma once
// The pure function at the heart of the webhook: an AdmissionReview body in, a response body
// out. No sockets: the HTTPS server (webhook/server) and the CLI both call it, and tests call it
// directly.

#include <array>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/admission.hpp"
#include "engine/chain.hpp"
#include "engine/policy/model.hpp"
#include "webhook/review_codec.hpp"

namespace peergate::webhook {

// Outcome class, for logs and the peergate_admission_requests_total{decision} label.
enum class outcome {
  allowed,      // allowed, possibly with a patch or warnings
  denied,       // a policy (or an invalid object) refused it
  bad_request,  // the body was not a well-formed AdmissionReview (HTTP 400), or its decoding went over
                // its memory budget (HTTP 413): no review answered
  error,        // an internal error: answered allowed=false with code 500, never allowed=true
};

// What the log line and the audit record say of a request.
struct request_label_values {
  std::string_view uid;
  std::string_view operation;
  std::string_view kind;
  std::string_view namespace_name;
  std::string_view name;           // request.name, else the object's metadata.name; "" when it has none yet
  std::string_view generate_name;  // the object's metadata.generateName when it has no name (controller-made pods)
  std::string_view username;
};

// The same, owned: copied out of the review's arena, which the handler_result outlives, into one
// string (a uid, a service account's name and a generateName are each too long for a string's
// inline buffer: one allocation instead of three).
class request_labels {
 public:
  request_labels() = default;
  explicit request_labels(const request_label_values& values);

  std::string_view uid() const { return field(0); }
  std::string_view operation() const { return field(1); }
  std::string_view kind() const { return field(2); }
  std::string_view namespace_name() const { return field(3); }
  std::string_view name() const { return field(4); }
  std::string_view generate_name() const { return field(5); }
  std::string_view username() const { return field(6); }
  request_label_values values() const;

 private:
  static constexpr std::size_t count = 7;
  std::string_view field(std::size_t i) const {
    return std::string_view(text_).substr(bounds_[i], bounds_[i + 1] - bounds_[i]);
  }

  std::string text_;                             // the fields one after the other
  std::array<std::size_t, count + 1> bounds_{};  // field i is text_[bounds_[i], bounds_[i + 1])
};

struct handler_result {
  int http_status = 200;  // 200 for every answered review; 400 or 413 for bad_request
  std::string body;       // AdmissionReview JSON, or {"error": "..."} for bad_request
  outcome result = outcome::allowed;
  request_labels request;  // empty when the request could not be decoded
  std::string message;     // denial message or decoding error
  std::vector<finding> findings;
  bool has_patch = false;
  // The most heap memory the review's decoding and evaluation held at once (its arena and the
  // parser's stack, beyond the first 16 KiB kept on the thread's stack).
  std::size_t document_bytes = 0;
};

const char* to_string(outcome o);

// {"error":"<message>"}: the body of an answer that is not an AdmissionReview (a 400 for a body
// that does not decode, a 404, a 500 before the request's uid is known).
std::string error_body(std::string_view message);

// Decodes `body` (AdmissionReview v1 or v1beta1), runs `step` against `policies`, encodes the
// answer in the review's own version. Never throws: any exception inside becomes outcome::error
// with allowed=false.
//
// `max_document_bytes` (0: no cap) caps the heap memory the review's arena and the parser's
// stack may hold at once (webhook/document_budget.hpp). Over it while decoding, the answer is
// HTTP 413 with {"error": ...} (outcome::bad_request): no uid is known yet. Over it while
// evaluating, the review is answered allowed=false with status.code 413, never allowed=true.
//
// `codec`: the webhook's own (the default), or the reference one for a benchmark's comparison.
handler_result handle_review(step_kind step, review_body body, const policy_set& policies,
                             std::size_t max_document_bytes = 0, const review_codec& codec = fast_review_codec());

// The same with the evaluation and the codec passed in; the function above calls it with
// run_step and fast_review_codec(). Tests use it to prove that an evaluation that throws is
// answered allowed=false, code 500, and that the reference codec (webhook/review_reference.hpp)
// gives the same answers byte for byte.
using evaluate_fn = decision (*)(admission_request& request, const void* context);
handler_result handle_review(evaluate_fn evaluate, const void* context, review_body body,
                             std::size_t max_document_bytes = 0, const review_codec& codec = fast_review_codec());

// The message of a review refused for its memory budget.
std::string document_too_large_message(std::size_t max_document_bytes);

}  // namespace peergate::webhook
