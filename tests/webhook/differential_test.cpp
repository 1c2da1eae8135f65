// The webhook's review codec (fast_review_codec: the parser that builds only what the steps read,
// the response written straight into a string) gives the same answers as the reference codec it
// replaced (reference_review_codec: boost::json::parse of the whole body, the response serialized
// by Boost.JSON), for each step, byte for byte: on every review file of the tree (samples, goldens,
// test data, every fuzz corpus) and on thousands of random ones, hostile JSON included
// (tests/support/review_generator.hpp). The comparison itself is fuzz/review_differential.hpp,
// shared with fuzz/review_differential_fuzz.cpp.
//
// The random cases change with every run; a failure names the seed that reproduces it, and the
// case (case i depends on the seed and i alone):
//   PEERGATE_DIFFERENTIAL_SEED=<seed> build/tests/webhook_tests "*random reviews*"
// PEERGATE_DIFFERENTIAL_CASES=<n> runs more (or fewer) than the default 5000.

#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "engine/json_parse.hpp"
#include "engine/json_pruned_parse.hpp"
#include "fuzz/review_differential.hpp"
#include "tests/support/files.hpp"
#include "tests/support/review_generator.hpp"
#include "tests/support/vm_fixtures.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace peergate;
using peergate::testing::differential_result;
using peergate::testing::differential_steps;
using peergate::testing::file_bytes;
using peergate::testing::run_differential;
using peergate::webhook::handler_result;
using peergate::webhook::outcome;
using peergate::webhook::request_label_values;
using peergate::webhook::request_labels;

namespace {

std::string source_relative(const fs::path& path) { return fs::relative(path, PEERGATE_SOURCE_DIR).generic_string(); }

// Every regular file under `dir` whose name ends with `suffix` ("" for all), in path order.
std::vector<fs::path> files_under(const fs::path& dir, std::string_view suffix) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().string().ends_with(suffix)) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

// A bare object (a manifest, as tests/data/vm/objects holds) put in a review, its text as it is:
// for a CREATE, and for an UPDATE from itself. Nothing for a text that is not such an object.
std::vector<std::string> reviews_of_bare_object(const std::string& text) {
  std::error_code ec;
  const json::value v = json::parse(text, ec, {}, kubernetes_parse_options());
  const json::object* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return {};
  const json::value* kind = o->if_contains("kind");
  const json::value* api_version = o->if_contains("apiVersion");
  if (!kind || !kind->is_string() || kind->get_string() == "AdmissionReview" || !api_version ||
      !api_version->is_string())
    return {};
  const group_version_kind gvk = kind_of_object(api_version->get_string(), kind->get_string());
  std::string ns = "peer-pods";
  if (const json::value* m = o->if_contains("metadata"); m && m->is_object())
    if (const json::value* n = m->get_object().if_contains("namespace"); n && n->is_string()) ns = n->get_string();
  std::vector<std::string> out;
  for (const char* op : {"CREATE", "UPDATE"}) {
    json::object request{{"uid", "bare-object"},
                         {"kind", {{"group", gvk.group}, {"version", gvk.version}, {"kind", gvk.kind}}},
                         {"operation", op},
                         {"namespace", ns},
                         {"userInfo", {{"username", "alice"}}}};
    std::string review = R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":)";
    std::string head = json::serialize(request);
    head.pop_back();  // the closing brace: the object texts follow
    review += head + R"(,"object":)" + text;
    if (std::string_view(op) == "UPDATE") review += R"(,"oldObject":)" + text;
    review += "}}";
    out.push_back(std::move(review));
  }
  return out;
}

// The files of the tree that hold reviews or parts of them, each with the reviews made of it.
struct input {
  std::string name;
  std::string body;
};
std::vector<input> tree_inputs() {
  const fs::path root = PEERGATE_SOURCE_DIR;
  std::vector<fs::path> paths = files_under(root / "samples/reviews", "");
  for (const fs::path& p : files_under(root / "tests", ".json")) paths.push_back(p);
  for (const fs::path& p : files_under(root / "fuzz/corpus", "")) paths.push_back(p);
  std::vector<input> out;
  for (const fs::path& path : paths) {
    const std::string text = file_bytes(path);
    out.push_back({source_relative(path), text});
    int n = 0;
    for (std::string& review : reviews_of_bare_object(text))
      out.push_back(
          {source_relative(path) + " (in a review, " + (n++ == 0 ? "CREATE)" : "UPDATE)"), std::move(review)});
  }
  return out;
}

