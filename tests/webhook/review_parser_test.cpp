// The review parser against boost::json::parse: the same document once pruned the slow way to
// what the steps read (pruned_copy with review_shape()), and the same errors.
#include "webhook/review_parser.hpp"

#include <boost/container/pmr/global_resource.hpp>
#include <boost/container/pmr/memory_resource.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/json_parse.hpp"
#include "fuzz/review_reference.hpp"
#include "tests/support/files.hpp"

namespace json = boost::json;
using peergate::testing::file_bytes;
using peergate::testing::pruned_review;
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

}  // namespace

TEST_CASE("the review parser keeps what the steps read and leaves out the rest") {
  const std::string body = R"({
    "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
    "metadata": {"managedFields": ["not read"]},
    "request": {
      "uid": "u", "resource": {"group": "", "version": "v1", "resource": "pods"},
      "userInfo": {"username": "alice", "uid": "x", "groups": ["g"], "extra": {"k": ["v"]}},
      "object": {
        "apiVersion": "v1",
        "metadata": {"name": "p", "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:metadata": {}}}],
                     "annotations": {"managedFields": "kept: an annotation"}, "labels": {"a": "b"}},
        "spec": {"runtimeClassName": "kata-remote", "volumes": [{"name": "v"}],
                 "containers": [{"name": "c", "image": "i", "env": [{"name": "E"}], "resources": {"limits": {"cpu": 1}}},
                                {"image": "j"}]},
        "status": {"phase": "Pending"}
      },
      "oldObject": {"metadata": {"managedFields": null, "uid": "x"}},
      "options": {"kind": "CreateOptions"}
    }
  })";
  const json::value v = parsed(body);
  CHECK(json::serialize(v) ==
        R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u",)"
        R"("userInfo":{"username":"alice","groups":["g"]},)"
        R"("object":{"metadata":{"name":"p","annotations":{"managedFields":"kept: an annotation"}},)"
        R"("spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","resources":{"limits":{"cpu":1}}},{}]}},)"
        R"("oldObject":{"metadata":{}}}})");
  CHECK(v == pruned_review(reference(body)));
}

TEST_CASE("every kind of value is skipped whole, and escaped keys are read as their text") {
  for (const char* value : {R"([1, [2, {"a": [3]}], "x"])", R"({"a": {"b": {"c": [null]}}})", R"("text \" ] }")",
                            "12.5e3", "-7", "18446744073709551615", "true", "null", "[]", "{}"}) {
    const std::string body = std::string(R"({"request": {"object": {"metadata": {"name": 1, "managedFields": )") +
                             value + R"(, "namespace": 2}}}})";
    INFO(body);
    const json::value v = parsed(body);
    CHECK(json::serialize(v) == R"({"request":{"object":{"metadata":{"name":1,"namespace":2}}}})");
  }
  // "runtimeClass\u004eame" is runtimeClassName, "managed\u0046ields" is managedFields.
  const json::value v = parsed(
      R"({"request":{"object":{"metadata":{"managed\u0046ields":[1],"name":"n"},"spec":{"runtimeClass\u004eame":"k"}}}})");
  CHECK(json::serialize(v) == R"({"request":{"object":{"metadata":{"name":"n"},"spec":{"runtimeClassName":"k"}}}})");
}

TEST_CASE("a value of another type than the shape expects is kept as its type only") {
  // containers as an object, spec as an array, metadata as a string, a container as a number:
  // the steps name the type they find, never the content.
  const json::value v = parsed(
      R"({"request":{"object":{"metadata":"m","spec":{"containers":{"a":[1,2]},"initContainers":[7,{"name":"i","x":1}]}},)"
      R"("oldObject":{"spec":[{"containers":[]},2]}}})");
  CHECK(json::serialize(v) ==
        R"({"request":{"object":{"metadata":"m","spec":{"containers":{},"initContainers":[7,{"name":"i"}]}},)"
        R"("oldObject":{"spec":[]}}})");
}

TEST_CASE("an array no reader uses costs no memory: a million numbers under spec build nothing") {
  std::string body = R"({"request":{"uid":"u","object":{"spec":{"filler":[)";
  for (int i = 0; i < 1000000; ++i) body += i == 0 ? "0" : ",0";
  body += R"(],"runtimeClassName":"kata-remote"}}}})";
  // Every allocation the parser makes goes through this resource: it must stay small.
  struct counting_resource : boost::container::pmr::memory_resource {
    std::size_t bytes = 0;
    void* do_allocate(std::size_t n, std::size_t align) override {
      bytes += n;
      return boost::container::pmr::new_delete_resource()->allocate(n, align);
    }
    void do_deallocate(void* p, std::size_t n, std::size_t align) override {
      boost::container::pmr::new_delete_resource()->deallocate(p, n, align);
    }
    bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }
  } counted;
  std::error_code ec;
  const json::value v = parse_review_body(body, ec, &counted, &counted);
  REQUIRE(!ec);
  CHECK(json::serialize(v) == R"({"request":{"uid":"u","object":{"spec":{"runtimeClassName":"kata-remote"}}}})");
  CHECK(counted.bytes < 64 * 1024);
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

