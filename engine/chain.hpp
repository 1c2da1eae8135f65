#pragma once
// The admission chain: mutate, then validate the mutated object, one decision.
// Each step is a small pure function of (request, policies, context). The validation step
// digests initdata documents for PeerPodVMPolicies with the context's `digests`: the engine does
// not link a crypto library, so the caller passes one (webhook/digest_openssl.hpp). Nor does it
// read a clock: the caller passes the time the request is decided at.

#include <chrono>
#include <optional>

#include "engine/admission.hpp"
#include "engine/policy/model.hpp"
#include "engine/request_subject.hpp"
#include "engine/vm/digest.hpp"
#include "engine/vm/vm_request.hpp"

namespace peergate {

enum class step_kind { admit, mutate, validate };

// What the validation step needs besides the request and the policies: the digests of initdata
// documents, and the time of the decision (the server's clock per request; the CLI's --now).
struct evaluation_context {
  const vm::digest_provider& digests;
  std::chrono::system_clock::time_point now;
};

const char* to_string(step_kind s);

// The mutation step alone: a patch (maybe empty), or a refusal for a peer pod that cannot be
// mutated safely.
decision run_mutate(const admission_request& request, const policy_set& policies);

// The validation step alone on `request.object`: namespace policies, the accounting check and
// the VM policies.
decision run_validate(const admission_request& request, const policy_set& policies, const evaluation_context& context);

// mutate, then validate the mutated object; denied (no patch) or allowed with patch,
// warnings and audit annotations.
decision run_admit(const admission_request& request, const policy_set& policies, const evaluation_context& context);

decision run_step(step_kind step, const admission_request& request, const policy_set& policies,
                  const evaluation_context& context);

// The same decision, computed on the request's own object, which is left mutated: for callers
// that own the decoded request (the webhook), it saves copying the pod.
decision run_step_in_place(step_kind step, admission_request& request, const policy_set& policies,
                           const evaluation_context& context);

// The rule of a VM policy's findings for one of its limits.
rule_kind rule_of(vm::vm_rule rule);

// What cloud VM `object` asks for, read as the validation step reads it for the VM policies: a
// Pod's own annotations (for a stored pod, what the mutation wrote at admission), or a workload
// template's annotations with the sizes the mutation will write into every pod it creates.
// nullopt when the object is not a peer pod of `policies` (no runtime class, or one that no
// policy or mutation names). `subject` is read_subject's for `object`; the texts of the result
// are views into `object`. For the audit, which sums what peer pods ask for.
std::optional<vm::vm_request> requested_vm(const request_subject& subject, const boost::json::value& object,
                                           const policy_set& policies);

}  // namespace peergate