std::uint64_t run_seed() {
  if (const char* text = std::getenv("PEERGATE_DIFFERENTIAL_SEED"); text != nullptr && *text != '\0')
    return std::stoull(text, nullptr, 0);
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

std::size_t case_count() {
  if (const char* text = std::getenv("PEERGATE_DIFFERENTIAL_CASES"); text != nullptr && *text != '\0')
    return std::stoul(text);
  return 5000;
}

std::vector<std::string> initdata_fixtures() {
  std::vector<std::string> out;
  for (const fs::path& p : files_under(fs::path(PEERGATE_SOURCE_DIR) / "tests/data/initdata", ".b64")) {
    if (p.filename() == "zip-bomb.b64") continue;  // 100 MiB inflated up to its cap: slow, and covered by its golden
    out.push_back(file_bytes(p));
    while (!out.back().empty() && (out.back().back() == '\n' || out.back().back() == '\r')) out.back().pop_back();
  }
  return out;
}

// The bodies of one random run: case i comes from case_seed(seed, i) alone.
std::string random_body(std::uint64_t seed, std::size_t i, const std::vector<std::string>& initdata) {
  peergate::testing::review_generator generator(peergate::testing::case_seed(seed, i), initdata);
  return generator.next();
}

std::string describe(const std::string& name, step_kind step, const differential_result& r, std::string_view body) {
  return name + ", step " + to_string(step) + " (outcome fast " + webhook::to_string(r.fast.result) + ", reference " +
         webhook::to_string(r.reference.result) + "): " + r.difference +
         "\n  body: " + peergate::testing::differential_detail::printable(body, 2048);
}

// Every step of `body`: the first difference, described, or "".
std::string differ(const std::string& name, std::string_view body) {
  for (step_kind step : differential_steps) {
    const differential_result r = run_differential(step, body);
    if (!r.difference.empty()) return describe(name, step, r, body);
  }
  return {};
}

}  // namespace

TEST_CASE("the differential comparison decides at the tests' fixed time") {
  CHECK(peergate::testing::differential_now == peergate::testing::fixed_now);
}

namespace {

// One of the request's labels set to `value`, the others kept.
void relabel(handler_result& r, std::string_view request_label_values::*field, std::string_view value) {
  request_label_values values = r.request.values();
  values.*field = value;
  r.request = request_labels(values);
}

}  // namespace

