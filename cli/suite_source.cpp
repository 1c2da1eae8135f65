#include "cli/suite_source.hpp"

#include "engine/yaml_documents.hpp"

namespace peergate::cli {

value_locator value_locator::operator[](std::string_view key) const {
  if (node_.IsDefined() && node_.IsMap())
    for (const auto& entry : node_)
      if (entry.first.IsScalar() && entry.first.Scalar() == key) return at(entry.second);
  return *this;
}

value_locator value_locator::operator[](std::size_t index) const {
  if (node_.IsDefined() && node_.IsSequence() && index < node_.size()) return at(node_[index]);
  return *this;
}

value_locator value_locator::key(std::string_view key) const {
  if (node_.IsDefined() && node_.IsMap())
    for (const auto& entry : node_)
      if (entry.first.IsScalar() && entry.first.Scalar() == key) return at(entry.first);
  return *this;
}

source_location value_locator::where() const {
  source_location out{file_->name, 0, 0};
  if (!node_.IsDefined()) return out;
  const YAML::Mark mark = node_.Mark();
  if (mark.is_null()) return out;
  // yaml-cpp marks are 0-based and relative to the document's part of the file.
  out.line = first_line_ + mark.line + 1;
  out.column = mark.column + 1;
  return out;
}

void value_locator::report(diagnostics& out, diagnostic_code code, std::string message) const {
  const source_location at = where();
  out.add(code, at, std::move(message), file_->lines.line(at));
}

std::vector<value_locator> locate_documents(const std::string& file, const std::string& text,
                                            std::size_t document_count) {
  auto source = std::make_shared<value_locator::file_text>();
  source->name = file;
  source->lines.add(file, text);
  std::vector<value_locator> out;
  try {
    // The documents parse_yaml_documents (engine/yaml_json.hpp) converts: every non-empty one.
    for (const yaml_document& document : load_yaml_documents(text))
      if (!document.root.IsNull()) out.push_back(value_locator(source, document.root, document.first_line));
  } catch (const YAML::Exception&) {
    out.clear();
  }
  if (out.size() != document_count) {
    out.clear();
    for (std::size_t i = 0; i < document_count; ++i) out.push_back(value_locator(source, YAML::Node(), 0));
  }
  return out;
}

}  // namespace peergate::cli
