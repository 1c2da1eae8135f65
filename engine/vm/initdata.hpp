#pragma once
// The cc_init_data annotation: base64 of a gzip'd initdata document (REFERENCE.md section 7).
// Decoding is bounded whatever the input: the inflated document is capped at 256 KiB, inflating
// stops at the cap and never allocates beyond it, so a zip bomb costs at most that much memory
// and the time to inflate that much.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace peergate::vm {

inline constexpr std::size_t max_initdata_document_bytes = 256 * 1024;

enum class initdata_error : std::uint8_t {
  none,
  empty,             // "" (nothing to decode)
  not_base64,        // a character outside the standard alphabet, misplaced or missing '=' padding
  not_gzip,          // the decoded bytes do not start with a gzip header (1f 8b 08)
  corrupt,           // zlib refused the stream: bad header flags, bad deflate data, CRC or length mismatch
  truncated,         // the gzip stream ends before its end (deflate end and trailer)
  trailing_garbage,  // bytes after the last gzip member that are not another gzip member
  too_large,         // the document inflates beyond max_initdata_document_bytes
};

// "not base64", "truncated gzip stream", ...: what is wrong, for messages.
std::string_view describe(initdata_error error);

struct initdata_document {
  initdata_error error = initdata_error::none;
  std::string detail;    // zlib's message or the offending position, when there is one
  std::string document;  // the inflated bytes; empty unless error == none
};

// Base64 as Go's encoding/base64 StdEncoding reads it, since the Kata runtime and the
// cloud-api-adaptor are Go: the standard alphabet (+ /), '=' padding required, CR and LF ignored
// anywhere (Go's decoder skips them, and `base64` without -w0 wraps at 76 columns), any other
// character (space, tab, the URL-safe - _) refused. Non-zero bits after the last character
// are accepted, as Go's non-strict decoder does. Returns false on invalid input.
bool decode_base64(std::string_view text, std::string* out);

// Then gunzip, like Go's gzip.Reader (multistream): concatenated members are one document (what
// `cat a.gz b.gz` makes and `gunzip` reads), anything else after a member is trailing garbage.
initdata_document decode_initdata(std::string_view annotation_value);

}  // namespace peergate::vm
