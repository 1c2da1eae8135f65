#include "engine/quantity.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iterator>
#include <random>
#include <string>

using peergate::quantity;

namespace {

quantity q(std::string_view text) {
  std::string error;
  const auto parsed = quantity::parse(text, &error);
  INFO("quantity \"" << std::string(text) << "\": " << error);
  REQUIRE(parsed.has_value());
  return *parsed;
}

std::string parse_error(std::string_view text) {
  std::string error;
  const auto parsed = quantity::parse(text, &error);
  INFO("quantity \"" << std::string(text) << "\"");
  REQUIRE_FALSE(parsed.has_value());
  return error;
}

}  // namespace

TEST_CASE("quantity: plain numbers, signs and fractions") {
  CHECK(q("0").is_zero());
  CHECK(q("-0").is_zero());
  CHECK(q("+0.000").is_zero());
  CHECK(q("0Gi").is_zero());
  CHECK(q("0e99").is_zero());
  CHECK(q("1") == quantity::from_units(1));
  CHECK(q("+1") == quantity::from_units(1));
  CHECK(q("-1") == quantity::from_units(-1));
  CHECK(q("-1").sign() == -1);
  CHECK(q("1").sign() == 1);
  CHECK(q("0").sign() == 0);
  CHECK(q("007") == quantity::from_units(7));
  CHECK(q("1.") == quantity::from_units(1));
  CHECK(q(".5") == q("500m"));
  CHECK(q("1.5") == q("1500m"));
  CHECK(q("1.500000000000") == q("1500m"));
  CHECK(q("123456789") == quantity::from_units(123456789));
}

TEST_CASE("quantity: every decimal suffix") {
  CHECK(q("1000000000n") == quantity::from_units(1));
  CHECK(q("1000000u") == quantity::from_units(1));
  CHECK(q("1000m") == quantity::from_units(1));
  CHECK(q("1k") == quantity::from_units(1000));
  CHECK(q("1M") == quantity::from_units(1000000));
  CHECK(q("1G") == quantity::from_units(1000000000));
  CHECK(q("1T") == quantity::from_units(1000000000000));
  CHECK(q("1P") == quantity::from_units(1000000000000000));
  CHECK(q("1E") == quantity::from_units(1000000000000000000));
  CHECK(q("1n") < q("2n"));
  CHECK(q("1n") > q("0"));
  CHECK(q("1u") == q("1000n"));
  CHECK(q("1m") == q("1000u"));
  CHECK(q("1.5k") == quantity::from_units(1500));
}

TEST_CASE("quantity: every binary suffix") {
  CHECK(q("1Ki") == quantity::from_units(1024));
  CHECK(q("1Mi") == quantity::from_units(1024 * 1024));
  CHECK(q("1Gi") == quantity::from_units(1024LL * 1024 * 1024));
  CHECK(q("1Ti") == quantity::from_units(1024LL * 1024 * 1024 * 1024));
  CHECK(q("1Pi") == quantity::from_units(1024LL * 1024 * 1024 * 1024 * 1024));
  CHECK(q("1Ei") == quantity::from_units(1024LL * 1024 * 1024 * 1024 * 1024 * 1024));
  CHECK(q("7Ei") == quantity::from_units(7LL << 60));
  CHECK(q("0.5Ki") == quantity::from_units(512));
  CHECK(q("1.5Gi") == quantity::from_units(1536LL * 1024 * 1024));
  // 0.1Ki = 102.4 exactly; 1.0000000001Ki = 1024.0000001024, which rounds up at the nano digit.
  CHECK(q("0.1Ki") == q("102.4"));
  CHECK(q("1.0000000001Ki") == q("1024.000000103"));
  CHECK(q("1.0000000001Ki") > q("1024.000000102"));
  // Multiplying by 1024 can leave only zeros below the nano digit: those must not round up.
  CHECK(q("1.0000000005Ki") == q("1024000000512n"));
  CHECK(q("66.39943300025Ki") == q("67993019392256n"));
  CHECK(q("-24.31103892725Ti") == q("-26730269983826348343296n"));
}

