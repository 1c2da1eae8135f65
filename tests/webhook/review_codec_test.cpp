#include "webhook/review_codec.hpp"

#include "webhook/review_reference.hpp"
#include "tests/support/random_json.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>

using namespace peergate;
using namespace peergate::webhook;
namespace json = boost::json;

namespace {
std::string read(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string decode_base64(std::string_view in) {
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (char c : in) {
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* p = std::strchr(alphabet, c);
    if (c == '=' || !p) continue;
    value = (value << 6) | unsigned(p - alphabet);
    if ((bits += 6) >= 8) out += char((value >> (bits -= 8)) & 0xFF);
  }
  return out;
}
}  // namespace

TEST_CASE("the upstream AdmissionReview fixture decodes field by field") {
  auto r = decode_review(
      read(PEERGATE_SHARED_DIR "/fixtures/upstream/k8s-api-testdata-admission.k8s.io.v1.AdmissionReview.json"));
  // operationValue is a placeholder, not an operation: a clear error, not a crash.
  REQUIRE_FALSE(r.review);
  CHECK_THAT(r.error, Catch::Contains("request.operation \"operationValue\""));

  json::value doc = json::parse(
      read(PEERGATE_SHARED_DIR "/fixtures/upstream/k8s-api-testdata-admission.k8s.io.v1.AdmissionReview.json"));
  doc.at("request").as_object()["operation"] = "UPDATE";
  auto ok = decode_review(doc);
  REQUIRE(ok.review);
  const auto& q = ok.review->request;
  CHECK(ok.review->api_version == "admission.k8s.io/v1");
  CHECK(q.uid == "uidValue");
  CHECK(q.kind.group == "groupValue");
  CHECK(q.kind.kind == "kindValue");
  CHECK(q.sub_resource == "subResourceValue");
  CHECK(q.name == "nameValue");
  CHECK(q.namespace_name == "namespaceValue");
  CHECK(q.op == operation::update);
  CHECK(q.user.username == "usernameValue");
  CHECK(q.user.groups == json::array{"groupsValue"});
  CHECK(q.object.at("kind") == "CustomType");
  CHECK(q.old_object.at("spec").at("replicas") == 1);
  CHECK(q.dry_run);
}

TEST_CASE("malformed reviews give clear errors") {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not valid JSON"},
      {"[1]", "not a JSON object"},
      {R"({"kind":"Pod","apiVersion":"v1"})", "kind is \"Pod\""},
      {R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v2"})", "unsupported AdmissionReview apiVersion"},
      {R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"})", "no request object"},
      {R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"operation":"CREATE"}})",
       "request.uid is required"},
      {R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"","operation":"CREATE"}})",
       "must not be empty"},
      {R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":7,"operation":"CREATE"}})",
       "request.uid must be a string"},
      {R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","operation":"CREATE"}})",
       "request.kind must be an object"},
      {R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","operation":"CREATE","kind":{"kind":"Pod"},"userInfo":{"groups":"x"}}})",
       "groups must be a list"},
      {R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","operation":"CREATE","kind":{"kind":"Pod"},"dryRun":"yes"}})",
       "dryRun"},
  };
  for (auto [body, expected] : cases) {
    INFO(body);
    auto r = decode_review(std::string_view(body));
    REQUIRE_FALSE(r.review);
    CHECK_THAT(r.error, Catch::Contains(expected));
  }
}

TEST_CASE("deeply nested objects (managedFields) decode beyond Boost.JSON's default depth") {
  std::string nested;
  for (int i = 0; i < 100; ++i) nested += R"({"f":)";
  nested += "1";
  for (int i = 0; i < 100; ++i) nested += "}";
  auto r = decode_review(
      R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","operation":"CREATE","kind":{"kind":"Pod"},"object":)" +
      nested + "}}");
  CHECK(r.review);
}

