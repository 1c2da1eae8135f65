#include "cli/junit_report.hpp"

#include <cstddef>

#include "engine/messages.hpp"

namespace peergate::cli {

namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

std::string xml_escaped(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, i);
      const std::string_view sequence = length ? text.substr(i, length) : std::string_view();
      // U+FFFE and U+FFFF are valid UTF-8 but not XML characters.
      if (length == 0 || sequence == "\xEF\xBF\xBE" || sequence == "\xEF\xBF\xBF") {
        out += replacement_character;
        i += length ? length : 1;
      } else {
        out += sequence;
        i += length;
      }
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\'': out += attribute ? "&apos;" : "'"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default:
        if (byte < 0x20 || byte == 0x7F) {
          // XML 1.0 has no way to write these (DEL it allows, but no reader shows it usefully).
          out += replacement_character;
        } else {
          out += c;
        }
    }
    ++i;
  }
  return out;
}

struct suite_counts {
  int tests = 0;
  int failures = 0;
  int errors = 0;
};

suite_counts count(const suite_result* begin, const suite_result* end) {
  suite_counts c;
  for (const suite_result* s = begin; s != end; ++s) {
    if (!s->error.empty()) {
      ++c.tests;
      ++c.errors;
      continue;
    }
    for (const case_result& x : s->cases) {
      ++c.tests;
      if (!x.passed) ++c.failures;
    }
  }
  return c;
}

void write_counts(std::ostream& out, const suite_counts& c) {
  out << " tests=\"" << c.tests << "\" failures=\"" << c.failures << "\" errors=\"" << c.errors << "\"";
}

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

// The documents of one file (several PeerPodPolicyTest documents in one file are one testsuite).
void write_suite_file(std::ostream& out, const suite_result* begin, const suite_result* end) {
  const std::string name = xml_escape_attribute(begin->file);
  out << "  <testsuite name=\"" << name << "\"";
  write_counts(out, count(begin, end));
  out << ">\n";
  std::string notes;
  for (const suite_result* s = begin; s != end; ++s) {
    notes += s->notes;
    if (!s->error.empty()) {
      // A suite that could not run is an error of the suite, not a failure of any case.
      out << "    <testcase classname=\"" << name << "\" name=\"(suite)\">\n"
          << "      <error message=\"" << xml_escape_attribute(s->error) << "\">"
          << xml_escape_text(s->error + "\n" + s->error_details) << "</error>\n"
          << "    </testcase>\n";
      continue;
    }
    for (const case_result& c : s->cases) {
      out << "    <testcase classname=\"" << name << "\" name=\"" << xml_escape_attribute(c.name) << "\"";
      if (c.passed) {
        out << "/>\n";
        continue;
      }
      out << ">\n      <failure message=\"" << xml_escape_attribute(c.diff.empty() ? "failed" : c.diff.front())
          << "\" type=\"expectation\">" << xml_escape_text(joined_lines(c.diff)) << "</failure>\n    </testcase>\n";
    }
  }
  if (!notes.empty()) out << "    <system-out>" << xml_escape_text(notes) << "</system-out>\n";
  out << "  </testsuite>\n";
}

}  // namespace

std::string xml_escape_text(std::string_view text) { return xml_escaped(text, false); }
std::string xml_escape_attribute(std::string_view text) { return xml_escaped(text, true); }

void render_test_junit(const test_run& run, std::ostream& out) {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"peergate test\"";
  suite_counts total = count(run.suites.data(), run.suites.data() + run.suites.size());
  if (run.no_suite_found) {
    ++total.tests;
    ++total.errors;
  }
  write_counts(out, total);
  out << ">\n";
  const suite_result* begin = run.suites.data();
  const suite_result* const end = begin + run.suites.size();
  while (begin != end) {
    const suite_result* file_end = begin;
    while (file_end != end && file_end->file == begin->file) ++file_end;
    write_suite_file(out, begin, file_end);
    begin = file_end;
  }
  if (run.no_suite_found) {
    out << "  <testsuite name=\"peergate test\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
        << "    <testcase classname=\"peergate test\" name=\"(suites)\">\n"
        << "      <error message=\"" << xml_escape_attribute(no_suite_found_text) << "\"/>\n"
        << "    </testcase>\n"
        << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace peergate::cli