TEST_CASE("quantity: decimal exponents, and E alone is exa") {
  CHECK(q("1E") == quantity::from_units(1000000000000000000));
  CHECK(q("1E3") == quantity::from_units(1000));
  CHECK(q("1e3") == quantity::from_units(1000));
  CHECK(q("1e+3") == quantity::from_units(1000));
  CHECK(q("1E+03") == quantity::from_units(1000));
  CHECK(q("1e0") == quantity::from_units(1));
  CHECK(q("1e-3") == q("1m"));
  CHECK(q("1.5e1") == quantity::from_units(15));
  CHECK(q("5E-1") == q("500m"));
  CHECK(q("12e-9") == q("12n"));
  CHECK(q("1.e3") == quantity::from_units(1000));
  CHECK(q("-2e2") == quantity::from_units(-200));
  CHECK(q("9e18") == quantity::from_units(9000000000000000000));
}

TEST_CASE("quantity: values below one nano-unit round up, away from zero") {
  CHECK(q("0.1n") == q("1n"));
  CHECK(q("1.1n") == q("2n"));
  CHECK(q("1e-10") == q("1n"));
  CHECK(q("1e-400") == q("1n"));
  CHECK(q("0.0000000000000000000000000000000000000000000000000001") == q("1n"));
  CHECK(q("-0.1n") == q("-1n"));
  CHECK(q("0.0000000001Ki") == q("103n"));  // 102.4n
}

TEST_CASE("quantity: ceil_units rounds towards +infinity") {
  CHECK(q("500m").ceil_units() == 1);
  CHECK(q("1500m").ceil_units() == 2);
  CHECK(q("1n").ceil_units() == 1);
  CHECK(q("2").ceil_units() == 2);
  CHECK(q("2000m").ceil_units() == 2);
  CHECK(q("2001m").ceil_units() == 3);
  CHECK((q("0.7") + q("0.5")).ceil_units() == 2);
  CHECK((q("200m") + q("300m")).ceil_units() == 1);
  CHECK(q("0").ceil_units() == 0);
  CHECK(q("-500m").ceil_units() == 0);
  CHECK(q("-1500m").ceil_units() == -1);
  CHECK(q("1k").ceil_units() == 1000);
}

TEST_CASE("quantity: ceil_mebibytes rounds bytes up to whole MiB") {
  CHECK(q("4Gi").ceil_mebibytes() == 4096);
  CHECK(q("5Gi").ceil_mebibytes() == 5120);
  CHECK(q("1").ceil_mebibytes() == 1);
  CHECK(q("1M").ceil_mebibytes() == 1);
  CHECK(q("1Mi").ceil_mebibytes() == 1);
  CHECK(q("1048577").ceil_mebibytes() == 2);
  CHECK(q("1G").ceil_mebibytes() == 954);  // 953.67 MiB
  CHECK(q("0.5").ceil_mebibytes() == 1);
  CHECK(q("0").ceil_mebibytes() == 0);
  CHECK((q("2Gi") + q("2Gi")).ceil_mebibytes() == 4096);
  CHECK(q("1Ei").ceil_mebibytes() == (1LL << 40));
}

TEST_CASE("quantity: sums are exact") {
  quantity total;
  for (int i = 0; i < 10; ++i) total += q("100m");
  CHECK(total == quantity::from_units(1));
  CHECK(q("1Gi") + q("-1Gi") == quantity{});
  CHECK(q("1n") + q("999999999n") == quantity::from_units(1));
}

TEST_CASE("quantity: large values and overflow") {
  // The largest value Kubernetes keeps is 2^63-1 units.
  CHECK(q("9223372036854775807").ceil_units() == 9223372036854775807LL);
  CHECK(q("7.999Ei") > q("7Ei"));
  CHECK(parse_error("9223372036854775808") == "value too large");
  CHECK(parse_error("8Ei") == "value too large");
  CHECK(parse_error("10E") == "value too large");
  CHECK(parse_error("1e19") == "value too large");
  CHECK(parse_error("1e400") == "value too large");
  CHECK(parse_error("1e99999999999999999999999999") == "value too large");
  CHECK(parse_error("-1e400") == "value too large");
  CHECK(parse_error("1e-99999999999999999999999999") == "exponent out of range");
  CHECK(parse_error("123456789012345678901234567890") == "value too large");

  // Sums saturate instead of overflowing; the rounded results clamp to int64.
  quantity total;
  for (int i = 0; i < 100; ++i) total += q("9e18");
  CHECK(total.ceil_units() == 9223372036854775807LL);
  CHECK(total.ceil_mebibytes() > 0);
}

