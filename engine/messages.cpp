#include "engine/messages.hpp"
#include <cstdint>

namespace peergate {

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  std::uint32_t cp = n == 1 ? b0 : n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b >> 6) != 0x2) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid UTF-8.
  static constexpr std::uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_length[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return n;
}

namespace {

// C0 controls, DEL, and the C1 controls U+0080..U+009F (encoded C2 80..C2 9F).
bool is_control(std::string_view sequence) {
  const auto b0 = static_cast<unsigned char>(sequence[0]);
  if (sequence.size() == 1) return b0 < 0x20 || b0 == 0x7F;
  return sequence.size() == 2 && b0 == 0xC2 && static_cast<unsigned char>(sequence[1]) <= 0x9F;
}

}  // namespace

std::string one_line(std::string_view text, std::size_t max_chars) {
  std::string out;
  out.reserve(text.size());
  std::size_t chars = 0;
  std::size_t cut_at = std::string::npos;  // byte offset where the "…" would go
  bool last_space = true;                  // also drops leading spaces
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = utf8_sequence_length(text, i);
    std::string_view piece;
    if (n == 0) {
      piece = "\xEF\xBF\xBD";  // U+FFFD
      n = 1;
    } else if (is_control(text.substr(i, n))) {
      piece = " ";
    } else {
      piece = text.substr(i, n);
    }
    i += n;
    if (piece == " ") {
      if (last_space) continue;
      last_space = true;
    } else {
      last_space = false;
    }
    if (chars == max_chars - 1) cut_at = out.size();
    if (chars == max_chars) {
      out.resize(cut_at);
      out += "\xE2\x80\xA6";  // …
      return out;
    }
    out += piece;
    ++chars;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string finding_line(std::string_view policy, std::string_view message) {
  std::string text = "[" + std::string(policy) + "] ";
  text += message;
  return one_line(text);
}

std::string expand_message(std::string_view templ, const message_fields& f) {
  std::string out;
  for (std::size_t i = 0; i < templ.size();) {
    if (templ[i] == '{') {
      std::size_t close = templ.find('}', i);
      if (close != std::string_view::npos) {
        std::string_view word = templ.substr(i + 1, close - i - 1);
        const std::string_view* value = word == "policy"             ? &f.policy
                                        : word == "namespace"        ? &f.namespace_name
                                        : word == "runtimeClassName" ? &f.runtime_class
                                        : word == "kind"             ? &f.kind
                                        : word == "name"             ? &f.name
                                        : word == "rule"             ? &f.rule
                                        : word == "requested"        ? &f.requested
                                        : word == "limit"            ? &f.limit
                                                                     : nullptr;
        if (value) {
          out += *value;
          i = close + 1;
          continue;
        }
      }
    }
    out += templ[i++];
  }
  return out;
}

}  // namespace peergate
