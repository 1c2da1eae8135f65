#pragma once
// The texts of VM policy violations, by the rules of engine/messages.hpp: one line, at most 256
// characters for what reaches the apiserver (finding_line), every quoted value made safe.
//
//   [team-vm-limits] Pod "train-*" asks for a VM with 8 vCPUs in namespace "team-a"; at most 4 allowed

#include <string>
#include <string_view>

#include "engine/vm/vm_limits.hpp"

namespace peergate::vm {

// Who asks: the request subject as the chain knows it (kind_name, display_name, namespace_name,
// runtime class).
struct vm_message_subject {
  std::string_view kind;
  std::string_view name;
  std::string_view namespace_name;
  std::string_view runtime_class;
};

// Quoted values are cut to these many characters ("…" at the end) before the text is composed,
// so a long image name or list cannot push the limit out of a 256-character line.
inline constexpr std::size_t max_requested_chars = 64;
inline constexpr std::size_t max_limit_chars = 96;
inline constexpr std::size_t max_digest_chars = 71;  // "sha256:" and 64 hex digits

// The default message of a violation, without the "[policy] " prefix (the chain adds it, as it
// does for every finding): `Pod "train-*" asks for a VM with 8 vCPUs in namespace "team-a"; at
// most 4 allowed`.
std::string default_vm_message(const vm_violation& violation, const vm_message_subject& subject);

// A policy's own `message`: the PeerPodPolicy placeholders {policy} {namespace}
// {runtimeClassName} {kind} {name}, plus {rule} {requested} {limit}, replaced in one pass (a
// value that contains a placeholder is not expanded again); other text is kept as is.
std::string expand_vm_message(std::string_view templ, std::string_view policy, const vm_message_subject& subject,
                              const vm_violation& violation);

}  // namespace peergate::vm
