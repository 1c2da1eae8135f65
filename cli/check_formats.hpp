#pragma once
// The CI formats of `peergate check`: the same diagnostics as the text and JSON output, written
// for the tools that show them beside the code in a CI system.
//   sarif   SARIF 2.1.0 (OASIS), the format code-scanning services read (GitHub code scanning
//           through github/codeql-action/upload-sarif, GitLab, Azure DevOps): one run, one
//           rule per diagnostic code of the catalogue, one result per diagnostic.
//   github  GitHub Actions workflow commands (`::error file=...,line=...::message`): each
//           diagnostic becomes an annotation on its line in the pull request.

#include <ostream>
#include <string>
#include <string_view>

#include "engine/diagnostics.hpp"

namespace peergate::cli {

enum class check_format { text, json, sarif, github };

// Where SARIF's tool.driver.informationUri points.
inline constexpr std::string_view peergate_information_uri = "https://github.com/peergate/peergate";

// A diagnostic's file as CI tools want it: relative to the working directory (the repository
// root in CI) with '/' separators, or absolute when it is outside it.
std::string ci_path(const std::string& file);

// SARIF 2.1.0, indented, ending with a newline.
void render_sarif(const diagnostics& problems, std::ostream& out);

// One workflow command a line, then the summary ("N errors, M warnings") as a plain log line.
void render_github(const diagnostics& problems, std::ostream& out);

// GitHub's escaping for the message of a workflow command: % CR LF.
std::string github_escape_data(std::string_view text);
// The same, plus ':' and ',' for a property value (file=..., title=...).
std::string github_escape_property(std::string_view text);

}  // namespace peergate::cli
