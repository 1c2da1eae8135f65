#include "engine/yaml_documents.hpp"

namespace peergate {

namespace {

bool is_marker(std::string_view line, std::string_view marker) {
  if (!line.starts_with(marker)) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
}

}  // namespace

std::vector<yaml_part> split_yaml_documents(std::string_view stream) {
  std::vector<yaml_part> parts(1);
  int line_number = 0;
  for (std::size_t start = 0; start < stream.size(); ++line_number) {
    std::size_t end = stream.find('\n', start);
    if (end == std::string_view::npos) end = stream.size();
    const std::string_view line = stream.substr(start, end - start);
    if (is_marker(line, "---")) {
      // "---" starts a new document and belongs to it (it may carry content: "--- {a: 1}").
      if (!parts.back().text.empty()) parts.push_back({std::string(), line_number});
      parts.back().first_line = line_number;
    } else if (is_marker(line, "...")) {
      // "..." ends the document; whatever follows starts the next one.
      parts.back().text += '\n';
      parts.push_back({std::string(), line_number + 1});
      start = end + 1;
      continue;
    }
    parts.back().text.append(line);
    parts.back().text += '\n';
    start = end + 1;
  }
  return parts;
}

std::vector<yaml_document> load_yaml_documents(std::string_view stream) {
  std::vector<yaml_document> out;
  for (const auto& part : split_yaml_documents(stream)) {
    try {
      out.push_back({YAML::Load(part.text), part.first_line});
    } catch (YAML::Exception& e) {
      if (!e.mark.is_null()) e.mark.line += part.first_line;
      throw YAML::Exception(e.mark, e.msg);
    }
  }
  return out;
}

}  // namespace peergate
