#pragma once
// Where a value of a test suite was written, for errors in the suite itself. The runner reads a
// suite as JSON values (the reader `peergate review` uses), which keep no line numbers; the same
// text read by yaml-cpp keeps them, so a locator walks the YAML nodes along the same keys and
// indexes as the runner walks the JSON values.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "engine/diagnostics.hpp"
#include "engine/policy/source_lines.hpp"

namespace peergate::cli {

class value_locator {
 public:
  value_locator(const value_locator&) = default;
  // Not assignable: assigning a YAML::Node to another rewrites the node it refers to, in the tree.
  value_locator& operator=(const value_locator&) = delete;

  // The value under `key` of a mapping, or the item at `index` of a list. When the node is not
  // there (a suite whose YAML and JSON readings differ), the step keeps the nearest known place.
  value_locator operator[](std::string_view key) const;
  value_locator operator[](std::size_t index) const;
  // The key itself rather than its value: where an unknown key is reported.
  value_locator key(std::string_view key) const;

  source_location where() const;
  // Adds a diagnostic at this place, with the source line under it as `peergate check` shows it.
  void report(diagnostics& out, diagnostic_code code, std::string message) const;

 private:
  friend std::vector<value_locator> locate_documents(const std::string&, const std::string&, std::size_t);
  struct file_text {
    std::string name;
    source_lines lines;
  };
  value_locator(std::shared_ptr<const file_text> file, const YAML::Node& node, int first_line)
      : file_(std::move(file)), node_(node), first_line_(first_line) {}
  value_locator at(const YAML::Node& node) const { return value_locator(file_, node, first_line_); }

  std::shared_ptr<const file_text> file_;
  YAML::Node node_;     // undefined when only the file is known
  int first_line_ = 0;  // 0-based line of the node's document in the file (yaml-cpp marks are per document)
};

// One locator per document of `text` that parse_documents (cli/input.hpp) returns, in the same
// order; `document_count` is how many it returned. When yaml-cpp cannot pair its documents with
// those (a JSON text yaml-cpp does not read), the locators know only the file.
std::vector<value_locator> locate_documents(const std::string& file, const std::string& text,
                                            std::size_t document_count);

}  // namespace peergate::cli
