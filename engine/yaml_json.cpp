#include "engine/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>

#include "engine/yaml_documents.hpp"
#include <cmath>

namespace peergate {

namespace {

bool is_one_of(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words)
    if (s == w) return true;
  return false;
}

boost::json::value plain_scalar(const std::string& s) {
  if (s.empty() || is_one_of(s, {"~", "null", "Null", "NULL"})) return nullptr;
  if (is_one_of(s, {"true", "True", "TRUE"})) return true;
  if (is_one_of(s, {"false", "False", "FALSE"})) return false;
  // Integers: decimal, 0o octal and 0x hex as in the core schema.
  {
    std::string_view digits = s;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    int base = 10;
    if (digits.starts_with("0x")) base = 16, digits.remove_prefix(2);
    else if (digits.starts_with("0o")) base = 8, digits.remove_prefix(2);
    if (!digits.empty()) {
      std::uint64_t v = 0;
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
      if (ec == std::errc() && ptr == digits.data() + digits.size()) {
        if (!negative)
          return boost::json::value(v <= INT64_MAX ? boost::json::value(std::int64_t(v)) : boost::json::value(v));
        if (v <= std::uint64_t(INT64_MAX)) return boost::json::value(-static_cast<std::int64_t>(v));
        if (v == std::uint64_t(INT64_MAX) + 1) return boost::json::value(INT64_MIN);
      }
    }
  }
  // Floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan
  {
    double d = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    bool has_digit = s.find_first_of("0123456789") != std::string::npos;
    if (ec == std::errc() && ptr == s.data() + s.size() && has_digit &&
        s.find_first_not_of("0123456789+-.eE") == std::string::npos && std::isfinite(d))
      return d;
  }
  return boost::json::value(s);
}

}  // namespace

boost::json::value yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Scalar:
      // "!" is the tag of quoted (non-plain) scalars: they are strings whatever they look like.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return boost::json::value(node.Scalar());
      return plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      boost::json::array out;
      out.reserve(node.size());
      for (const auto& item : node) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      boost::json::object out;
      for (const auto& kv : node) out[kv.first.Scalar()] = yaml_to_json(kv.second);
      return out;
    }
  }
  return nullptr;
}

yaml_documents parse_yaml_documents(const std::string& text) {
  yaml_documents out;
  try {
    for (const auto& doc : load_yaml_documents(text)) {
      if (doc.root.IsNull()) continue;
      out.documents.push_back(yaml_to_json(doc.root));
    }
  } catch (const YAML::Exception& e) {
    out.documents.clear();
    out.error = std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg;
  }
  return out;
}

}  // namespace peergate
