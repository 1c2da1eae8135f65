#pragma once
// The webhook's own review codec (fast_review_codec: the pruning parser of webhook/review_parser.hpp
// and encode_response written by hand) against the plain one it replaced (reference_review_codec:
// boost::json::parse of the whole body, the response built as a json::object): one body through
// webhook::handle_review with each, same policies, same time of decision, and every field of the
// two handler_results compared but document_bytes (the memory they take is what differs).
// Shared by tests/webhook/differential_test.cpp and fuzz/review_differential_fuzz.cpp (here rather
// than in tests/support: the container build copies fuzz/, not tests/).

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/chain.hpp"
#include "engine/json_patch.hpp"
#include "engine/mutation.hpp"
#include "engine/policy/loader.hpp"
#include "engine/request_subject.hpp"
#include "engine/vm/initdata.hpp"
#include "fuzz/vm_limits_policy.hpp"
#include "webhook/digest_openssl.hpp"
#include "webhook/handler.hpp"
#include "webhook/review_codec.hpp"
#include "webhook/review_reference.hpp"

namespace peergate::testing {

// Besides the shipped policies (a Deny PeerPodPolicy for kata-remote, the upstream mutation with
// its accounting warning) and every_vm_limit_policy_yaml (fuzz/vm_limits_policy.hpp, a Deny
// PeerPodVMPolicy with every limit, in every namespace): a
// [Warn, Audit] one with a message of its own, so that violations reach warnings and audit
// annotations; and exceptions: one active near its expiry (a skip, an audit annotation and a
// warning), one for named objects only, one expired. Texts with quotes, so that the answers have
// something to escape.
inline constexpr std::string_view differential_policies_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata:
  name: diff-vm-audit
spec:
  runtimeClassNames: [kata-remote]
  validationActions: [Warn, Audit]
  namespaces: ["confidential-*", {regex: "coco-audit.*"}]
  vm:
    instanceTypes: ["m6a.large"]
    maxVCPUs: 2
    maxMemory: 2Gi
    images: []
  message: "\"{rule}\" of {kind} {name} in {namespace}: {requested}, at most {limit} ({policy})"
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicyException
metadata:
  name: diff-trial
spec:
  policies: [peer-pods-allowed-namespaces, fuzz-vm-limits]
  namespaces: ["trial-*"]
  expires: "2026-12-05T00:00:00Z"
  reason: "OPS-1: a \"trial\" \\ near its end"
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicyException
metadata:
  name: diff-trainers
spec:
  policies: [fuzz-vm-limits, diff-vm-audit]
  namespaces: ["confidential-exempt", "team-a"]
  objects: ["trainer-*", "train"]
  expires: "2027-06-01T00:00:00Z"
  reason: "OPS-2: trainers"
  warnBefore: 1h
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicyException
metadata:
  name: diff-expired
spec:
  policies: [peer-pods-allowed-namespaces, fuzz-vm-limits]
  namespaces: ["team-a", "default"]
  expires: "2026-11-01T00:00:00Z"
  reason: "OPS-0: over"
)yaml";

// The time every review is decided at: tests/support/vm_fixtures.hpp's fixed_now,
// 2026-12-01T00:00:00Z (diff-trial expires four days later: within its warnBefore).
inline const std::chrono::system_clock::time_point differential_now =
    std::chrono::sys_days{std::chrono::year{2026} / std::chrono::December / 1};

// The shipped policies and the ones above, loaded once with explicit defaults (never the
// environment) and no load time (no expiry warnings): any diagnostic aborts, since the comparison
// would then run against policies that do not say what it relies on.
inline const policy_set& differential_policies() {
  static const policy_snapshot policies = [] {
    policy_texts texts = read_policy_texts({});
    texts.sources.push_back({"<differential>/vm-limits.yaml", std::string(every_vm_limit_policy_yaml)});
    texts.sources.push_back({"<differential>/policies.yaml", std::string(differential_policies_yaml)});
    load_result loaded = load_policy_texts(texts, mutation_defaults{}, std::nullopt);
    if (!loaded.ok() || !loaded.problems.items().empty() || loaded.policies->vm_policies.size() != 2 ||
        loaded.policies->exceptions.size() != 3) {
      std::fprintf(stderr, "review differential: the policies under test do not load cleanly:\n%s\n",
                   loaded.problems.render_text().c_str());
      std::abort();
    }
    return loaded.policies;
  }();
  return *policies;
}

namespace differential_detail {

struct step_context {
  step_kind step;
  const policy_set* policies;
};

// The server's evaluation (webhook/handler.cpp) with the clock replaced by differential_now.
inline decision evaluate_at_fixed_time(admission_request& request, const void* context) {
  const auto& c = *static_cast<const step_context*>(context);
  const evaluation_context evaluation{webhook::openssl_digests(), differential_now};
  return run_step_in_place(c.step, request, *c.policies, evaluation);
}

// A text that may hold any byte, quoted for a message: \xNN for what is not printable ASCII.
inline std::string printable(std::string_view text, std::size_t limit = 4096) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out += text.size() > limit ? "\"..." : "\"";
  return out;
}

inline void compare(std::string& out, const char* field, std::string_view fast, std::string_view reference) {
  if (out.empty() && fast != reference)
    out = std::string(field) + " differs:\n  fast:      " + printable(fast) + "\n  reference: " + printable(reference);
}
inline void compare(std::string& out, const char* field, long long fast, long long reference) {
  if (out.empty() && fast != reference)
    out = std::string(field) + " differs: fast " + std::to_string(fast) + ", reference " + std::to_string(reference);
}

