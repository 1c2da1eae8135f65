#pragma once
// YAML documents as JSON values, for objects people write by hand (pods, reviews, test cases).
// Plain scalars follow the YAML 1.2 core schema (null, booleans, integers, floats); quoted
// scalars stay strings, so `"1"` is a string and `1` a number, as kubectl would read them.

#include <boost/json/value.hpp>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace peergate {

boost::json::value yaml_to_json(const YAML::Node& node);

struct yaml_documents {
  std::vector<boost::json::value> documents;  // empty documents are skipped
  std::string error;                          // "line:col: reason" when the text is not YAML
};

// Parses every document of a YAML (or JSON, a subset of YAML) text.
yaml_documents parse_yaml_documents(const std::string& text);

}  // namespace peergate
