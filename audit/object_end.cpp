#include "audit/object_end.hpp"

#include <bit>
#include <cstdint>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PEERGATE_SCAN_X86 1
#endif

namespace peergate::audit {

namespace {

// The bytes of p[0, 64) that delimit a JSON value, as bit masks (bit k: p[k]).
struct block_masks {
  std::uint64_t quotes = 0;
  std::uint64_t backslashes = 0;
  std::uint64_t opens = 0;   // '{' and '['
  std::uint64_t closes = 0;  // '}' and ']'
  std::uint64_t newlines = 0;
};

// Bit k of the result: the xor of bits 0..k of x. Of the quotes: 1 from an opening quote up to the
// byte before its closing one, that is inside a string.
inline std::uint64_t prefix_xor(std::uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// The loop every kernel shares; `classify` is the kernel. Each kernel's function is flattened:
// this loop and its `classify` are inlined into it and compiled with its instructions.
template <typename Classify>
inline std::optional<std::size_t> scan(const char* data, std::size_t size, std::size_t begin, std::uint64_t& newlines,
                                       Classify classify) {
  std::uint64_t lines = 0;
  std::uint64_t escape_carry = 0;     // 1: the block's first byte is escaped by the last block's backslash
  std::uint64_t in_string_carry = 0;  // all ones: the block begins inside a string
  std::uint64_t depth = 0;
  for (std::size_t at = begin; at < size; at += 64) {
    block_masks m = classify(data + at);
    if (size - at < 64) {  // what follows data[size] is the buffer's padding
      const std::uint64_t valid = (std::uint64_t{1} << (size - at)) - 1;
      m.quotes &= valid;
      m.backslashes &= valid;
      m.opens &= valid;
      m.closes &= valid;
      m.newlines &= valid;
    }
    // Escaped bytes: the one after each backslash that is not itself escaped. Kubernetes objects
    // have few backslashes (managedFields' keys), so they are taken one by one.
    std::uint64_t escaped = escape_carry;
    escape_carry = 0;
    for (std::uint64_t backslashes = m.backslashes & ~escaped; backslashes != 0;) {
      const std::uint64_t bit = backslashes & (~backslashes + 1);
      backslashes &= ~bit;
      if (bit == std::uint64_t{1} << 63) {
        escape_carry = 1;
      } else {
        escaped |= bit << 1;
        backslashes &= ~(bit << 1);
      }
    }
    const std::uint64_t in_string = prefix_xor(m.quotes & ~escaped) ^ in_string_carry;
    in_string_carry = static_cast<std::uint64_t>(static_cast<std::int64_t>(in_string) >> 63);
    const std::uint64_t opens = m.opens & ~in_string;
    const std::uint64_t closes = m.closes & ~in_string;
    const auto close_count = static_cast<std::uint64_t>(std::popcount(closes));
    if (depth > close_count) {  // the nesting cannot come back to zero in this block: counted at once
      depth = depth + static_cast<std::uint64_t>(std::popcount(opens)) - close_count;
      lines += static_cast<std::uint64_t>(std::popcount(m.newlines));
      continue;
    }
    // Else bracket by bracket, to find the one that closes the object.
    for (std::uint64_t events = opens | closes; events != 0; events &= events - 1) {
      const std::uint64_t bit = events & (~events + 1);
      if (opens & bit) {
        ++depth;
      } else if (--depth == 0) {
        newlines = lines + static_cast<std::uint64_t>(std::popcount(m.newlines & (bit | (bit - 1))));
        return at + static_cast<std::size_t>(std::countr_zero(bit)) + 1;
      }
    }
    lines += static_cast<std::uint64_t>(std::popcount(m.newlines));
  }
  return std::nullopt;
}

#if PEERGATE_SCAN_X86

// SSE2 is part of x86-64: the generic kernel.
inline block_masks classify_sse2(const char* p) {
  block_masks m;
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), newline = _mm_set1_epi8('\n');
  const __m128i open_brace = _mm_set1_epi8('{'), close_brace = _mm_set1_epi8('}'), lower = _mm_set1_epi8(0x20);
  for (int part = 0; part < 4; ++part) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * part));
    const __m128i folded = _mm_or_si128(v, lower);  // '[' and ']' are '{' and '}' without the 0x20 bit
    const int shift = 16 * part;
    m.quotes |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)))} << shift;
    m.backslashes |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)))}
                     << shift;
    m.opens |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, open_brace)))}
               << shift;
    m.closes |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, close_brace)))}
                << shift;
    m.newlines |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline)))} << shift;
  }
  return m;
}