TEST_CASE("quantity: errors say what is wrong") {
  CHECK(parse_error("") == "empty quantity");
  CHECK(parse_error("-").find("not a number") == 0);
  CHECK(parse_error(".").find("not a number") == 0);
  CHECK(parse_error("Gi").find("not a number") == 0);
  CHECK(parse_error(" 1").find("not a number") == 0);
  CHECK(parse_error("abc").find("not a number") == 0);
  CHECK(parse_error("1Kb") == "unknown suffix \"Kb\"");
  CHECK(parse_error("2x") == "unknown suffix \"x\"");
  CHECK(parse_error("1K") == "unknown suffix \"K\"");
  CHECK(parse_error("1mi") == "unknown suffix \"mi\"");
  CHECK(parse_error("1e") == "unknown suffix \"e\"");
  CHECK(parse_error("1Ee3") == "unknown suffix \"Ee\"");
  CHECK(parse_error("1e+") == "bad exponent \"e+\": expected digits after the sign");
  CHECK(parse_error("1 Gi") == "unexpected \" Gi\" after \"1\"");
  CHECK(parse_error("1 ") == "unexpected \" \" after \"1\"");
  CHECK(parse_error("1.2.3") == "unexpected \".3\" after \"1.2\"");
  CHECK(parse_error("1Gi3") == "unexpected \"3\" after \"1Gi\"");
  CHECK(parse_error("1e3Gi") == "unexpected \"Gi\" after \"1e3\"");
  CHECK(parse_error("--1").find("not a number") == 0);
  CHECK(parse_error("0x10") == "unknown suffix \"x\"");
}

TEST_CASE("quantity: a null error pointer is allowed") {
  CHECK_FALSE(quantity::parse("1Kb", nullptr).has_value());
  CHECK(quantity::parse("1Ki", nullptr).has_value());
}

// quantity::parse computes small numbers in 128-bit integers and leaves the rest to the digit
// strings of parse_reference: the two must agree on the value or on the error, whatever the
// text. The generator covers the fast path's edges (18 and 19 digits, fractions of 9 and 10
// digits, exponents around +-19, every suffix, values around the int64 cap); the quantity fuzz
// target does the same on any bytes.
TEST_CASE("quantity: parse agrees with parse_reference, value or error") {
  std::mt19937_64 random(20261202);
  const char* suffixes[] = {"",   "n",  "u",  "m",  "k", "M", "G",  "T",  "P", "E",   "Ki", "Mi",
                            "Gi", "Ti", "Pi", "Ei", "e", "E", "e-", "e+", "x", "KiB", "i"};
  const auto digits = [&](std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += static_cast<char>('0' + random() % 10);
    return out;
  };
  const auto sizes = [&] {  // digit counts, crowded around the fast path's limits
    const std::size_t edges[] = {0, 1, 2, 3, 8, 9, 10, 17, 18, 19, 20, 28, 30};
    return random() % 2 ? edges[random() % std::size(edges)] : random() % 12;
  };
  std::size_t values = 0, errors = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string text;
    if (random() % 4 == 0) text += random() % 2 ? "-" : "+";
    text += digits(sizes());
    if (random() % 2) text += "." + digits(sizes());
    const std::string suffix = suffixes[random() % std::size(suffixes)];
    text += suffix;
    if (suffix.starts_with("e") || suffix.starts_with("E")) {
      const long exponent = static_cast<long>(random() % 60) - 30;
      text += std::to_string(suffix.size() == 1 ? exponent : std::labs(exponent));
    }
    std::string fast_error, reference_error;
    const auto fast = quantity::parse(text, &fast_error);
    const auto reference = quantity::parse_reference(text, &reference_error);
    INFO("quantity \"" << text << "\"");
    REQUIRE(fast.has_value() == reference.has_value());
    if (fast) {
      REQUIRE(*fast == *reference);
      ++values;
    } else {
      REQUIRE(fast_error == reference_error);
      ++errors;
    }
  }
  CHECK(values > 50000);
  CHECK(errors > 20000);
}
