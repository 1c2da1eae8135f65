#include "engine/vm/initdata.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace peergate::vm {

namespace {

constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_alphabet() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = invalid;
  const char* letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(letters[i])] = i;
  return table;
}
constexpr std::array<std::uint8_t, 256> alphabet = make_alphabet();

// inflateEnd on every path out.
class inflater {
 public:
  inflater() = default;
  inflater(const inflater&) = delete;
  inflater& operator=(const inflater&) = delete;
  ~inflater() {
    if (initialised_) inflateEnd(&stream_);
  }
  // 16 + MAX_WBITS: a gzip wrapper only (no zlib or raw deflate), as the format says.
  bool init() {
    initialised_ = inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK;
    return initialised_;
  }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool initialised_ = false;
};

initdata_document failure(initdata_error error, std::string detail = {}) {
  initdata_document out;
  out.error = error;
  out.detail = std::move(detail);
  return out;
}

bool starts_gzip_member(const unsigned char* p, std::size_t n) { return n >= 2 && p[0] == 0x1f && p[1] == 0x8b; }

}  // namespace

std::string_view describe(initdata_error error) {
  switch (error) {
    case initdata_error::none: return "valid";
    case initdata_error::empty: return "the value is empty";
    case initdata_error::not_base64: return "not base64";
    case initdata_error::not_gzip: return "not gzip data";
    case initdata_error::corrupt: return "corrupt gzip data";
    case initdata_error::truncated: return "truncated gzip stream";
    case initdata_error::trailing_garbage: return "trailing data after the gzip stream";
    case initdata_error::too_large: return "the document inflates beyond 256 KiB";
  }
  return "invalid";
}

bool decode_base64(std::string_view text, std::string* out) {
  // Written through a pointer into a buffer sized once for the longest result (4 characters
  // make 3 bytes, a last group of 2 or 3 makes 1 or 2), then cut to what was written, on
  // failure too: a push_back per byte, each checking the capacity, cost more than the decoding.
  out->resize(text.size() / 4 * 3 + 2);
  char* const begin = out->data();
  char* at = begin;
  const auto written = [&](bool ok) {
    out->resize(static_cast<std::size_t>(at - begin));
    return ok;
  };
  // Whole groups of four alphabet characters, as long as they come (all of a one-line
  // annotation but its padded end): the loop below would decode them the same way, one
  // character and three checks at a time.
  std::size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    const std::uint8_t a = alphabet[static_cast<unsigned char>(text[i])];
    const std::uint8_t b = alphabet[static_cast<unsigned char>(text[i + 1])];
    const std::uint8_t c = alphabet[static_cast<unsigned char>(text[i + 2])];
    const std::uint8_t d = alphabet[static_cast<unsigned char>(text[i + 3])];
    if ((a | b | c | d) == invalid) break;  // invalid is 0xff, and every sextet is below 64
    const std::uint32_t group = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6) | d;
    *at++ = static_cast<char>((group >> 16) & 0xff);
    *at++ = static_cast<char>((group >> 8) & 0xff);
    *at++ = static_cast<char>(group & 0xff);
  }
  std::uint32_t group = 0;
  int in_group = 0;  // sextets in `group`
  int padding = 0;   // '=' seen
  for (const char c : text.substr(i)) {
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      // Padding completes a group of 2 or 3 characters, and nothing but padding follows it.
      if (padding == 0 && in_group < 2) return written(false);
      ++padding;
      if (in_group + padding > 4) return written(false);
      continue;
    }
    const std::uint8_t v = alphabet[static_cast<unsigned char>(c)];
    if (v == invalid || padding > 0) return written(false);
    group = (group << 6) | v;
    if (++in_group == 4) {
      *at++ = static_cast<char>((group >> 16) & 0xff);
      *at++ = static_cast<char>((group >> 8) & 0xff);
      *at++ = static_cast<char>(group & 0xff);
      group = 0;
      in_group = 0;
    }
  }
  if (in_group == 0) return written(padding == 0);
  // Go's StdEncoding requires the padding: a group of 2 takes "==", a group of 3 takes "=".
  if (in_group + padding != 4) return written(false);
  if (in_group == 2) {
    *at++ = static_cast<char>((group >> 4) & 0xff);
  } else {
    *at++ = static_cast<char>((group >> 10) & 0xff);
    *at++ = static_cast<char>((group >> 2) & 0xff);
  }
  return written(true);
}

initdata_document decode_initdata(std::string_view annotation_value) {
  if (annotation_value.empty()) return failure(initdata_error::empty);
  std::string compressed;
  if (!decode_base64(annotation_value, &compressed)) {
    // Go's StdEncoding, as Kata decodes it: the URL-safe alphabet is a common mix-up.
    const bool url_safe = annotation_value.find_first_of("-_") != std::string_view::npos;
    return failure(
        initdata_error::not_base64,
        url_safe ? "'-' or '_' are base64url; Kata reads standard base64, with + and / and = padding" : std::string());
  }
  const auto* input = reinterpret_cast<const unsigned char*>(compressed.data());
  if (compressed.size() < 2) {
    // One byte of a gzip header is the start of a stream that was cut.
    return failure(compressed.size() == 1 && input[0] == 0x1f ? initdata_error::truncated : initdata_error::not_gzip);
  }
  if (!starts_gzip_member(input, compressed.size())) return failure(initdata_error::not_gzip);

  inflater zlib;
  if (!zlib.init()) return failure(initdata_error::corrupt, "zlib could not start");
  z_stream& z = zlib.stream();
  z.next_in = const_cast<unsigned char*>(input);  // zlib's API is not const, it does not write
  z.avail_in = static_cast<uInt>(compressed.size());

  // The output grows by doubling from a guess, up to one byte past the cap: reaching that byte
  // is how "too large" is detected, and nothing is ever inflated or allocated beyond it.
  constexpr std::size_t limit = max_initdata_document_bytes + 1;
  initdata_document result;
  std::string& out = result.document;
  out.resize(std::min(limit, std::max<std::size_t>(4096, compressed.size() * 4)));
  std::size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() == limit) return failure(initdata_error::too_large);
      out.resize(std::min(limit, out.size() * 2));
    }
    z.next_out = reinterpret_cast<unsigned char*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(out.size() - produced);
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced = out.size() - z.avail_out;
    if (produced > max_initdata_document_bytes) return failure(initdata_error::too_large);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      // Another member continues the document, as gunzip and Go's multistream reader read it.
      if (!starts_gzip_member(z.next_in, z.avail_in)) {
        return failure(initdata_error::trailing_garbage, std::to_string(z.avail_in) + " bytes");
      }
      if (inflateReset(&z) != Z_OK) return failure(initdata_error::corrupt, "zlib could not restart");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      // No progress: either the output is full (grown at the top of the loop) or the input ran out.
      if (z.avail_out == 0) continue;
      return failure(initdata_error::truncated);
    }
    return failure(initdata_error::corrupt, z.msg != nullptr ? std::string(z.msg) : std::string());
  }
  out.resize(produced);
  return result;
}

}  // namespace peergate::vm