[[gnu::target("avx2")]] inline block_masks classify_avx2(const char* p) {
  block_masks m;
  const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\'), newline = _mm256_set1_epi8('\n');
  const __m256i open_brace = _mm256_set1_epi8('{'), close_brace = _mm256_set1_epi8('}');
  const __m256i lower = _mm256_set1_epi8(0x20);
  for (int part = 0; part < 2; ++part) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * part));
    const __m256i folded = _mm256_or_si256(v, lower);
    const int shift = 32 * part;
    m.quotes |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, quote)))} << shift;
    m.backslashes |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, backslash)))}
                     << shift;
    m.opens |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, open_brace)))}
               << shift;
    m.closes |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, close_brace)))}
                << shift;
    m.newlines |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, newline)))}
                  << shift;
  }
  return m;
}

[[gnu::target("avx512f,avx512bw")]] inline block_masks classify_avx512(const char* p) {
  const __m512i v = _mm512_loadu_si512(p);
  const __m512i folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
  return {_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')), _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\')),
          _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('{')), _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('}')),
          _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'))};
}

std::optional<std::size_t> scan_generic(const char* data, std::size_t size, std::size_t begin,
                                        std::uint64_t& newlines) {
  return scan(data, size, begin, newlines, classify_sse2);
}

[[gnu::target("avx2,bmi,popcnt"), gnu::flatten]] std::optional<std::size_t> scan_avx2(const char* data,
                                                                                      std::size_t size,
                                                                                      std::size_t begin,
                                                                                      std::uint64_t& newlines) {
  return scan(data, size, begin, newlines, classify_avx2);
}

[[gnu::target("avx512f,avx512bw,bmi,popcnt"), gnu::flatten]] std::optional<std::size_t> scan_avx512(
    const char* data, std::size_t size, std::size_t begin, std::uint64_t& newlines) {
  return scan(data, size, begin, newlines, classify_avx512);
}

#else

block_masks classify_bytes(const char* p) {
  block_masks m;
  for (int k = 0; k < 64; ++k) {
    const std::uint64_t bit = std::uint64_t{1} << k;
    switch (p[k]) {
      case '"': m.quotes |= bit; break;
      case '\\': m.backslashes |= bit; break;
      case '{':
      case '[': m.opens |= bit; break;
      case '}':
      case ']': m.closes |= bit; break;
      case '\n': m.newlines |= bit; break;
      default: break;
    }
  }
  return m;
}

std::optional<std::size_t> scan_generic(const char* data, std::size_t size, std::size_t begin,
                                        std::uint64_t& newlines) {
  return scan(data, size, begin, newlines, classify_bytes);
}

#endif

}  // namespace

bool scan_kernel_available(scan_kernel kernel) {
  switch (kernel) {
    case scan_kernel::generic: return true;
#if PEERGATE_SCAN_X86
    case scan_kernel::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("popcnt");
    case scan_kernel::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("bmi") &&
             __builtin_cpu_supports("popcnt");
#else
    case scan_kernel::avx2:
    case scan_kernel::avx512: return false;
#endif
  }
  return false;
}

scan_kernel best_scan_kernel() {
  static const scan_kernel best = scan_kernel_available(scan_kernel::avx512) ? scan_kernel::avx512
                                  : scan_kernel_available(scan_kernel::avx2) ? scan_kernel::avx2
                                                                             : scan_kernel::generic;
  return best;
}

std::optional<std::size_t> find_object_end(const char* data, std::size_t size, std::size_t begin,
                                           std::uint64_t& newlines, scan_kernel kernel) {
#if PEERGATE_SCAN_X86
  if (kernel == scan_kernel::avx512) return scan_avx512(data, size, begin, newlines);
  if (kernel == scan_kernel::avx2) return scan_avx2(data, size, begin, newlines);
#endif
  (void)kernel;
  return scan_generic(data, size, begin, newlines);
}

std::optional<std::size_t> find_object_end_reference(const char* data, std::size_t size, std::size_t begin,
                                                     std::uint64_t& newlines) {
  newlines = 0;
  // As the kernels see bytes: a backslash that is not escaped escapes the byte after it, in a
  // string or not (JSON has none outside strings); an escaped quote neither opens nor closes a
  // string; a bracket outside strings counts, escaped or not.
  bool in_string = false, escaped = false;
  std::size_t depth = 0;
  for (std::size_t i = begin; i < size; ++i) {
    const char c = data[i];
    newlines += c == '\n';
    const bool this_escaped = escaped;
    escaped = c == '\\' && !this_escaped;
    if (c == '"' && !this_escaped) {
      in_string = !in_string;
      continue;
    }
    if (in_string) continue;
    if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return std::nullopt;
}

}  // namespace peergate::audit
