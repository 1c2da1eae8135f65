#pragma once
// Reading what people hand the CLI: files or stdin, JSON or YAML, reviews or bare objects.

#include <optional>
#include <string>
#include <vector>

#include "engine/admission.hpp"
#include "webhook/review_codec.hpp"

namespace peergate::cli {

// The whole text of a file, or of stdin for "-"; nullopt with *error on failure.
std::optional<std::string> read_input(const std::string& path, std::string* error);

// Every document of a JSON or YAML text (JSON is tried first: it is faster and exact).
struct parsed_documents {
  std::vector<boost::json::value> documents;
  std::string error;
};
parsed_documents parse_documents(const std::string& text);

// How a bare object becomes a CREATE review.
struct object_context {
  std::string namespace_name;  // "" = the object's metadata.namespace, else "default"
  std::string operation = "CREATE";
  std::string username = "peergate-cli";
  std::vector<std::string> groups;
};

// A review as-is (kind AdmissionReview), or a bare object wrapped in a review built from
// `context`; a bare Pod is defaulted as the apiserver defaults it before admission (requests
// from limits), so it is sized as it would be in the cluster.
webhook::decode_result review_from_document(const boost::json::value& document, const object_context& context);

}  // namespace peergate::cli
