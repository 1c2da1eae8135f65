#pragma once
// Text that reaches people through the apiserver. The apiserver drops a warning that holds a
// control character or invalid UTF-8 and truncates long ones, so every text is made safe here.

#include <string>
#include <string_view>

namespace peergate {

inline constexpr std::size_t max_warning_chars = 256;

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII), or 0 when it is invalid:
// truncated, overlong, a surrogate, or past U+10FFFF.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

// One line: control characters become spaces, invalid UTF-8 bytes become U+FFFD, runs of
// spaces collapse, and at most `max_chars` characters (code points) remain, the last being "…"
// when cut.
std::string one_line(std::string_view text, std::size_t max_chars = max_warning_chars);

// The line a denial or warning shows for a violation: "[policy] message", made one line of at
// most 256 characters.
std::string finding_line(std::string_view policy, std::string_view message);

struct message_fields {
  std::string_view policy;
  std::string_view namespace_name;
  std::string_view runtime_class;
  std::string_view kind;
  std::string_view name;
  // A PeerPodVMPolicy's violation (engine/vm/vm_messages.hpp); the loader allows these three
  // placeholders in VM policies only, so they stay empty for the others.
  std::string_view rule;
  std::string_view requested;
  std::string_view limit;
};

// Replaces {policy} {namespace} {runtimeClassName} {kind} {name} {rule} {requested} {limit} in
// one pass (a value that holds a placeholder is not expanded again); other text is kept as is.
std::string expand_message(std::string_view templ, const message_fields& fields);

}  // namespace peergate
