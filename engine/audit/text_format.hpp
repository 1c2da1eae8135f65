#pragma once
// Quoting shared by the renderers and the audit log: JSON strings (also valid YAML
// double-quoted scalars) and HTML text.

#include <string>
#include <string_view>

namespace peergate::audit {

// `text` as a JSON string literal, quotes included; invalid UTF-8 bytes become U+FFFD so that
// every consumer (kubectl, browsers, log stacks) can read it.
std::string json_quote(std::string_view text);
void append_json_quoted(std::string& out, std::string_view text);

// `text` with & < > " ' escaped, for HTML text and attribute values.
std::string html_escape(std::string_view text);

}  // namespace peergate::audit
