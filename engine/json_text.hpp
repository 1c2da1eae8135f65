#pragma once
// JSON string literals (also valid YAML double-quoted scalars), for text written by hand rather
// than through Boost.JSON: the audit log, the audit reports, the YAML writer of `manifests`, the
// server's log lines and error bodies.

#include <string>
#include <string_view>

namespace peergate {

// `text` as a JSON string literal, quotes included; invalid UTF-8 bytes become U+FFFD so that
// every consumer (kubectl, browsers, log stacks) can read it.
std::string json_quote(std::string_view text);
void append_json_quoted(std::string& out, std::string_view text);
// The same without the quotes: the inside of a string literal, for text that builds a literal
// from several pieces (a log line's message and its fields).
void append_json_escaped(std::string& out, std::string_view text);
// The same, finding the runs that need no escape one byte at a time (append_json_escaped looks 16
// at a time): the reference the tests hold it to.
void append_json_escaped_reference(std::string& out, std::string_view text);

}  // namespace peergate
