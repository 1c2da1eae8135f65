// Fuzzes the request path end to end - bytes, decoding, each admission step, encoding - against
// the shipped policies plus one PeerPodVMPolicy with every limit set, so the VM annotation
// decoders (the sizes, instance type and image matching, cc_init_data's base64 and gzip and its
// digest by OpenSSL) run on every fuzzed peer pod, after the mutation wrote its sizes. Beyond
// "never crash" it checks the promises the API server relies on:
//  - every answer body is JSON;
//  - an answered review (HTTP 200) says allowed=true only when the outcome is allowed, so an
//    internal error is never let through, and echoes the request uid;
//  - a violation of a Deny policy (a namespace, accounting or VM rule) is never allowed;
//  - a patch is base64 of a JSON Patch that applies to the object under review;
//  - an object whose pod spec is hidden by a field of the wrong JSON type on the way to it (a
//    string spec) is never allowed: nothing says that it is not a peer pod (issue 9);
//  - the review parser (which builds only what the steps read) agrees with boost::json::parse on
//    every input: same errors, same document once pruned the slow way (fuzz/review_reference.hpp).
// A broken promise aborts, so libFuzzer (or the replay test) reports the input.

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json_parse.hpp"
#include "engine/json_patch.hpp"
#include "engine/policy/loader.hpp"
#include "fuzz/review_reference.hpp"
#include "fuzz/vm_limits_policy.hpp"
#include "webhook/handler.hpp"
#include "webhook/review_codec.hpp"
#include "webhook/review_parser.hpp"