TEST_CASE("the sample reviews and the fuzz corpus parse as boost::json::parse pruned the slow way") {
  int compared = 0;
  for (const char* dir : {"samples/reviews", "fuzz/corpus/review_decoder", "tests/data"}) {
    const std::filesystem::path root = std::filesystem::path(PEERGATE_SOURCE_DIR) / dir;
    if (!std::filesystem::exists(root)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      const std::string body = file_bytes(entry.path());
      std::error_code theirs_ec, ours_ec;
      const json::value theirs = json::parse(body, theirs_ec, {}, peergate::kubernetes_parse_options());
      const json::value ours = parse_review_body(body, ours_ec, {});
      INFO(entry.path().string());
      REQUIRE(static_cast<bool>(ours_ec) == static_cast<bool>(theirs_ec));
      if (theirs_ec) continue;
      CHECK(json::serialize(ours) == json::serialize(pruned_review(theirs)));  // text: NaN never equals itself
      ++compared;
    }
  }
  CHECK(compared >= 20);
}

// The two readers of parse_pruned (engine/json_pruned_parse.hpp): simdjson for the usual review,
// Boost.JSON's tokenizer for everything simdjson refuses or is not trusted with. Each case says
// which reader it reaches, so that a change of the limits cannot leave a path untested.
TEST_CASE("simdjson reads the usual reviews, and what it leaves to Boost.JSON gets Boost.JSON's answer") {
  using peergate::parse_pruned_reads_with_simdjson;
  for (const char* name :
       {"pod-peer-allowed.json", "pod-peer-denied.json", "pod-peer-kube-system.json", "pod-runc.json"}) {
    const std::string body = file_bytes(std::filesystem::path(PEERGATE_SOURCE_DIR) / "samples/reviews" / name);
    INFO(name);
    CHECK(parse_pruned_reads_with_simdjson(body));
    CHECK(parsed(body) == pruned_review(reference(body)));
  }

  const auto wrap = [](std::string_view annotation, std::string_view skipped) {
    return std::string(R"({"request":{"object":{"metadata":{"annotations":{"a":)") + std::string(annotation) +
           R"(}},"spec":{"x":)" + std::string(skipped) + "}}}}";
  };
  SECTION("integers, strings, escapes and surrogate pairs: simdjson, the same values") {
    for (const std::string& body :
         {wrap("-0", "[1,2]"), wrap("9223372036854775807", "{}"), wrap("-9223372036854775808", "0"),
          wrap("18446744073709551615", "true"), wrap(R"("\ud83d\ude00 \u00e9 \" \\ \/ \b\f\n\r\t \u0000")", "null"),
          wrap(R"("é ü 中 😀")", R"("\u004e")")}) {
      INFO(body);
      CHECK(parse_pruned_reads_with_simdjson(body));
      CHECK(json::serialize(parsed(body)) == json::serialize(pruned_review(reference(body))));
    }
  }
  SECTION("a double anywhere, kept or not: Boost.JSON, whose rounding and refusals differ from simdjson's") {
    // Boost.JSON 1.81 reads 2.2250738585072011e-308 as ...014e-308 and refuses the exponent of
    // 0e99999999999999999999, which simdjson reads as 0.
    for (const std::string& body : {wrap("2.2250738585072011e-308", "0"), wrap("1", "1.5"), wrap("1", "1e400"),
                                    wrap("\"a\"", "0e99999999999999999999"), wrap("0.0e99999", "0")}) {
      INFO(body);
      CHECK(!parse_pruned_reads_with_simdjson(body));
      std::error_code ours, theirs;
      const json::value theirs_value = json::parse(body, theirs, {}, peergate::kubernetes_parse_options());
      const json::value ours_value = parse_review_body(body, ours, {});
      CHECK(ours == theirs);
      if (!theirs) CHECK(json::serialize(ours_value) == json::serialize(pruned_review(theirs_value)));
    }
  }
  SECTION("integers beyond 64 bits, deep nesting, long texts: Boost.JSON") {
    std::string long_text = wrap("\"" + std::string(130 * 1024, 'x') + "\"", "0");
    for (const std::string& body : {wrap("1", "123456789012345678901234567890"),
                                    wrap("1", std::string(300, '[') + std::string(300, ']')), long_text}) {
      CHECK(!parse_pruned_reads_with_simdjson(body));
      CHECK(json::serialize(parsed(body)) == json::serialize(pruned_review(reference(body))));
    }
  }
  SECTION("what both refuse is refused with Boost.JSON's error") {
    for (const std::string& body :
         {std::string("\xef\xbb\xbf") + wrap("1", "0"), wrap(R"("\ud800")", "0"), wrap(R"("\udc00\ud800")", "0"),
          wrap("\"\xed\xa0\x80\"", "0"), wrap("\"\xc0\x80\"", "0"), wrap("\"\x01\"", "0"), wrap("1", "[1,]"),
          wrap("1", "01"), wrap("1", "tru"), wrap("1", "{\"a\" 1}"), wrap("1", "0") + " x", wrap("1", "0") + "{}"}) {
      INFO(body);
      CHECK(!parse_pruned_reads_with_simdjson(body));
      std::error_code ours, theirs;
      (void)json::parse(body, theirs, {}, peergate::kubernetes_parse_options());
      (void)parse_review_body(body, ours, {});
      CHECK(theirs);
      CHECK(ours == theirs);
    }
  }
}
