#pragma once
// `peergate test --format junit`: the results of a run as JUnit XML, the test report format CI
// systems read (GitLab's `artifacts: reports: junit`, Jenkins, the GitHub Actions test-report
// actions). One <testsuite> per suite file, one <testcase> per case (classname: the suite file)
// with a <failure> whose text is the case's diff, and a <testcase> with an <error> for a suite
// that could not run. The elements and attributes are those of the Jenkins/Ant JUnit schema;
// tests/cli/junit.xsd says which ones are used.

#include <ostream>
#include <string>
#include <string_view>

#include "cli/policy_test.hpp"

namespace peergate::cli {

enum class test_format { text, junit };

void render_test_junit(const test_run& run, std::ostream& out);

// `text` for XML 1.0 element text: & < > and carriage returns (which a reader would turn into
// line feeds) as references; the characters XML 1.0 cannot hold at all (other control
// characters, U+FFFE, U+FFFF) and invalid UTF-8 as U+FFFD.
std::string xml_escape_text(std::string_view text);
// The same for an attribute value, where quotes, line feeds and tabs are references too (a
// reader would turn the last two into spaces).
std::string xml_escape_attribute(std::string_view text);

}  // namespace peergate::cli