TEST_CASE("responses: uid echoed, status on denial, patch and patchType together, warnings, audit annotations") {
  decision denied;
  denied.allowed = false;
  denied.code = 403;
  denied.message = "[p] no";
  json::value out = json::parse(encode_response("admission.k8s.io/v1beta1", "abc", denied));
  CHECK(out.at("apiVersion") == "admission.k8s.io/v1beta1");
  CHECK(out.at("kind") == "AdmissionReview");
  const auto& resp = out.at("response").as_object();
  CHECK(resp.at("uid") == "abc");
  CHECK(resp.at("allowed") == false);
  CHECK(resp.at("status").at("code") == 403);
  CHECK(resp.at("status").at("message") == "[p] no");
  CHECK_FALSE(resp.contains("patch"));
  CHECK_FALSE(resp.contains("patchType"));

  decision patched;
  const json::value one = "1";
  patched.patch.append("add", "/a~1b", &one);
  patched.warnings = {"w1"};
  patched.audit_annotations = {{"p", "m"}};
  json::value ok = json::parse(encode_response("admission.k8s.io/v1", "u", patched));
  const auto& r = ok.at("response").as_object();
  CHECK(r.at("allowed") == true);
  CHECK(r.at("patchType") == "JSONPatch");
  CHECK(json::parse(decode_base64(r.at("patch").as_string())) ==
        json::array{json::object{{"op", "add"}, {"path", "/a~1b"}, {"value", "1"}}});
  CHECK(r.at("warnings") == json::array{"w1"});
  CHECK(r.at("auditAnnotations") == json::object{{"p", "m"}});

  json::value plain = json::parse(encode_response("admission.k8s.io/v1", "u", decision{}));
  CHECK_FALSE(plain.at("response").as_object().contains("patchType"));
  CHECK_FALSE(plain.at("response").as_object().contains("warnings"));
}

// The scalar reference, which the reference codec uses: RFC 4648's vectors, and every length up
// to 300 of bytes of every value read back. The differential tests hold append_base64 to it.
TEST_CASE("append_base64_reference writes RFC 4648 base64, padding included") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    std::string out;
    append_base64_reference(out, plain);
    CHECK(out == encoded);
  }
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes += static_cast<char>((i * 131 + 7) & 0xFF);
    std::string out = "prefix:";
    append_base64_reference(out, bytes);
    REQUIRE(out.size() == 7 + (bytes.size() + 2) / 3 * 4);
    CHECK(decode_base64(std::string_view(out).substr(7)) == bytes);
  }
}

// The AVX2 kernel takes 24 bytes a step and leaves the rest to the scalar loop: every length up
// to 400 (each remainder, several steps) of random bytes, at every offset of a 32-byte block.
TEST_CASE("append_base64 writes what append_base64_reference writes") {
  INFO("the AVX2 kernel runs: " << base64_uses_avx2());
  std::mt19937 random(24);
  std::string buffer(440, '\0');
  for (char& c : buffer) c = static_cast<char>(random());
  for (std::size_t offset = 0; offset < 32; ++offset) {
    for (std::size_t length = 0; length <= 400; ++length) {
      const std::string_view in(buffer.data() + offset, length);
      std::string fast = "prefix:";
      std::string reference = "prefix:";
      append_base64(fast, in);
      append_base64_reference(reference, in);
      REQUIRE(fast == reference);
    }
  }
  CHECK(base64_encode("\xff\xfe\xfd") == "//79");
  CHECK(base64_encode(std::string(30, '\xff')) == std::string(40, '/'));
}

TEST_CASE("the patch's text is sent base64-encoded as the reference codec sends it, whatever its length") {
  std::mt19937 random(12);
  for (int i = 0; i < 500; ++i) {
    decision patched;
    for (std::size_t n = 1 + random() % (i % 4 == 0 ? 60 : 3); n > 0; --n) {
      const json::value value = peergate::testing::random_value(random, 3);
      patched.patch.append(random() % 2 == 0 ? "add" : "replace", "/a~1b/0", random() % 5 == 0 ? nullptr : &value);
    }
    const std::string fast = encode_response("admission.k8s.io/v1", "u", patched);
    const std::string reference = encode_response_reference("admission.k8s.io/v1", "u", patched);
    INFO(patched.patch.text());
    REQUIRE(fast == reference);
  }
}

TEST_CASE("review_body takes a string's spare capacity as the parser's padding only when there is enough") {
  std::string tight(100, 'x');
  tight.shrink_to_fit();
  CHECK_FALSE(review_body(tight).padded);
  std::string roomy;
  roomy.reserve(100 + peergate::in_place_padding);
  roomy.assign(100, 'x');
  CHECK(review_body(roomy).padded);
  CHECK_FALSE(review_body(std::string_view(roomy)).padded);  // a view says nothing of what follows
  CHECK(review_body(std::string_view(tight), true).padded);  // unless its owner says so
  CHECK_FALSE(review_body("{}").padded);
}