namespace {

namespace json = boost::json;
using peergate::step_kind;
using peergate::testing::pruned_review;
using peergate::webhook::handler_result;
using peergate::webhook::outcome;

// The shipped policies and the VM policy above, loaded once; explicit defaults rather than the
// environment, so a run is reproducible. Any diagnostic aborts: a warning would mean that the
// policy does not say what the fuzzing relies on.
const peergate::policy_set& policies_under_test() {
  static const peergate::policy_snapshot policies = [] {
    peergate::policy_texts texts = peergate::read_policy_texts({});
    texts.sources.push_back({"<fuzz>/fuzz-vm-limits.yaml", std::string(peergate::testing::every_vm_limit_policy_yaml)});
    peergate::load_result loaded = peergate::load_policy_texts(texts, peergate::mutation_defaults{});
    if (!loaded.ok() || !loaded.problems.items().empty() || loaded.policies->vm_policies.size() != 1) {
      std::fprintf(stderr, "review_decoder_fuzz: the policies under test do not load cleanly:\n%s\n",
                   loaded.problems.render_text().c_str());
      std::abort();
    }
    return loaded.policies;
  }();
  return *policies;
}

[[noreturn]] void broken(const char* promise, step_kind step, const handler_result& r, std::string_view detail = {}) {
  std::fprintf(stderr, "review_decoder_fuzz: %s\n  step %s, outcome %s, HTTP %d, uid \"%s\"\n  %.*s\n  body: %s\n",
               promise, peergate::to_string(step), peergate::webhook::to_string(r.result), r.http_status,
               std::string(r.request.uid()).c_str(), static_cast<int>(detail.size()), detail.data(), r.body.c_str());
  std::abort();
}

// Standard base64 with padding, as encode_response writes it.
bool base64_decode(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  const std::size_t pad = in.ends_with("==") ? 2 : in.ends_with("=") ? 1 : 0;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : in.substr(0, in.size() - pad)) {
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* at = c == 0 ? nullptr : std::strchr(alphabet, c);
    if (!at) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(at - alphabet);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return true;
}

// Deep enough for anything the handler accepted (it parses requests up to max_json_depth).
json::value parse_json(std::string_view text, std::error_code& ec) {
  json::parse_options options;
  options.max_depth = 4096;
  return json::parse(text, ec, {}, options);
}

void check_patch(step_kind step, const handler_result& r, const json::object& response, std::string_view body) {
  const json::value* patch = response.if_contains("patch");
  if (!patch) return;
  const json::value* type = response.if_contains("patchType");
  if (!type || !type->is_string() || type->get_string() != "JSONPatch")
    broken("a patch without patchType JSONPatch", step, r);
  std::string text;
  if (!patch->is_string() || !base64_decode(patch->get_string(), text)) broken("the patch is not base64", step, r);
  std::error_code ec;
  json::value ops = parse_json(text, ec);
  if (ec || !ops.is_array()) broken("the patch is not a JSON array", step, r, text);
  // The object under review, whole (managedFields included), as the API server will patch it.
  json::value whole = json::parse(body, ec, {}, peergate::kubernetes_parse_options());
  const json::value* object_in_body = nullptr;
  if (!ec && whole.is_object())
    if (const json::value* request = whole.get_object().if_contains("request"); request && request->is_object())
      object_in_body = request->get_object().if_contains("object");
  if (!object_in_body) broken("a patch for a review without request.object", step, r);
  json::value object = *object_in_body;
  std::string error;
  if (!peergate::json_patch::apply(object, ops.get_array(), &error)) broken("the patch does not apply", step, r, error);
}

// The members on the way to the pod spec of an evaluated kind, written here apart from
// engine/pod_template.cpp so that the two can disagree; empty for anything else.
std::vector<std::string_view> pod_spec_path(const json::object& request) {
  const json::value* kind = request.if_contains("kind");
  if (!kind || !kind->is_object()) return {};
  const json::value* group = kind->get_object().if_contains("group");
  const json::value* name = kind->get_object().if_contains("kind");
  if (!group || !group->is_string() || !name || !name->is_string()) return {};
  const std::string_view g = group->get_string(), k = name->get_string();
  if (g.empty() && k == "Pod") return {"spec"};
  const bool apps = g == "apps" || g == "extensions";
  if ((apps && (k == "Deployment" || k == "ReplicaSet" || k == "DaemonSet")) || (g == "apps" && k == "StatefulSet") ||
      (g == "batch" && k == "Job"))
    return {"spec", "template", "spec"};
  if (g == "batch" && k == "CronJob") return {"spec", "jobTemplate", "spec", "template", "spec"};
  return {};
}

// A CREATE or UPDATE of an evaluated kind whose object is not an object, or has a member on the
// way to the pod spec that is set (not absent, not null) and not an object.
bool pod_spec_hidden(const json::value& document) {
  const json::value* request = document.is_object() ? document.get_object().if_contains("request") : nullptr;
  if (!request || !request->is_object()) return false;
  const json::object& req = request->get_object();
  const json::value* op = req.if_contains("operation");
  if (!op || !op->is_string() || (op->get_string() != "CREATE" && op->get_string() != "UPDATE")) return false;
  if (const json::value* sub = req.if_contains("subResource"); sub && !(sub->is_string() && sub->get_string().empty()))
    return false;
  const std::vector<std::string_view> path = pod_spec_path(req);
  const json::value* at = req.if_contains("object");
  if (path.empty() || !at || at->is_null()) return false;
  for (std::string_view key : path) {
    if (!at->is_object()) return true;
    at = at->get_object().if_contains(key);
    if (!at || at->is_null()) return false;
  }
  return !at->is_object();
}

void check(step_kind step, const handler_result& r, std::string_view body, bool hidden_pod_spec) {
  std::error_code ec;
  json::value answer = parse_json(r.body, ec);
  if (ec) broken("the answer is not JSON", step, r, ec.message());
  if (r.result == outcome::bad_request && r.http_status != 400) broken("bad_request without HTTP 400", step, r);
  if (r.http_status != 200) {
    if (r.result == outcome::allowed || r.result == outcome::denied) broken("a decision without HTTP 200", step, r);
    return;
  }
  const json::value* response = answer.is_object() ? answer.get_object().if_contains("response") : nullptr;
  if (!response || !response->is_object()) broken("a 200 answer without a response object", step, r);
  const json::object& res = response->get_object();
  const json::value* allowed = res.if_contains("allowed");
  if (!allowed || !allowed->is_bool()) broken("a 200 answer without a boolean response.allowed", step, r);
  if (allowed->get_bool() && r.result == outcome::error) broken("an internal error answered allowed=true", step, r);
  if (allowed->get_bool() != (r.result == outcome::allowed))
    broken("response.allowed disagrees with the outcome", step, r);
  const json::value* uid = res.if_contains("uid");
  if (!uid || !uid->is_string() || uid->get_string() != r.request.uid())
    broken("response.uid is not the request uid", step, r);
  if (hidden_pod_spec && allowed->get_bool())
    broken("an object whose pod spec is hidden by a wrong JSON type was allowed", step, r);
  for (const peergate::finding& f : r.findings)
    if (allowed->get_bool() && f.result == peergate::finding_result::violation && f.actions.deny)
      broken("a violation of a Deny policy was allowed", step, r, f.policy + " " + peergate::to_string(f.rule));
  check_patch(step, r, res, body);
}

void check_review_parser(std::string_view body) {
  std::error_code reference_error, review_error;
  const json::value reference = json::parse(body, reference_error, {}, peergate::kubernetes_parse_options());
  const json::value parsed = peergate::webhook::parse_review_body(body, review_error, {});
  if (static_cast<bool>(reference_error) != static_cast<bool>(review_error)) {
    std::fprintf(stderr, "review_decoder_fuzz: the parsers disagree on errors: boost \"%s\", review parser \"%s\"\n",
                 reference_error.message().c_str(), review_error.message().c_str());
    std::abort();
  }
  // Compared as text: a NaN (Boost.JSON 1.81 reads 0e400 as one) never equals itself.
  if (!reference_error && json::serialize(parsed) != json::serialize(pruned_review(reference))) {
    std::fprintf(stderr, "review_decoder_fuzz: the review parser's document differs from boost::json::parse's\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  check_review_parser(body);
  std::error_code ec;
  const bool hidden = pod_spec_hidden(json::parse(body, ec, {}, peergate::kubernetes_parse_options()));
  for (step_kind step : {step_kind::admit, step_kind::mutate, step_kind::validate}) {
    handler_result r = peergate::webhook::handle_review(step, body, policies_under_test());
    check(step, r, body, hidden);
  }
  return 0;
}
