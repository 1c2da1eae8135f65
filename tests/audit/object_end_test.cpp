// find_object_end's kernels (generic SSE2, AVX2, AVX-512: each that this processor has) against
// the byte-by-byte reference, on random texts made of what the scan looks at: quotes, backslashes
// (runs of them, across 64-byte blocks), brackets, newlines, and other bytes; and on real items.

#include "audit/object_end.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

using namespace peergate::audit;

namespace {

constexpr std::size_t padding = 64;

// What every available kernel says of text[begin, size): the reference's answer. `text` is
// followed by `padding` bytes of garbage, which must change nothing.
void require_kernels_agree(const std::string& text, std::size_t begin, std::mt19937_64& rng) {
  std::string padded = text;
  for (std::size_t k = 0; k < padding; ++k) padded += "{}[]\"\\\nx"[rng() % 8];
  std::uint64_t expected_lines = 0;
  const std::optional<std::size_t> expected =
      find_object_end_reference(padded.data(), text.size(), begin, expected_lines);
  for (scan_kernel kernel : {scan_kernel::generic, scan_kernel::avx2, scan_kernel::avx512}) {
    if (!scan_kernel_available(kernel)) continue;
    INFO("kernel " << static_cast<int>(kernel) << ", begin " << begin << ", text:\n" << text);
    std::uint64_t lines = 0;
    const std::optional<std::size_t> end = find_object_end(padded.data(), text.size(), begin, lines, kernel);
    REQUIRE(end == expected);
    if (end) REQUIRE(lines == expected_lines);
  }
}

std::string random_text(std::mt19937_64& rng, std::size_t size) {
  // Weighted so that strings open and close, backslashes come in runs and the nesting returns to
  // zero at times.
  static const std::string alphabet = "{{{}}}[[]]\"\"\"\"\\\\\\\n\n  abc:,0";
  std::string out = "{";
  while (out.size() < size) out += alphabet[rng() % alphabet.size()];
  return out;
}

}  // namespace

TEST_CASE("find_object_end: every kernel is the reference, on random texts", "[audit][object_end]") {
  std::mt19937_64 rng(20241202);
  for (int round = 0; round < 20000; ++round) {
    const std::size_t size = 1 + rng() % 400;
    const std::string prefix(rng() % 70, ' ');  // the object begins anywhere in a block
    require_kernels_agree(prefix + random_text(rng, size), prefix.size(), rng);
  }
}

TEST_CASE("find_object_end: objects, strings and escapes across blocks", "[audit][object_end]") {
  std::mt19937_64 rng(7);
  const std::vector<std::string> texts = {
      R"({})",
      R"({"a": "}"})",
      R"({"a": "\"}"})",
      R"({"a": "\\"}, "b")",
      R"({"a": "\\\"}"}, "b")",
      R"({"k:{\"uid\":\"414c\"}": {}, "x": [1, {"y": "]"}]})",
      R"({"a": [)",  // never ends
      R"({"a": "never closed)",
  };
  for (const std::string& t : texts) {
    for (std::size_t shift = 0; shift < 130; ++shift) {
      // The same text at every offset, so that each byte lands on each block boundary.
      require_kernels_agree(std::string(shift, '\n') + t + ",\n{}", shift, rng);
      // A run of backslashes that crosses a block boundary.
      const std::string run = "{\"" + std::string(shift % 7 + 60, '\\') + "\"}\"}";
      require_kernels_agree(std::string(shift, ' ') + run, shift, rng);
    }
  }
}

TEST_CASE("find_object_end: where a valid item ends", "[audit][object_end]") {
  const std::string item = "{\n  \"metadata\": {\"name\": \"a\\\"}\", \"labels\": {\"x\": \"[{\"}},\n  \"spec\": []\n}";
  const std::string text = item + ",\n  {\"next\": 1}";
  const std::string padded = text + std::string(padding, '}');
  for (scan_kernel kernel : {scan_kernel::generic, scan_kernel::avx2, scan_kernel::avx512}) {
    if (!scan_kernel_available(kernel)) continue;
    std::uint64_t lines = 0;
    REQUIRE(find_object_end(padded.data(), text.size(), 0, lines, kernel) == item.size());
    CHECK(lines == 3);
    // Cut before its end: not found, whatever the padding holds.
    REQUIRE_FALSE(find_object_end(padded.data(), item.size() - 1, 0, lines, kernel));
  }
}
