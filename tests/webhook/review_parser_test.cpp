// The review parser against boost::json::parse: the same document, minus
// request.object.metadata.managedFields and request.oldObject.metadata.managedFields, and the
// same errors.
#include "webhook/review_parser.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/json_parse.hpp"
#include "fuzz/review_reference.hpp"

namespace json = boost::json;
using peergate::testing::erase_keeping_order;
using peergate::testing::without_managed_fields;
using peergate::webhook::parse_review_body;

namespace {

json::value reference(std::string_view body) { return json::parse(body, {}, peergate::kubernetes_parse_options()); }

json::value parsed(std::string_view body) {
  std::error_code ec;
  json::value v = parse_review_body(body, ec, {});
  INFO(ec.message());
  REQUIRE(!ec);
  return v;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const json::value* at(const json::value& v, std::initializer_list<const char*> path) {
  const json::value* node = &v;
  for (const char* key : path) {
    if (!node->is_object()) return nullptr;
    node = node->get_object().if_contains(key);
    if (!node) return nullptr;
  }
  return node;
}

}  // namespace

TEST_CASE("the review parser leaves out managedFields of request.object and request.oldObject only") {
  const std::string body = R"({
    "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
    "metadata": {"managedFields": ["kept: not in a request"]},
    "request": {
      "uid": "u", "managedFields": "kept: request itself",
      "object": {
        "metadata": {"name": "p", "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}}],
                     "annotations": {"managedFields": "kept: an annotation"}, "labels": {"a": "b"}},
        "spec": {"managedFields": {"kept": "not metadata"}, "containers": [{"name": "c"}]}
      },
      "oldObject": {"metadata": {"managedFields": null, "uid": "x"}},
      "options": {"metadata": {"managedFields": "kept: not object or oldObject"}}
    }
  })";
  const json::value v = parsed(body);
  CHECK(at(v, {"request", "object", "metadata", "managedFields"}) == nullptr);
  CHECK(at(v, {"request", "oldObject", "metadata", "managedFields"}) == nullptr);
  CHECK(at(v, {"metadata", "managedFields"}) != nullptr);
  CHECK(at(v, {"request", "managedFields"}) != nullptr);
  CHECK(at(v, {"request", "object", "metadata", "annotations", "managedFields"}) != nullptr);
  CHECK(at(v, {"request", "object", "spec", "managedFields"}) != nullptr);
  CHECK(at(v, {"request", "options", "metadata", "managedFields"}) != nullptr);
  // The objects around the skipped members have the right sizes and the members after them.
  CHECK(at(v, {"request", "object", "metadata"})->get_object().size() == 3);
  CHECK(at(v, {"request", "oldObject", "metadata"})->get_object().size() == 1);
  CHECK(*at(v, {"request", "object", "metadata", "labels", "a"}) == "b");

  json::value expected = reference(body);
  erase_keeping_order(expected.at("request").at("object").at("metadata").as_object(), "managedFields");
  erase_keeping_order(expected.at("request").at("oldObject").at("metadata").as_object(), "managedFields");
  CHECK(v == expected);
}

TEST_CASE("every kind of value is skipped whole, and escaped keys are read as their text") {
  for (const char* value : {R"([1, [2, {"a": [3]}], "x"])", R"({"a": {"b": {"c": [null]}}})", R"("text \" ] }")",
                            "12.5e3", "-7", "18446744073709551615", "true", "null", "[]", "{}"}) {
    const std::string body =
        std::string(R"({"request": {"object": {"metadata": {"a": 1, "managedFields": )") + value + R"(, "b": 2}}}})";
    INFO(body);
    const json::value v = parsed(body);
    CHECK(json::serialize(v) == R"({"request":{"object":{"metadata":{"a":1,"b":2}}}})");
  }
  // "managed\u0046ields" is the same key.
  const json::value v = parsed(R"({"request":{"object":{"metadata":{"managed\u0046ields":[1],"name":"n"}}}})");
  CHECK(json::serialize(v) == R"({"request":{"object":{"metadata":{"name":"n"}}}})");
}

TEST_CASE("the review parser reports what boost::json::parse reports") {
  for (const char* body : {R"({"request":{"object":{"metadata":{"managedFields":[1,}}}})",  // broken inside the skip
                           R"({"request":{}} trailing)", R"({"request":)", "", "[1,2"}) {
    INFO(body);
    std::error_code ours, theirs;
    (void)json::parse(body, theirs, {}, peergate::kubernetes_parse_options());
    (void)parse_review_body(body, ours, {});
    CHECK(theirs);
    CHECK(ours == theirs);
  }
  const std::string deep = std::string(600, '[') + std::string(600, ']');
  std::error_code ec;
  (void)parse_review_body(deep, ec, {});
  CHECK(ec);
}

TEST_CASE("the sample reviews and the fuzz corpus parse as boost::json::parse minus managedFields") {
  int compared = 0;
  for (const char* dir : {"samples/reviews", "fuzz/corpus/review_decoder", "tests/data"}) {
    const std::filesystem::path root = std::filesystem::path(PEERGATE_SOURCE_DIR) / dir;
    if (!std::filesystem::exists(root)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      const std::string body = slurp(entry.path());
      std::error_code theirs_ec, ours_ec;
      const json::value theirs = json::parse(body, theirs_ec, {}, peergate::kubernetes_parse_options());
      const json::value ours = parse_review_body(body, ours_ec, {});
      INFO(entry.path().string());
      REQUIRE(static_cast<bool>(ours_ec) == static_cast<bool>(theirs_ec));
      if (theirs_ec) continue;
      CHECK(json::serialize(ours) == json::serialize(without_managed_fields(theirs)));  // text: NaN never equals itself
      ++compared;
    }
  }
  CHECK(compared >= 20);
}
