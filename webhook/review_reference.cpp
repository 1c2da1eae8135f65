#include "webhook/review_reference.hpp"

#include <boost/json.hpp>

#include "engine/json_parse.hpp"

namespace peergate::webhook {

namespace json = boost::json;

decode_result decode_review_reference(std::string_view body, json::storage_ptr storage, json::storage_ptr temp) {
  // What boost::json::parse does (its first stack block on the thread's stack, as there), with the
  // parser's temporary stack beyond it in `temp`.
  unsigned char first[BOOST_JSON_STACK_BUFFER_SIZE];
  json::parser parser(std::move(temp), kubernetes_parse_options(), first);
  parser.reset(std::move(storage));
  std::error_code ec;
  parser.write(body.data(), body.size(), ec);
  json::value document = ec ? json::value() : parser.release();
  if (ec) {
    decode_result out;
    out.error = "the body is not valid JSON: " + ec.message();
    return out;
  }
  return decode_review(std::move(document));
}

std::string encode_response_reference(std::string_view api_version, std::string_view uid, const decision& d) {
  json::object response;
  response["uid"] = uid;
  response["allowed"] = d.allowed;
  json::object status{{"code", d.code}};
  if (!d.allowed) {
    status["message"] = d.message;
    status["reason"] = status_reason(d.code);
  }
  response["status"] = std::move(status);
  if (!d.patch.empty()) {
    // The patch is text already, the serializer's own for its operations (json_patch_test).
    std::string encoded;
    append_base64_reference(encoded, d.patch.text());
    response["patch"] = encoded;
    response["patchType"] = "JSONPatch";
  }
  if (!d.warnings.empty()) {
    json::array warnings;
    for (const auto& w : d.warnings) warnings.emplace_back(w);
    response["warnings"] = std::move(warnings);
  }
  if (!d.audit_annotations.empty()) {
    json::object annotations;
    for (const auto& [k, v] : d.audit_annotations) annotations[k] = v;
    response["auditAnnotations"] = std::move(annotations);
  }
  json::object review{{"apiVersion", api_version}, {"kind", "AdmissionReview"}, {"response", std::move(response)}};
  return json::serialize(review);
}

const review_codec& reference_review_codec() {
  // The reference copies every body (boost::json::parse): the padding is not its concern.
  static constexpr review_codec codec{[](review_body body, json::storage_ptr storage, json::storage_ptr temp) {
                                        return decode_review_reference(body.text, std::move(storage), std::move(temp));
                                      },
                                      encode_response_reference};
  return codec;
}

}  // namespace peergate::webhook
