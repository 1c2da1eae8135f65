#include "cli/input.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "engine/json_fields.hpp"
#include "engine/pod_template.hpp"
#include "engine/json_parse.hpp"
#include "engine/yaml_json.hpp"

namespace peergate::cli {

namespace json = boost::json;

std::optional<std::string> read_input(const std::string& path, std::string* error) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot read file";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

parsed_documents parse_documents(const std::string& text) {
  parsed_documents out;
  std::error_code ec;
  json::value doc = json::parse(text, ec, {}, kubernetes_parse_options());
  if (!ec) {
    out.documents.push_back(std::move(doc));
    return out;
  }
  yaml_documents yaml = parse_yaml_documents(text);
  out.documents = std::move(yaml.documents);
  out.error = yaml.error;
  if (out.error.empty() && out.documents.empty()) out.error = "no document found";
  return out;
}

namespace {

// A bare object as the apiserver hands it to webhooks: a Pod's requests defaulted to its limits
// (a manifest written with limits only is sized by them in the cluster, so here too).
json::value apiserver_defaulted(const json::value& document, const group_version_kind& gvk) {
  json::value object = document;
  if (!gvk.group.empty() || gvk.kind != "Pod") return object;
  json::value* spec = object.get_object().if_contains("spec");
  if (spec != nullptr && spec->is_object() && needs_requests_from_limits(spec->get_object()))
    default_requests_from_limits(spec->get_object());
  return object;
}

}  // namespace

webhook::decode_result review_from_document(const json::value& document, const object_context& context) {
  const json::object* obj = document.if_object();
  if (obj && obj->contains("kind") && (*obj).at("kind") == "AdmissionReview") return webhook::decode_review(document);
  webhook::decode_result out;
  if (!obj) {
    out.error = "expected a Kubernetes object or an AdmissionReview, got a JSON " +
                std::string(document.is_array() ? "list" : "scalar");
    return out;
  }
  const std::string api_version = string_field(*obj, "apiVersion");
  const std::string kind = string_field(*obj, "kind");
  if (kind.empty() || api_version.empty()) {
    out.error = "the object has no apiVersion or kind";
    return out;
  }
  const group_version_kind gvk = kind_of_object(api_version, kind);
  const json::object* metadata = object_field(*obj, "metadata");
  const std::string name = string_field(metadata, "name");
  const std::string object_namespace = string_field(metadata, "namespace");
  json::array groups;
  for (const auto& g : context.groups) groups.emplace_back(g);
  json::object request{
      {"uid", "peergate-cli-review"},
      {"kind", {{"group", gvk.group}, {"version", gvk.version}, {"kind", gvk.kind}}},
      {"operation", context.operation},
      {"userInfo", {{"username", context.username}, {"groups", std::move(groups)}}},
      {"object", apiserver_defaulted(document, gvk)},
      {"oldObject", nullptr},
      {"dryRun", true},
  };
  if (!name.empty()) request["name"] = name;
  // Like kubectl: the explicit namespace, else the object's, else "default". When both are set
  // and differ, the chain refuses the request, as kubectl refuses such an object.
  request["namespace"] = !context.namespace_name.empty() ? context.namespace_name
                         : !object_namespace.empty()     ? object_namespace
                                                         : std::string("default");
  json::value review{
      {"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", std::move(request)}};
  return webhook::decode_review(review);
}

}  // namespace peergate::cli
