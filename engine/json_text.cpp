#include "engine/json_text.hpp"

#include <bit>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/messages.hpp"

namespace peergate {

namespace {

// Where the run of printable ASCII that needs no escape, starting at text[i], ends: 16 bytes at a
// time (a report's messages and names are such runs, tens of bytes long).
std::size_t plain_run(std::string_view text, std::size_t i) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F);
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    // A signed compare: bytes from 0x80 are negative, so below 0x20 as well.
    const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)),
                                         _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special)); mask != 0)
      return i + static_cast<std::size_t>(std::countr_zero(mask));
  }
#endif
  for (; i < text.size(); ++i) {
    const auto p = static_cast<unsigned char>(text[i]);
    if (p < 0x20 || p >= 0x7F || p == '"' || p == '\\') break;
  }
  return i;
}

// Where the run of bytes from text[i] that need no escape ends, one byte at a time: the reference
// plain_run is compared with.
std::size_t plain_run_bytewise(std::string_view text, std::size_t i) {
  while (i < text.size()) {
    const auto p = static_cast<unsigned char>(text[i]);
    if (p < 0x20 || p >= 0x7F || p == '"' || p == '\\') break;
    ++i;
  }
  return i;
}

// The escaping of append_json_escaped and of its reference, which differ only in how they find
// the runs that need none (`plain_end(text, i)`).
template <typename PlainEnd>
void append_escaped_with(std::string& out, std::string_view text, PlainEnd plain_end) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t i = 0;
  while (i < text.size()) {
    // A run of printable ASCII that needs no escape is appended in one piece: most text is one.
    const std::size_t plain = plain_end(text, i);
    if (plain > i) {
      out.append(text.data() + i, plain - i);
      i = plain;
      if (i == text.size()) break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(text, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD
        ++i;
      } else if (n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
        // C1 controls: valid JSON, but YAML readers refuse them raw.
        const auto low = static_cast<unsigned char>(text[i + 1]);
        out += "\\u00";
        out += hex[low >> 4];
        out += hex[low & 0xF];
        i += 2;
      } else if (n == 3 && c == 0xEF && text[i + 1] == '\xBF' && (text[i + 2] == '\xBE' || text[i + 2] == '\xBF')) {
        out += text[i + 2] == '\xBE' ? "\\ufffe" : "\\uffff";  // noncharacters, refused raw by YAML
        i += 3;
      } else {
        out.append(text.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) { append_escaped_with(out, text, plain_run); }

void append_json_escaped_reference(std::string& out, std::string_view text) {
  append_escaped_with(out, text, plain_run_bytewise);
}

void append_json_quoted(std::string& out, std::string_view text) {
  out += '"';
  append_json_escaped(out, text);
  out += '"';
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_json_quoted(out, text);
  return out;
}

}  // namespace peergate
