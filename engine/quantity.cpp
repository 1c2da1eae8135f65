#include "engine/quantity.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <limits>
#include <system_error>
#include <utility>

namespace peergate {

namespace {

// -Wpedantic flags every spelling of __int128 except through __extension__.
__extension__ using int128 = __int128;
__extension__ using uint128 = unsigned __int128;

constexpr int128 nanos_per_unit = 1'000'000'000;
constexpr std::int64_t bytes_per_mebibyte = 1024 * 1024;

// Kubernetes caps a parsed quantity at 2^63-1 units; we refuse instead of capping silently so a
// typo such as "4e30" is reported rather than turned into an absurd VM size.
constexpr int128 max_nanos = static_cast<int128>(std::numeric_limits<std::int64_t>::max()) * nanos_per_unit;
// Sums are saturated here rather than wrapping; far above anything a pod can carry.
constexpr int128 saturated_nanos = max_nanos * 1'000'000'000;

// Kubernetes rejects exponents beyond int32; accumulation stops there, so a long run of exponent
// digits cannot overflow while being read.
constexpr std::int64_t exponent_limit = std::numeric_limits<std::int32_t>::max();

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out += '"';
  return out;
}

void fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

struct suffix_value {
  int base = 10;           // 10 or 2
  std::int64_t power = 0;  // exponent of the base
};

// Decimal and binary SI suffixes. Kubernetes also accepts "n" and "u" (and emits them when it
// canonicalises small values), although its documented grammar does not list them.
bool known_suffix(std::string_view word, suffix_value* out) {
  struct entry {
    std::string_view word;
    int base;
    int power;
  };
  static constexpr entry table[] = {
      {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"k", 10, 3},  {"M", 10, 6},
      {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18}, {"Ki", 2, 10},
      {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
  };
  for (const auto& e : table) {
    if (e.word == word) {
      *out = {e.base, e.power};
      return true;
    }
  }
  return false;
}

// Multiplies a big-endian decimal digit string by 2^power (power <= 60) in one pass.
void multiply_by_power_of_two(std::string& digits, int power) {
  uint128 carry = 0;
  const uint128 factor = static_cast<uint128>(1) << power;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    const uint128 v = static_cast<uint128>(*it - '0') * factor + carry;
    *it = static_cast<char>('0' + static_cast<int>(v % 10));
    carry = v / 10;
  }
  std::string head;
  while (carry != 0) {
    head.insert(head.begin(), static_cast<char>('0' + static_cast<int>(carry % 10)));
    carry /= 10;
  }
  digits.insert(0, head);
}

// The smallest integer >= n / d, for d > 0 (C++ division truncates towards zero).
int128 ceil_div(int128 n, int128 d) {
  int128 q = n / d;
  if (n % d != 0 && n > 0) ++q;
  return q;
}

std::int64_t clamp_to_int64(int128 v) {
  if (v > std::numeric_limits<std::int64_t>::max()) return std::numeric_limits<std::int64_t>::max();
  if (v < std::numeric_limits<std::int64_t>::min()) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

// What the grammar reads in a quantity's text; the value is the digits (integer and fraction run
// together) times 10^-fraction_digits, times the suffix's power of its base.
struct quantity_parts {
  bool negative = false;
  std::string_view int_digits;
  std::string_view frac_digits;
  suffix_value suffix;
};

std::optional<quantity_parts> read_parts(std::string_view text, std::string* error) {
  if (text.empty()) {
    fail(error, "empty quantity");
    return std::nullopt;
  }

  std::size_t pos = 0;
  bool negative = false;
  if (text[pos] == '+' || text[pos] == '-') {
    negative = text[pos] == '-';
    ++pos;
  }
  const std::size_t int_begin = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  const std::string_view int_digits = text.substr(int_begin, pos - int_begin);
  std::string_view frac_digits;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t frac_begin = pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    frac_digits = text.substr(frac_begin, pos - frac_begin);
  }
  // Kubernetes reads "-" and "." as zero; a quantity with no digit at all is almost certainly a
  // mistake, so it is refused here.
  if (int_digits.empty() && frac_digits.empty()) {
    fail(error, "not a number: expected digits, as in \"500m\" or \"1.5Gi\"");
    return std::nullopt;
  }

  // The suffix is the run of letters after the number; an exponent continues with digits.
  const std::size_t suffix_begin = pos;
  while (pos < text.size() && is_letter(text[pos])) ++pos;
  const std::string_view word = text.substr(suffix_begin, pos - suffix_begin);

  suffix_value suffix;
  if ((word == "e" || word == "E") && pos < text.size() &&
      (is_digit(text[pos]) || text[pos] == '+' || text[pos] == '-')) {
    bool exp_negative = false;
    if (text[pos] == '+' || text[pos] == '-') {
      exp_negative = text[pos] == '-';
      ++pos;
    }
    const std::size_t exp_begin = pos;
    std::int64_t exponent = 0;
    bool out_of_range = false;
    while (pos < text.size() && is_digit(text[pos])) {
      if (!out_of_range) {
        exponent = exponent * 10 + (text[pos] - '0');
        out_of_range = exponent > exponent_limit;
      }
      ++pos;
    }
    if (pos == exp_begin) {
      fail(error, "bad exponent " + quoted(text.substr(suffix_begin, pos - suffix_begin)) +
                      ": expected digits after the sign");
      return std::nullopt;
    }
    if (out_of_range) {
      fail(error, exp_negative ? "exponent out of range" : "value too large");
      return std::nullopt;
    }
    suffix = {10, exp_negative ? -exponent : exponent};
  } else if (!word.empty() && !known_suffix(word, &suffix)) {
    fail(error, "unknown suffix " + quoted(word));
    return std::nullopt;
  }
  if (pos != text.size()) {
    fail(error, "unexpected " + quoted(text.substr(pos)) + " after " + quoted(text.substr(0, pos)));
    return std::nullopt;
  }

  return quantity_parts{negative, int_digits, frac_digits, suffix};
}

// The magnitude in nano-units, rounded up, computed on a decimal digit string: right for any
// number of digits and any exponent, and the reference for small_magnitude below. A value too
// large to compute is refused here; one merely above max_nanos is refused by the caller.
std::optional<int128> magnitude_from_digit_strings(const quantity_parts& parts, std::string* error) {
  const std::string_view int_digits = parts.int_digits, frac_digits = parts.frac_digits;
  const suffix_value suffix = parts.suffix;
  // The value is digits * 10^exp10 nano-units, digits being integer and fraction run together.
  std::string digits;
  digits.reserve(int_digits.size() + frac_digits.size());
  digits.append(int_digits);
  digits.append(frac_digits);
  std::int64_t exp10 = 9 - static_cast<std::int64_t>(frac_digits.size());
  if (suffix.base == 10) exp10 += suffix.power;

  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return 0;  // zero, whatever the sign or suffix
  const std::size_t last = digits.find_last_not_of('0');
  exp10 += static_cast<std::int64_t>(digits.size() - 1 - last);
  digits = digits.substr(first, last - first + 1);
  if (suffix.base == 2) multiply_by_power_of_two(digits, static_cast<int>(suffix.power));

  // max_nanos has 28 digits: a value with more integer digits is too large before any arithmetic.
  const std::int64_t length = static_cast<std::int64_t>(digits.size());
  if (length + exp10 > 28) {
    fail(error, "value too large");
    return std::nullopt;
  }
  int128 nanos = 0;
  const std::int64_t integer_digits = length + exp10 < 0 ? 0 : std::min(length, length + exp10);
  for (std::int64_t i = 0; i < integer_digits; ++i) nanos = nanos * 10 + (digits[i] - '0');
  for (std::int64_t i = 0; i < exp10; ++i) nanos *= 10;
  // Anything left below one nano-unit rounds the magnitude up, as Kubernetes does. (Multiplying
  // by 2^n can end the digits in zeros again, so the rest is checked, not just its length.)
  if (digits.find_first_not_of('0', static_cast<std::size_t>(integer_digits)) != std::string::npos) ++nanos;
  return nanos;
}

// The same in 128-bit integers, for a number of at most 18 digits and a small scale: every
// quantity of a real pod spec ("500m", "2Gi", "1.5"), which the digit strings made 5% of a
// review's time. nullopt when the number is outside that range (the caller then uses the
// digit strings). The value may be above max_nanos: signed_nanos refuses it.
std::optional<int128> small_magnitude(const quantity_parts& parts) {
  static constexpr std::array<std::uint64_t, 20> powers_of_ten = [] {
    std::array<std::uint64_t, 20> p{};
    p[0] = 1;
    for (std::size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
    return p;
  }();
  const std::size_t frac_size = parts.frac_digits.size();
  if (parts.int_digits.size() + frac_size > 18) return std::nullopt;
  std::uint64_t digits = 0;  // below 10^18
  for (char c : parts.int_digits) digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
  for (char c : parts.frac_digits) digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
  if (parts.suffix.base == 2) {
    if (frac_size > 9) return std::nullopt;
    const int128 scaled = static_cast<int128>(digits) * powers_of_ten[9 - frac_size];  // below 10^27
    // Shifted by at most 60 (Ei), a value below 2^66 stays below 2^126.
    if (scaled >= (static_cast<int128>(1) << 66)) return std::nullopt;
    return scaled << parts.suffix.power;
  }
  const std::int64_t exp10 = 9 - static_cast<std::int64_t>(frac_size) + parts.suffix.power;
  if (exp10 >= 0) {
    if (exp10 > 19) return std::nullopt;  // 10^18 * 10^19 still fits; more would not
    return static_cast<int128>(digits) * powers_of_ten[static_cast<std::size_t>(exp10)];
  }
  if (exp10 < -19) return std::nullopt;
  // Below one nano-unit the magnitude rounds up, as Kubernetes does.
  const std::uint64_t divisor = powers_of_ten[static_cast<std::size_t>(-exp10)];
  return static_cast<int128>(digits / divisor + (digits % divisor != 0 ? 1 : 0));
}

// How signed_nanos computes a magnitude: parse's way, or parse_reference's.
enum class arithmetic { integers_when_small, digit_strings };

// The value of `text` in nano-units, or nullopt with *error set.
std::optional<int128> signed_nanos(std::string_view text, std::string* error, arithmetic way) {
  const std::optional<quantity_parts> parts = read_parts(text, error);
  if (!parts) return std::nullopt;
  std::optional<int128> magnitude;
  if (way == arithmetic::integers_when_small) magnitude = small_magnitude(*parts);
  if (!magnitude) magnitude = magnitude_from_digit_strings(*parts, error);
  if (!magnitude) return std::nullopt;
  if (*magnitude > max_nanos) {
    fail(error, "value too large");
    return std::nullopt;
  }
  return parts->negative ? -*magnitude : *magnitude;
}

}  // namespace

std::optional<quantity> quantity::parse(std::string_view text, std::string* error) {
  if (const std::optional<int128> nanos = signed_nanos(text, error, arithmetic::integers_when_small))
    return quantity(*nanos);
  return std::nullopt;
}

std::optional<quantity> quantity::parse_reference(std::string_view text, std::string* error) {
  if (const std::optional<int128> nanos = signed_nanos(text, error, arithmetic::digit_strings)) return quantity(*nanos);
  return std::nullopt;
}

quantity quantity::from_units(std::int64_t units) { return quantity(static_cast<int128>(units) * nanos_per_unit); }

std::int64_t quantity::ceil_units() const { return clamp_to_int64(ceil_div(nanos_, nanos_per_unit)); }

std::int64_t quantity::ceil_mebibytes() const {
  // Whole bytes first, then whole MiB, as helpers.RoundUpToMiB does on Quantity.Value(); for
  // positive values this is the same as one rounding of the exact value.
  const int128 bytes = ceil_div(nanos_, nanos_per_unit);
  return clamp_to_int64(ceil_div(bytes, bytes_per_mebibyte));
}

quantity& quantity::operator+=(const quantity& other) {
  // Every value is kept within +-saturated_nanos (under a tenth of the int128 range), so the sum
  // itself cannot overflow; clamping it keeps that true however many values are added.
  int128 sum = nanos_ + other.nanos_;
  if (sum > saturated_nanos) sum = saturated_nanos;
  if (sum < -saturated_nanos) sum = -saturated_nanos;
  nanos_ = sum;
  return *this;
}

std::optional<std::string> quantity_text(const boost::json::value& v) {
  namespace json = boost::json;
  switch (v.kind()) {
    case json::kind::string: return std::string(v.get_string());
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    case json::kind::double_: {
      std::array<char, 64> buffer{};
      const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v.get_double());
      if (result.ec != std::errc{}) return std::nullopt;
      return std::string(buffer.data(), result.ptr);
    }
    default: return std::nullopt;
  }
}

}  // namespace peergate
