#include "engine/json_serialize.hpp"

#include <boost/json/serializer.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <bit>

namespace peergate {

std::size_t serialized_as_is(std::string_view text) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i below_space = _mm_set1_epi8(0x1F);
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    // A byte is below 0x20 when max(byte, 0x1F) is 0x1F, unsigned.
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, below_space), below_space);
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)), control);
    if (const int mask = _mm_movemask_epi8(special); mask != 0)
      return i + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\') break;
  }
  return i;
}

std::string_view serialized_double(double d, std::array<char, 32>& space) {
  // Boost.JSON's own number formatting is not public: its serializer writes the one value. A
  // scalar needs no stack, so the serializer takes no memory.
  const boost::json::value value(d);
  boost::json::serializer writer;
  writer.reset(&value);
  return writer.read(space.data(), space.size());
}

}  // namespace peergate
