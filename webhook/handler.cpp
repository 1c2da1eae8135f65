#include "webhook/handler.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <exception>

#include "engine/json_text.hpp"
#include "engine/pod_template.hpp"
#include "webhook/digest_openssl.hpp"
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

void fill_log_fields(handler_result& out, const admission_request& req) {
  out.uid = req.uid;
  out.operation = to_string(req.op);
  out.kind = req.kind.kind;
  out.namespace_name = req.namespace_name;
  out.name = req.name;
  if (out.name.empty()) out.name = metadata_string(req.object, "name");
  if (out.name.empty()) out.generate_name = metadata_string(req.object, "generateName");
  out.username = req.user.username;
}

}  // namespace

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

handler_result handle_review(step_kind step, std::string_view body, const policy_set& policies) {
  const step_context context{step, policies};
  return handle_review(evaluate_step, &context, body);
}

handler_result handle_review(evaluate_fn evaluate, const void* context, std::string_view body) {
  handler_result out;
  std::string api_version = "admission.k8s.io/v1";
  try {
    // One arena per review: parsing, the request's objects and the mutated copy allocate from
    // it and are released at once. The first 16 KiB sit on the stack.
    alignas(std::max_align_t) unsigned char first_block[16 * 1024];
    boost::json::monotonic_resource arena(first_block, sizeof first_block);
    decode_result decoded = decode_review(body, &arena);
    if (!decoded.review) {
      out.http_status = 400;
      out.result = outcome::bad_request;
      out.message = decoded.error;
      out.body = error_body(decoded.error);
      return out;
    }
    api_version = decoded.review->api_version;
    admission_request& req = decoded.review->request;
    fill_log_fields(out, req);
    decision d = evaluate(req, context);
    out.result = d.allowed ? outcome::allowed : outcome::denied;
    out.message = d.message;
    out.has_patch = !d.patch.empty();
    out.body = encode_response(api_version, req.uid, d);
    out.findings = std::move(d.findings);
    return out;
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
  if (out.uid.empty()) {
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
    out.body = encode_response(api_version, out.uid, d);
  } catch (...) {
    out.http_status = 500;
    out.body = R"({"error":"internal error"})";
  }
  return out;
}

}  // namespace peergate::webhook
