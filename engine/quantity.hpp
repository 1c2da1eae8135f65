#pragma once
// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), parsed exactly.
//
// Grammar: <signedNumber><suffix>, suffix one of
//   binarySI  Ki Mi Gi Ti Pi Ei
//   decimalSI m "" k M G T P E
//   decimalExponent e<signedNumber> | E<signedNumber>
// The value is kept as an exact count of nano-units in a 128-bit integer, so sums over many
// containers and the upstream webhook's rounding ("round up to whole cores / MiB") are exact.
// Values below one nano-unit round up to one nano-unit, as Kubernetes does.

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peergate {

// GCC and Clang's 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
__extension__ typedef __int128 int128_t;

class quantity {
 public:
  quantity() = default;

  // Parses `text`; on failure returns nullopt and sets *error to a short reason
  // ("unknown suffix \"Kb\"", "empty quantity", "value too large", ...).
  static std::optional<quantity> parse(std::string_view text, std::string* error);
  // The same, always computed on decimal digit strings (any size, slower): the plain way that
  // parse() leaves for 128-bit integers when a number is small. For the tests and the quantity
  // fuzz target, which hold the two to the same value or the same error.
  static std::optional<quantity> parse_reference(std::string_view text, std::string* error);

  static quantity from_units(std::int64_t units);

  bool is_zero() const { return nanos_ == 0; }
  int sign() const { return nanos_ > 0 ? 1 : (nanos_ < 0 ? -1 : 0); }

  // Whole units, rounded up (towards +infinity), like Quantity.Value(): 500m -> 1, 1.2 -> 2.
  std::int64_t ceil_units() const;
  // Bytes rounded up to whole MiB, like helpers.RoundUpToMiB: 4Gi -> 4096, 1 -> 1.
  std::int64_t ceil_mebibytes() const;

  quantity& operator+=(const quantity& other);
  friend quantity operator+(quantity a, const quantity& b) { return a += b; }
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 sees a literal 0 in the defaulted <=>.
  friend auto operator<=>(const quantity&, const quantity&) = default;

 private:
  explicit quantity(int128_t nanos) : nanos_(nanos) {}

  int128_t nanos_ = 0;
};

// The text of a quantity written in a pod spec: a string as is, a JSON number as the text it
// would have had in YAML (integers in decimal, doubles in their shortest round-tripping form:
// 0.7 -> "0.7", not 0.69999999999999996); nullopt for the other types.
std::optional<std::string> quantity_text(const boost::json::value& v);

}  // namespace peergate