TEST_CASE("the differential comparison reports a codec that differs in any field it compares") {
  const std::string body = file_bytes(fs::path(PEERGATE_SOURCE_DIR) / "samples/reviews/pod-peer-allowed.json");
  const handler_result same =
      peergate::testing::run_differential_step(step_kind::admit, body, webhook::fast_review_codec());
  REQUIRE(same.findings.size() >= 2);
  CHECK(peergate::testing::first_difference(same, same).empty());
  // One field changed at a time: each is noticed, document_bytes alone is not compared.
  const std::vector<void (*)(handler_result&)> changes = {
      [](handler_result& r) { r.http_status = 400; },
      [](handler_result& r) { r.body += ' '; },
      [](handler_result& r) { r.result = outcome::denied; },
      [](handler_result& r) { r.message = "m"; },
      [](handler_result& r) { relabel(r, &request_label_values::uid, "u"); },
      [](handler_result& r) { relabel(r, &request_label_values::operation, "UPDATE"); },
      [](handler_result& r) { relabel(r, &request_label_values::kind, "Deployment"); },
      [](handler_result& r) { relabel(r, &request_label_values::namespace_name, "n"); },
      [](handler_result& r) { relabel(r, &request_label_values::name, "n"); },
      [](handler_result& r) { relabel(r, &request_label_values::generate_name, "g"); },
      [](handler_result& r) { relabel(r, &request_label_values::username, "u"); },
      [](handler_result& r) { r.has_patch = !r.has_patch; },
      [](handler_result& r) { r.findings.pop_back(); },
      [](handler_result& r) { r.findings[1].policy += 'x'; },
      [](handler_result& r) { r.findings[1].rule = rule_kind::vm_image; },
      [](handler_result& r) { r.findings[1].actions.audit = !r.findings[1].actions.audit; },
      [](handler_result& r) { r.findings[1].result = finding_result::error; },
      [](handler_result& r) { r.findings[1].message += 'x'; },
      [](handler_result& r) { r.findings[1].exception = "e"; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    handler_result changed = same;
    changes[i](changed);
    INFO("change " << i);
    CHECK_FALSE(peergate::testing::first_difference(changed, same).empty());
  }
  handler_result other_memory = same;
  other_memory.document_bytes += 1;
  CHECK(peergate::testing::first_difference(other_memory, same).empty());
}

TEST_CASE("the fast and the reference codec answer the same for every review file of the tree") {
  const std::vector<input> inputs = tree_inputs();
  // samples/reviews, the goldens' and the test data's JSON, and every fuzz corpus.
  CHECK(inputs.size() >= 150);
  std::vector<std::string> differences;
  for (const input& in : inputs)
    if (std::string d = differ(in.name, in.body); !d.empty()) differences.push_back(std::move(d));
  for (const std::string& d : differences) UNSCOPED_INFO(d);
  CHECK(differences.empty());
}

TEST_CASE("the fast and the reference codec answer the same for random reviews, hostile JSON included") {
  const std::uint64_t seed = run_seed();
  const std::size_t cases = case_count();
  const std::vector<std::string> initdata = initdata_fixtures();
  REQUIRE(initdata.size() >= 5);
  std::size_t failures = 0;
  for (std::size_t i = 0; i < cases && failures < 5; ++i) {
    const std::string body = random_body(seed, i, initdata);
    if (std::string d = differ("case " + std::to_string(i), body); !d.empty()) {
      ++failures;
      FAIL_CHECK("PEERGATE_DIFFERENTIAL_SEED=" << seed << ", " << d);
    }
  }
  INFO("PEERGATE_DIFFERENTIAL_SEED=" << seed);
  CHECK(failures == 0);
}

// So that the random test cannot pass by testing nothing: whatever the seed, its cases reach
// every outcome and the parts of an answer that the encoders write.
TEST_CASE("the review generator spreads its cases over every outcome") {
  const std::uint64_t seed = run_seed();
  INFO("PEERGATE_DIFFERENTIAL_SEED=" << seed);
  const std::vector<std::string> initdata = initdata_fixtures();
  const std::size_t cases = 1500;
  std::size_t allowed = 0, denied = 0, bad_json = 0, bad_review = 0, refused_object = 0, patches = 0, warnings = 0,
              audit_annotations = 0, violations = 0, vm_violations = 0, exceptions = 0, exempt_users = 0,
              evaluated_peer_pods = 0, errors = 0, read_by_simdjson = 0;
  for (std::size_t i = 0; i < cases; ++i) {
    const std::string body = random_body(seed, i, initdata);
    read_by_simdjson += peergate::parse_pruned_reads_with_simdjson(body);
    for (step_kind step : differential_steps) {
      const handler_result r = peergate::testing::run_differential_step(step, body, webhook::fast_review_codec());
      allowed += r.result == outcome::allowed;
      denied += r.result == outcome::denied;
      errors += r.result == outcome::error;
      if (r.result == outcome::bad_request) {
        if (r.message.starts_with("the body is not valid JSON")) ++bad_json;
        else ++bad_review;
      }
      refused_object += r.result == outcome::denied && r.body.find("\"code\":400") != std::string::npos;
      patches += r.has_patch;
      warnings += r.body.find("\"warnings\":[") != std::string::npos;
      audit_annotations += r.body.find("\"auditAnnotations\":{") != std::string::npos;
      evaluated_peer_pods += !r.findings.empty();
      for (const finding& f : r.findings) {
        violations += f.result == finding_result::violation;
        vm_violations += f.result == finding_result::violation && f.rule != rule_kind::allowed_namespaces &&
                         f.rule != rule_kind::accounting && f.rule != rule_kind::mutation;
        exceptions += !f.exception.empty();
        exempt_users += f.result == finding_result::skip && f.message.find("is exempt") != std::string::npos;
      }
    }
  }
  const std::size_t answers = cases * std::size(differential_steps);
  INFO("allowed " << allowed << ", denied " << denied << ", bad JSON " << bad_json << ", bad review " << bad_review
                  << ", refused object " << refused_object << ", patches " << patches << ", warnings " << warnings
                  << ", audit annotations " << audit_annotations << ", violations " << violations << ", VM violations "
                  << vm_violations << ", exceptions " << exceptions << ", exempt users " << exempt_users
                  << ", with findings " << evaluated_peer_pods << ", errors " << errors << " of " << answers
                  << "; read by simdjson " << read_by_simdjson << " of " << cases);
  // About half of the least seen over 30 seeds.
  CHECK(allowed >= answers / 4);
  CHECK(denied >= answers / 20);
  CHECK(bad_json >= answers / 20);
  CHECK(bad_review >= answers / 20);
  CHECK(refused_object >= answers / 50);
  CHECK(patches >= answers / 100);
  CHECK(warnings >= answers / 50);
  CHECK(audit_annotations >= answers / 50);
  CHECK(violations >= answers / 10);
  CHECK(vm_violations >= answers / 20);
  CHECK(exceptions >= answers / 20);
  CHECK(exempt_users >= answers / 200);
  CHECK(evaluated_peer_pods >= answers / 10);
  CHECK(errors == 0);  // no internal error: an evaluation that throws is a bug of its own
  // Both readers of parse_pruned (engine/json_pruned_parse.hpp) are compared, each on many cases.
  CHECK(read_by_simdjson >= cases / 10);
  CHECK(cases - read_by_simdjson >= cases / 10);
}
