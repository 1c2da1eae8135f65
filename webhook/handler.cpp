#include "webhook/handler.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <exception>

#include "engine/json_text.hpp"
#include "engine/pod_template.hpp"
#include "webhook/digest_openssl.hpp"
#include "webhook/document_budget.hpp"
#include "webhook/review_codec.hpp"

namespace peergate::webhook {

const char* to_string(outcome o) {
  switch (o) {
    case outcome::allowed: return "allowed";
    case outcome::denied: return "denied";
    case outcome::bad_request: return "bad_request";
    case outcome::error: return "error";
  }
  return "error";
}

std::string error_body(std::string_view message) {
  std::string body = "{\"error\":";
  append_json_quoted(body, message);
  body += '}';
  return body;
}

namespace {

request_labels labels_of(const admission_request& req) {
  request_label_values values{.uid = req.uid,
                              .operation = to_string(req.op),
                              .kind = req.kind.kind,
                              .namespace_name = req.namespace_name,
                              .name = req.name,
                              .username = req.user.username};
  if (values.name.empty()) values.name = metadata_string(req.object, "name");
  if (values.name.empty()) values.generate_name = metadata_string(req.object, "generateName");
  return request_labels(values);
}

}  // namespace

request_labels::request_labels(const request_label_values& values) {
  const std::array<std::string_view, count> fields = {
      values.uid,  values.operation,     values.kind,    values.namespace_name,
      values.name, values.generate_name, values.username};
  std::size_t size = 0;
  for (std::string_view f : fields) size += f.size();
  text_.reserve(size);
  for (std::size_t i = 0; i < count; ++i) {
    text_.append(fields[i]);
    bounds_[i + 1] = text_.size();
  }
}

request_label_values request_labels::values() const {
  return {uid(), operation(), kind(), namespace_name(), name(), generate_name(), username()};
}

namespace {
struct step_context {
  step_kind step;
  const policy_set& policies;
};
// The clock is read here, once per request: an exception ends at its `expires` with no reload.
decision evaluate_step(admission_request& request, const void* context) {
  const auto& c = *static_cast<const step_context*>(context);
  const evaluation_context evaluation{openssl_digests(), std::chrono::system_clock::now()};
  return run_step_in_place(c.step, request, c.policies, evaluation);
}
}  // namespace

handler_result handle_review(step_kind step, review_body body, const policy_set& policies,
                             std::size_t max_document_bytes, const review_codec& codec) {
  const step_context context{step, policies};
  return handle_review(evaluate_step, &context, body, max_document_bytes, codec);
}

std::string document_too_large_message(std::size_t max_document_bytes) {
  return "the review is too large: decoding and evaluating it needs more than " + std::to_string(max_document_bytes) +
         " bytes of memory (the server's --max-document-bytes)";
}

handler_result handle_review(evaluate_fn evaluate, const void* context, review_body body,
                             std::size_t max_document_bytes, const review_codec& codec) {
  handler_result out;
  std::string_view api_version = "admission.k8s.io/v1";  // decoded_review's, static text
  // Everything the review takes from the heap beyond the first block, counted and capped.
  document_budget budget(max_document_bytes);
  try {
    // One arena per review: parsing, the request's objects and the mutated copy allocate from
    // it and are released at once. The first 16 KiB sit on the stack, the rest comes from the
    // budget, which also holds the parser's temporary stack.
    alignas(std::max_align_t) unsigned char first_block[16 * 1024];
    boost::json::monotonic_resource arena(first_block, sizeof first_block, &budget);
    decode_result decoded = codec.decode(body, &arena, &budget);
    if (!decoded.review) {
      out.document_bytes = budget.peak();
      out.http_status = 400;
      out.result = outcome::bad_request;
      out.message = decoded.error;
      out.body = error_body(decoded.error);
      return out;
    }
    api_version = decoded.review->api_version;
    admission_request& req = decoded.review->request;
    out.request = labels_of(req);
    decision d = evaluate(req, context);
    out.result = d.allowed ? outcome::allowed : outcome::denied;
    out.message = d.message;
    out.has_patch = !d.patch.empty();
    out.body = codec.encode(api_version, req.uid, d);
    out.findings = std::move(d.findings);
    out.document_bytes = budget.peak();
    return out;
  } catch (const document_too_large&) {
    out.document_bytes = budget.peak();
    out.message = document_too_large_message(max_document_bytes);
    out.result = outcome::bad_request;
    if (out.request.uid().empty()) {  // while decoding: not a review yet
      out.http_status = 413;
      out.body = error_body(out.message);
      return out;
    }
    // While evaluating: the review is known and refused, never let through.
    out.result = outcome::denied;
    try {
      decision d;
      d.allowed = false;
      d.code = 413;
      d.message = out.message;
      out.http_status = 200;
      out.body = codec.encode(api_version, out.request.uid(), d);
      return out;
    } catch (...) {
      out.message = "internal error";
    }
  } catch (const std::exception& e) {
    out.message = std::string("internal error: ") + e.what();
  } catch (...) {
    out.message = "internal error";
  }
  // Refuse explicitly: with failurePolicy Ignore a 500 would let the request through, and an
  // answer must never say allowed because something broke.
  out.result = outcome::error;
  out.findings.clear();
  out.has_patch = false;
  if (out.request.uid().empty()) {
    out.http_status = 500;
    out.body = error_body(out.message);
    return out;
  }
  try {
    decision d;
    d.allowed = false;
    d.code = 500;
    d.message = "peergate internal error; the request was refused to stay safe: " + out.message;
    out.http_status = 200;
    out.body = codec.encode(api_version, out.request.uid(), d);
  } catch (...) {
    out.http_status = 500;
    out.body = R"({"error":"internal error"})";
  }
  return out;
}

}  // namespace peergate::webhook