inline std::string actions_text(const validation_actions& a) {
  return std::string(a.deny ? "deny " : "") + (a.warn ? "warn " : "") + (a.audit ? "audit" : "");
}

}  // namespace differential_detail

// Both runs of one body, and their first difference ("" when the results are the same).
struct differential_result {
  webhook::handler_result fast;
  webhook::handler_result reference;
  std::string difference;
};

// Every field of two handler_results but document_bytes, the findings one by one; "" when equal.
inline std::string first_difference(const webhook::handler_result& fast, const webhook::handler_result& reference) {
  using differential_detail::compare;
  std::string out;
  compare(out, "http_status", fast.http_status, reference.http_status);
  compare(out, "result", webhook::to_string(fast.result), webhook::to_string(reference.result));
  compare(out, "body", fast.body, reference.body);
  compare(out, "message", fast.message, reference.message);
  compare(out, "uid", fast.request.uid(), reference.request.uid());
  compare(out, "operation", fast.request.operation(), reference.request.operation());
  compare(out, "kind", fast.request.kind(), reference.request.kind());
  compare(out, "namespace_name", fast.request.namespace_name(), reference.request.namespace_name());
  compare(out, "name", fast.request.name(), reference.request.name());
  compare(out, "generate_name", fast.request.generate_name(), reference.request.generate_name());
  compare(out, "username", fast.request.username(), reference.request.username());
  compare(out, "has_patch", fast.has_patch, reference.has_patch);
  compare(out, "findings (count)", static_cast<long long>(fast.findings.size()),
          static_cast<long long>(reference.findings.size()));
  for (std::size_t i = 0; out.empty() && i < fast.findings.size(); ++i) {
    const finding& f = fast.findings[i];
    const finding& r = reference.findings[i];
    const std::string at = "findings[" + std::to_string(i) + "].";
    compare(out, (at + "policy").c_str(), f.policy, r.policy);
    compare(out, (at + "rule").c_str(), to_string(f.rule), to_string(r.rule));
    compare(out, (at + "actions").c_str(), differential_detail::actions_text(f.actions),
            differential_detail::actions_text(r.actions));
    compare(out, (at + "result").c_str(), to_string(f.result), to_string(r.result));
    compare(out, (at + "message").c_str(), f.message, r.message);
    compare(out, (at + "exception").c_str(), f.exception, r.exception);
  }
  return out;
}

// The patch of an answer against the same mutation's operations built as Boost.JSON values and
// serialized by Boost.JSON (json_patch::operation_array, the reference of the patch_text the
// chain writes), on the whole body as the reference codec reads it; "" when they are the same or
// the answer has no patch.
inline std::string patch_difference(std::string_view body, const webhook::handler_result& answer) {
  if (!answer.has_patch) return {};
  webhook::decode_result decoded = webhook::decode_review_reference(body, {}, {});
  if (!decoded.review) return "patch: the reference decoder refuses a review that was patched";
  admission_request& request = decoded.review->request;
  const subject_read read = read_subject(request, request.object);
  const mutation_settings* m =
      read.subject.runtime_class ? differential_policies().mutation_for(*read.subject.runtime_class) : nullptr;
  if (m == nullptr) return "patch: a review was patched that no mutation applies to";
  boost::json::array ops;
  json_patch::operation_array values(ops);
  const patch_mutation mutated =
      mutate_peer_pod_in_place(request.object, m->extended_resource, m->sizing_annotations, values);
  if (mutated.refused) return "patch: the mutation refuses on the whole body: " + mutated.reason;
  boost::system::error_code ec;
  const boost::json::value sent = boost::json::parse(answer.body, ec);
  const boost::json::value* patch = ec ? nullptr : sent.find_pointer("/response/patch", ec);
  std::string text;
  if (patch == nullptr || !patch->is_string() || !vm::decode_base64(patch->get_string(), &text))
    return "patch: the answer has no base64 patch";
  std::string out;
  differential_detail::compare(out, "patch (against operation_array)", text, boost::json::serialize(ops));
  return out;
}

// handle_review of `body` for `step` with `codec`, against differential_policies() at
// differential_now, with no memory cap.
inline webhook::handler_result run_differential_step(step_kind step, webhook::review_body body,
                                                     const webhook::review_codec& codec) {
  const differential_detail::step_context context{step, &differential_policies()};
  return webhook::handle_review(differential_detail::evaluate_at_fixed_time, &context, body, 0, codec);
}

// `body` through both codecs for `step`.
inline differential_result run_differential(step_kind step, std::string_view body) {
  differential_result out;
  out.fast = run_differential_step(step, body, webhook::fast_review_codec());
  out.reference = run_differential_step(step, body, webhook::reference_review_codec());
  out.difference = first_difference(out.fast, out.reference);
  if (out.difference.empty()) out.difference = patch_difference(body, out.fast);
  if (out.difference.empty()) {
    // The same body read where it lies, with the parser's padding behind it (as the server reads
    // one in its read buffer): the same answer as from the copy.
    std::string in_buffer;
    in_buffer.reserve(body.size() + in_place_padding);
    in_buffer.assign(body);
    const webhook::handler_result in_place = run_differential_step(step, in_buffer, webhook::fast_review_codec());
    if (std::string difference = first_difference(in_place, out.fast); !difference.empty())
      out.difference = "read in place against read from a copy: " + difference;
  }
  return out;
}

inline constexpr step_kind differential_steps[] = {step_kind::admit, step_kind::mutate, step_kind::validate};

}  // namespace peergate::testing
