#include "webhook/handler.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "engine/policy/loader.hpp"

using namespace peergate;
using namespace peergate::webhook;
namespace json = boost::json;

namespace {
std::string sample(const std::string& name) {
  std::ifstream in(std::string(PEERGATE_SOURCE_DIR "/samples/reviews/") + name);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const policy_set& embedded() {
  static policy_snapshot p = load_policies({}, mutation_defaults{}).policies;
  REQUIRE(p);
  return *p;
}
}  // namespace

TEST_CASE("an apiserver-shaped peer pod review is allowed with a patch on admit and mutate, not on validate") {
  for (step_kind step : {step_kind::admit, step_kind::mutate}) {
    auto r = handle_review(step, sample("pod-peer-allowed.json"), embedded());
    CHECK(r.http_status == 200);
    CHECK(r.result == outcome::allowed);
    CHECK(r.has_patch);
    CHECK(r.request.uid() == "7f0e3a52-1c44-4d7b-9b8e-1a2b3c4d5e01");
    CHECK(r.request.name().empty());  // a controller's pod: no name yet, only its generateName
    CHECK(r.request.generate_name() == "inference-7d9c5b8f6d-");
    auto body = json::parse(r.body);
    CHECK(body.at("response").at("uid") == "7f0e3a52-1c44-4d7b-9b8e-1a2b3c4d5e01");
    CHECK(body.at("response").at("patchType") == "JSONPatch");
  }
  auto v = handle_review(step_kind::validate, sample("pod-peer-allowed.json"), embedded());
  CHECK(v.result == outcome::allowed);
  CHECK_FALSE(v.has_patch);
}

TEST_CASE("a peer pod in default is denied on admit and validate, mutate alone allows and patches") {
  auto a = handle_review(step_kind::admit, sample("pod-peer-denied.json"), embedded());
  CHECK(a.result == outcome::denied);
  auto body = json::parse(a.body);
  CHECK(body.at("response").at("allowed") == false);
  CHECK(body.at("response").at("status").at("code") == 403);
  CHECK(handle_review(step_kind::validate, sample("pod-peer-denied.json"), embedded()).result == outcome::denied);
  auto m = handle_review(step_kind::mutate, sample("pod-peer-denied.json"), embedded());
  CHECK(m.result == outcome::allowed);
  CHECK(m.has_patch);
}

TEST_CASE("bad bodies are 400 with a JSON error, never an answered review") {
  for (const char* body : {"", "{", "null", R"({"kind":"AdmissionReview"})"}) {
    auto r = handle_review(step_kind::admit, body, embedded());
    CHECK(r.http_status == 400);
    CHECK(r.result == outcome::bad_request);
    CHECK(json::parse(r.body).at("error").is_string());
  }
}

TEST_CASE("error bodies are one JSON object holding the message, whatever it contains") {
  CHECK(error_body("not found") == R"({"error":"not found"})");
  for (std::string_view message : {"quote \" and backslash \\", "line\nbreak", "bad \xFF byte", ""}) {
    INFO(message);
    const json::value body = json::parse(error_body(message));
    REQUIRE(body.as_object().size() == 1);
    CHECK(body.at("error").as_string() ==
          (message == "bad \xFF byte" ? std::string_view("bad \xEF\xBF\xBD byte") : message));
  }
}

TEST_CASE("v1beta1 reviews are answered in v1beta1") {
  std::string body = sample("pod-peer-denied.json");
  body.replace(body.find("admission.k8s.io/v1"), 19, "admission.k8s.io/v1beta1");
  auto r = handle_review(step_kind::admit, body, embedded());
  CHECK(json::parse(r.body).at("apiVersion") == "admission.k8s.io/v1beta1");
}

TEST_CASE("an evaluation that throws is refused with code 500, never allowed") {
  auto throwing = [](admission_request&, const void*) -> decision { throw std::runtime_error("boom"); };
  auto r = handle_review(+throwing, nullptr, sample("pod-peer-allowed.json"));
  CHECK(r.result == outcome::error);
  CHECK(r.http_status == 200);  // answered, so the apiserver applies our refusal, not failurePolicy
  auto body = json::parse(r.body);
  CHECK(body.at("response").at("uid") == "7f0e3a52-1c44-4d7b-9b8e-1a2b3c4d5e01");
  CHECK(body.at("response").at("allowed") == false);
  CHECK(body.at("response").at("status").at("code") == 500);
  CHECK_THAT(std::string(body.at("response").at("status").at("message").as_string()), Catch::Contains("boom"));
  CHECK_FALSE(body.at("response").as_object().contains("patch"));
}

TEST_CASE("a review over its memory budget while decoding is answered 413 with a JSON error") {
  // 100 000 zeros kept by the review parser: 200 KB of body, 2.4 MB of json::value on the
  // parser's stack alone.
  std::string body = sample("pod-peer-allowed.json");
  std::string zeros = "\"padding\":[0";
  for (int i = 1; i < 100'000; ++i) zeros += ",0";
  zeros += "],";
  // Under metadata.annotations, which the review parser keeps whole: a document tree is built.
  // (Under spec, a part no step reads, the zeros would be scanned and never built.)
  body.insert(body.find('{', body.find("\"metadata\"", body.find("\"object\""))) + 1,
              "\"annotations\":{" + zeros.substr(0, zeros.size() - 1) + "},");
  REQUIRE(handle_review(step_kind::admit, body, embedded()).result == outcome::allowed);  // no cap

  auto r = handle_review(step_kind::admit, body, embedded(), 1024 * 1024);
  CHECK(r.http_status == 413);
  CHECK(r.result == outcome::bad_request);
  CHECK(r.request.uid().empty());
  CHECK(r.document_bytes <= 1024 * 1024);
  CHECK_THAT(std::string(json::parse(r.body).at("error").as_string()),
             Catch::Contains("--max-document-bytes") && Catch::Contains("1048576"));

  // The same review under a budget that fits it: answered as without one, and counted.
  auto fits = handle_review(step_kind::admit, body, embedded(), 64 * 1024 * 1024);
  CHECK(fits.http_status == 200);
  CHECK(fits.result == outcome::allowed);
  CHECK(fits.document_bytes > 2'400'000);
  CHECK(fits.document_bytes < 64 * 1024 * 1024);
}

TEST_CASE("a review over its memory budget while evaluated is refused with code 413, never allowed") {
  // An evaluation that takes 4 MiB from the review's arena.
  auto greedy = [](admission_request& req, const void*) -> decision {
    json::array a(req.object.storage());
    a.resize(4 * 1024 * 1024 / sizeof(json::value));
    decision d;
    d.allowed = true;
    return d;
  };
  auto r = handle_review(+greedy, nullptr, sample("pod-peer-allowed.json"), 1024 * 1024);
  CHECK(r.http_status == 200);  // answered, so the apiserver applies our refusal, not failurePolicy
  CHECK(r.result == outcome::denied);
  auto body = json::parse(r.body);
  CHECK(body.at("response").at("uid") == "7f0e3a52-1c44-4d7b-9b8e-1a2b3c4d5e01");
  CHECK(body.at("response").at("allowed") == false);
  CHECK(body.at("response").at("status").at("code") == 413);
  CHECK(body.at("response").at("status").at("reason") == "RequestEntityTooLarge");
  CHECK_THAT(std::string(body.at("response").at("status").at("message").as_string()),
             Catch::Contains("--max-document-bytes"));

  auto unbounded = handle_review(+greedy, nullptr, sample("pod-peer-allowed.json"));
  CHECK(unbounded.result == outcome::allowed);
  CHECK(unbounded.document_bytes >= 4 * 1024 * 1024);
}

// The seven labels share one string: each reads back as given, empty ones included, in copies and
// after a move (short fields sit in the string's inline buffer, which a move copies).
TEST_CASE("request_labels keeps each label apart in one string") {
  const request_label_values given{.uid = "7f0e3a52-1c44-4d7b-9b8e-1a2b3c4d5e01",
                                   .operation = "CREATE",
                                   .kind = "Pod",
                                   .namespace_name = "",
                                   .name = "",
                                   .generate_name = "web-",
                                   .username = "system:serviceaccount:kube-system:replicaset-controller"};
  const auto same = [&given](const request_labels& labels) {
    const request_label_values got = labels.values();
    CHECK(got.uid == given.uid);
    CHECK(got.operation == given.operation);
    CHECK(got.kind == given.kind);
    CHECK(got.namespace_name.empty());
    CHECK(got.name.empty());
    CHECK(got.generate_name == given.generate_name);
    CHECK(got.username == given.username);
    CHECK(labels.uid() == given.uid);
    CHECK(labels.username() == given.username);
  };
  request_labels labels(given);
  same(labels);
  const request_labels copy = labels;
  same(copy);
  const request_labels moved = std::move(labels);
  same(moved);
  const request_labels short_ones({.uid = "u", .operation = "DELETE", .kind = "Pod", .name = "a"});
  request_labels short_moved = short_ones;
  const request_labels target = std::move(short_moved);
  CHECK(target.uid() == "u");
  CHECK(target.operation() == "DELETE");
  CHECK(target.kind() == "Pod");
  CHECK(target.name() == "a");
  CHECK(target.username().empty());
  CHECK(request_labels().uid().empty());
}
