#pragma once
// Splitting a YAML stream into its documents before yaml-cpp sees them.
//
// yaml-cpp 0.7's LoadAll never returns on some invalid streams (a stray "," at block level),
// allocating without bound; found by fuzzing the policy loader. YAML::Load on one document
// does not have that flaw, so streams are split on document markers ("---" or "..." at column
// 0, which end any block scalar, so splitting there is exact) and each part is loaded alone.

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace peergate {

struct yaml_part {
  std::string text;
  int first_line = 0;  // 0-based line of the part's first line in the whole stream
};

std::vector<yaml_part> split_yaml_documents(std::string_view stream);

// Every document of the stream, in order; empty documents are kept as null nodes. Marks of the
// nodes are relative to their part: add `part.first_line`. Throws YAML::Exception with the mark
// already made absolute.
struct yaml_document {
  YAML::Node root;
  int first_line = 0;
};
std::vector<yaml_document> load_yaml_documents(std::string_view stream);

}  // namespace peergate
