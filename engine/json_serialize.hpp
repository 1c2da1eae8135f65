#pragma once
// JSON text byte for byte as Boost.JSON's serializer writes it (boost::json::serialize), written
// by hand where building Boost.JSON values only to serialize them costs more than the text: the
// webhook's answer (webhook/review_codec.cpp) and the mutation's patch (json_patch::patch_text).
// Tests hold both to boost::json::serialize.
//
// `Text` is anything with append(const char*, std::size_t) and push_back(char): a std::string, or
// a buffer in a review's arena.

#include <boost/json/value.hpp>
#include <array>
#include <charconv>
#include <cstddef>
#include <string_view>

namespace peergate {

// The length of the first run of `text` that the serializer writes as it is: no '"', '\\' and no
// control below 0x20. Most of every string is such a run; it is found 16 bytes a step.
std::size_t serialized_as_is(std::string_view text);

// A string literal as the serializer writes it: '"' and '\\' escaped, the controls below 0x20 as
// \b \t \n \f \r or \u00xx, every other byte as it is (Boost.JSON's strings hold valid UTF-8).
template <typename Text>
void append_serialized_string(Text& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  while (!text.empty()) {
    const std::size_t as_is = serialized_as_is(text);
    out.append(text.data(), as_is);
    if (as_is == text.size()) break;
    const auto c = static_cast<unsigned char>(text[as_is]);
    text.remove_prefix(as_is + 1);
    char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
    std::size_t length = 2;
    switch (c) {
      case '"': escape[1] = '"'; break;
      case '\\': escape[1] = '\\'; break;
      case '\b': escape[1] = 'b'; break;
      case '\t': escape[1] = 't'; break;
      case '\n': escape[1] = 'n'; break;
      case '\f': escape[1] = 'f'; break;
      case '\r': escape[1] = 'r'; break;
      default: length = 6;
    }
    out.append(escape, length);
  }
  out.push_back('"');
}

// A double as the serializer writes it (its own shortest form: "1E0", "-1.5E-3").
std::string_view serialized_double(double d, std::array<char, 32>& space);

// Any value: members in their order, integers in decimal, doubles as above, true, false, null.
template <typename Text>
void append_serialized(Text& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::string: {
      const boost::json::string& s = value.get_string();
      append_serialized_string(out, std::string_view(s.data(), s.size()));
      return;
    }
    case boost::json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& member : value.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        append_serialized_string(out, std::string_view(member.key().data(), member.key().size()));
        out.push_back(':');
        append_serialized(out, member.value());
      }
      out.push_back('}');
      return;
    }
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const boost::json::value& element : value.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        append_serialized(out, element);
      }
      out.push_back(']');
      return;
    }
    case boost::json::kind::int64:
    case boost::json::kind::uint64: {
      std::array<char, 24> digits;  // 20 digits and a sign at most
      const auto written = value.is_int64()
                               ? std::to_chars(digits.data(), digits.data() + digits.size(), value.get_int64())
                               : std::to_chars(digits.data(), digits.data() + digits.size(), value.get_uint64());
      out.append(digits.data(), static_cast<std::size_t>(written.ptr - digits.data()));
      return;
    }
    case boost::json::kind::double_: {
      std::array<char, 32> space;
      const std::string_view text = serialized_double(value.get_double(), space);
      out.append(text.data(), text.size());
      return;
    }
    case boost::json::kind::bool_:
      if (value.get_bool()) out.append("true", 4);
      else out.append("false", 5);
      return;
    case boost::json::kind::null: out.append("null", 4); return;
  }
}

}  // namespace peergate
