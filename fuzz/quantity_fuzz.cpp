// Fuzzes quantity::parse against quantity::parse_reference (engine/quantity.hpp): parse computes
// small numbers in 128-bit integers and the reference computes every number on decimal digit
// strings; for any text both must give the same value, or both the same error. A difference
// aborts, so libFuzzer (or the replay test) reports the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/quantity.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string fast_error, reference_error;
  const auto fast = peergate::quantity::parse(text, &fast_error);
  const auto reference = peergate::quantity::parse_reference(text, &reference_error);
  const bool same =
      fast.has_value() == reference.has_value() && (fast ? *fast == *reference : fast_error == reference_error);
  if (!same) {
    std::fprintf(stderr, "quantity \"%.*s\": parse and parse_reference differ (errors: \"%s\" / \"%s\")\n",
                 static_cast<int>(text.size()), text.data(), fast_error.c_str(), reference_error.c_str());
    std::abort();
  }
  return 0;
}
