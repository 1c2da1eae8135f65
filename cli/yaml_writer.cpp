#include "cli/yaml_writer.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <array>
#include <cctype>

#include "engine/json_text.hpp"

namespace peergate::cli {

namespace json = boost::json;

namespace {

// Words YAML 1.1 or 1.2 readers (kubectl's among them) turn into booleans or null.
bool is_reserved_word(std::string_view s) {
  static constexpr std::array words = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"};
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(words.begin(), words.end(), lower) != words.end();
}

// Anything a YAML reader could take for a number, a date or a time: whatever starts with a
// digit, a sign or a dot, except Kubernetes quantities and durations such as 100m, 64Mi, 2160h
// (digits, an optional fraction, then letters only), which no YAML reader turns into a number.
bool looks_numeric(std::string_view s) {
  if (s.empty()) return false;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const char c = s.front();
  if (!digit(c)) return c == '+' || c == '-' || (c == '.' && s.size() > 1);
  if (s.size() > 1 && c == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) return true;
  std::size_t i = 0;
  while (i < s.size() && digit(s[i])) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i == s.size() || !digit(s[i])) return true;
    while (i < s.size() && digit(s[i])) ++i;
  }
  if (i == s.size()) return true;  // 10, 1.5
  for (std::size_t k = i; k < s.size(); ++k)
    if (!std::isalpha(static_cast<unsigned char>(s[k]))) return true;
  // 1e3 is a float in YAML 1.1 readers only with a sign or dot, but E and e are quoted anyway.
  return s[i] == 'e' || s[i] == 'E';
}

bool plain_safe(std::string_view s) {
  if (s.empty() || is_reserved_word(s) || looks_numeric(s)) return false;
  // Letters, digits and punctuation that has no meaning at the start or inside a plain scalar.
  // Spaces are allowed inside (not at the ends) as long as no ": " or " #" appears.
  if (s.front() == ' ' || s.back() == ' ') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const bool ok = std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/' || c == '=' || c == '+' ||
                    c == '@' || c == '(' || c == ')' || c == ',' || c == ' ' ||
                    (c == ':' && i + 1 < s.size() && s[i + 1] != ' ') || (c == '*' && i > 0);
    if (!ok) return false;
    if (c == ' ' && i + 1 < s.size() && s[i + 1] == '#') return false;
  }
  // Indicators that start something else when first.
  return s.front() != '-' && s.front() != '@' && s.front() != ',';
}

// Text that a literal block carries unchanged: printable lines (tabs allowed), no carriage
// returns, and not only whitespace.
bool literal_block_safe(std::string_view s) {
  if (s.find('\n') == std::string_view::npos) return false;
  bool any_visible = false;
  for (unsigned char c : s) {
    if (c == '\n' || c == '\t') continue;
    if (c < 0x20 || c == 0x7F) return false;
    if (c != ' ') any_visible = true;
  }
  return any_visible;
}

void indent_to(std::string& out, int indent) { out.append(static_cast<std::size_t>(indent), ' '); }

void append_literal_block(std::string& out, std::string_view s, int indent) {
  out += '|';
  // A first line that starts with a space needs an explicit indentation indicator.
  const std::size_t first_visible = s.find_first_not_of('\n');
  if (first_visible != std::string_view::npos && s[first_visible] == ' ') out += "2";
  std::size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  if (trailing == 0) out += '-';
  if (trailing > 1) out += '+';
  out += '\n';
  std::string_view body = s.substr(0, s.size() - trailing);
  std::size_t start = 0;
  while (start <= body.size()) {
    const std::size_t end = std::min(body.find('\n', start), body.size());
    const std::string_view line = body.substr(start, end - start);
    if (!line.empty()) indent_to(out, indent);
    out.append(line);
    out += '\n';
    start = end + 1;
  }
  for (std::size_t i = 1; i < trailing; ++i) out += '\n';
}

void append_value(std::string& out, const json::value& v, int indent);

bool is_scalar(const json::value& v) {
  if (v.is_object()) return v.get_object().empty();
  if (v.is_array()) return v.get_array().empty();
  return true;
}

// A scalar (or an empty collection) on the current line, then the newline. Multi-line strings
// become literal blocks indented under the key.
void append_scalar(std::string& out, const json::value& v, int indent) {
  if (v.is_string()) {
    const std::string_view s = v.get_string();
    if (literal_block_safe(s)) append_literal_block(out, s, indent);
    else out += yaml_scalar(s) + "\n";
    return;
  }
  if (v.is_object()) out += "{}";
  else if (v.is_array()) out += "[]";
  else out += json::serialize(v);  // numbers, booleans and null read the same in YAML
  out += '\n';
}

void append_object(std::string& out, const json::object& o, int indent, bool first_on_line) {
  for (const auto& [key, value] : o) {
    if (!first_on_line) indent_to(out, indent);
    first_on_line = false;
    out += yaml_scalar(key);
    out += ':';
    if (is_scalar(value)) {
      out += ' ';
      append_scalar(out, value, indent + 2);
    } else {
      out += '\n';
      append_value(out, value, indent + 2);
    }
  }
}

void append_array(std::string& out, const json::array& a, int indent) {
  for (const json::value& item : a) {
    indent_to(out, indent);
    out += "- ";
    if (item.is_object() && !item.get_object().empty())
      append_object(out, item.get_object(), indent + 2, /*first_on_line=*/true);
    else if (item.is_array() && !item.get_array().empty()) {
      out += '\n';
      append_array(out, item.get_array(), indent + 2);
    } else append_scalar(out, item, indent + 2);
  }
}

void append_value(std::string& out, const json::value& v, int indent) {
  if (v.is_object() && !v.get_object().empty()) append_object(out, v.get_object(), indent, /*first_on_line=*/false);
  else if (v.is_array() && !v.get_array().empty()) append_array(out, v.get_array(), indent);
  else {
    indent_to(out, indent);
    append_scalar(out, v, indent);
  }
}

}  // namespace

std::string yaml_scalar(std::string_view text) { return plain_safe(text) ? std::string(text) : json_quote(text); }

std::string yaml_comment(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    out += line.empty() ? "#\n" : "# " + std::string(line) + "\n";
    start = end + 1;
  }
  return out;
}

void append_yaml(std::string& out, const json::value& value) { append_value(out, value, 0); }

}  // namespace peergate::cli
