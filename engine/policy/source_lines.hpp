#pragma once
// The text of every policy file read, by line, so that each loading step (reader, collector,
// compiler) shows the offending line under its diagnostic, as an editor would.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/diagnostics.hpp"

namespace peergate {

class source_lines {
 public:
  void add(const std::string& path, std::string_view text);
  // The text of `at`'s line (without its line break), or "" when unknown.
  std::string line(const source_location& at) const;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> files_;
};

// Adds diagnostics with their source line.
class diagnostic_reporter {
 public:
  diagnostic_reporter(diagnostics& out, const source_lines& lines) : out_(out), lines_(lines) {}
  void report(diagnostic_code code, const source_location& at, std::string message) {
    out_.add(code, at, std::move(message), lines_.line(at));
  }
  const source_lines& lines() const { return lines_; }

 private:
  diagnostics& out_;
  const source_lines& lines_;
};

}  // namespace peergate
