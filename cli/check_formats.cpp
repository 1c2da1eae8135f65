#include "cli/check_formats.hpp"

#include <boost/json.hpp>
#include <filesystem>

#include "engine/json_text.hpp"

namespace peergate::cli {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// A path as a URI reference (RFC 3986): every byte outside the unreserved set and '/' as %XX,
// so a space or a '#' in a file name cannot end the path.
std::string percent_encoded(std::string_view path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                            (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    }
  }
  return out;
}

std::string sarif_uri(const std::string& file) {
  const std::string path = ci_path(file);
  if (fs::path(path).is_absolute()) return "file://" + percent_encoded(path);
  return percent_encoded(path);
}

std::string_view sarif_level(severity level) { return level == severity::error ? "error" : "warning"; }

// Boost.JSON writes one line; a report people open (and golden files people review) reads better
// indented. Strings go through json_quote, which also replaces invalid UTF-8 as SARIF requires.
void write_indented(std::ostream& out, const json::value& v, int depth) {
  const std::string inner(static_cast<std::size_t>(depth + 1) * 2, ' ');
  const std::string outer(static_cast<std::size_t>(depth) * 2, ' ');
  if (const json::object* o = v.if_object()) {
    if (o->empty()) {
      out << "{}";
      return;
    }
    out << "{\n";
    bool first = true;
    for (const auto& [key, value] : *o) {
      out << (first ? "" : ",\n") << inner << json_quote(key) << ": ";
      write_indented(out, value, depth + 1);
      first = false;
    }
    out << "\n" << outer << "}";
  } else if (const json::array* a = v.if_array()) {
    if (a->empty()) {
      out << "[]";
      return;
    }
    out << "[\n";
    bool first = true;
    for (const auto& value : *a) {
      out << (first ? "" : ",\n") << inner;
      write_indented(out, value, depth + 1);
      first = false;
    }
    out << "\n" << outer << "]";
  } else if (const json::string* s = v.if_string()) {
    out << json_quote(*s);
  } else {
    out << json::serialize(v);
  }
}

json::object sarif_result(const diagnostic& d) {
  json::object result{
      {"ruleId", to_string(d.code)},
      {"ruleIndex", static_cast<std::size_t>(d.code)},
      {"level", sarif_level(d.level)},
      {"message", json::object{{"text", d.message}}},
  };
  if (d.where.file.empty()) return result;  // a problem of no file (none today): no location
  json::object physical{{"artifactLocation", json::object{{"uri", sarif_uri(d.where.file)}}}};
  // A whole-file problem (no line) has no region: SARIF then means the whole artifact.
  if (d.where.line > 0) {
    json::object region{{"startLine", d.where.line}};
    if (d.where.column > 0) region["startColumn"] = d.where.column;
    physical["region"] = std::move(region);
  }
  result["locations"] = json::array{json::object{{"physicalLocation", std::move(physical)}}};
  return result;
}

std::string escaped(std::string_view text, bool property) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      case ':': out += property ? "%3A" : ":"; break;
      case ',': out += property ? "%2C" : ","; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string ci_path(const std::string& file) {
  fs::path path(file);
  if (path.is_absolute()) {
    std::error_code ec;
    const fs::path here = fs::current_path(ec);
    const fs::path relative = ec ? fs::path() : path.lexically_relative(here);
    if (!relative.empty() && *relative.begin() != "..") path = relative;
  }
  return path.lexically_normal().generic_string();
}

std::string github_escape_data(std::string_view text) { return escaped(text, false); }
std::string github_escape_property(std::string_view text) { return escaped(text, true); }

void render_sarif(const diagnostics& problems, std::ostream& out) {
  // Rule i is diagnostic_code i, so ruleIndex is the code's value.
  json::array rules;
  for (const diagnostic_code_info& info : diagnostic_catalogue()) {
    rules.push_back(json::object{
        {"id", info.text},
        {"shortDescription", json::object{{"text", info.description}}},
        {"defaultConfiguration", json::object{{"level", sarif_level(info.level)}}},
    });
  }
  json::array results;
  for (const diagnostic& d : problems.items()) results.push_back(sarif_result(d));
  const json::object driver{
      {"name", "peergate"},
      {"version", PEERGATE_VERSION},
      {"informationUri", peergate_information_uri},
      {"rules", std::move(rules)},
  };
  const json::object log{
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", json::array{json::object{{"tool", json::object{{"driver", driver}}}, {"results", std::move(results)}}}},
  };
  write_indented(out, log, 0);
  out << "\n";
}

void render_github(const diagnostics& problems, std::ostream& out) {
  for (const diagnostic& d : problems.items()) {
    out << "::" << (d.level == severity::error ? "error" : "warning")
        << " file=" << github_escape_property(ci_path(d.where.file));
    if (d.where.line > 0) {
      out << ",line=" << d.where.line;
      if (d.where.column > 0) out << ",col=" << d.where.column;
    }
    out << ",title=" << github_escape_property(to_string(d.code)) << "::" << github_escape_data(d.message) << "\n";
  }
  out << problems.summary() << "\n";
}

}  // namespace peergate::cli
