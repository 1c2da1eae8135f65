#pragma once
// Random JSON values for differential tests of hand-written JSON text against Boost.JSON's.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>

namespace peergate::testing {

// Any JSON value, to a small depth: every kind, the integers' limits, doubles, strings with quotes,
// backslashes, controls, UTF-8 and raw high bytes.
inline boost::json::value random_value(std::mt19937& random, int depth) {
  static const char* const strings[] = {"",
                                        "1",
                                        "a\"b",
                                        "back\\slash",
                                        "tab\tnew\nline\r",
                                        "\x01\x1f\x7f",
                                        "caf\xc3\xa9",
                                        "\xff\xfe",
                                        "kata.peerpods.io/vm",
                                        "~0~1"};
  switch (random() % (depth > 0 ? 9 : 7)) {
    case 0: return nullptr;
    case 1: return random() % 2 == 0;
    case 2: return static_cast<std::int64_t>(random()) - (std::int64_t{1} << 31);
    case 3:
      return random() % 2 == 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
    case 4: return std::numeric_limits<std::uint64_t>::max() - random() % 3;
    case 5: return static_cast<double>(random()) / 7.0 * (random() % 2 == 0 ? 1e-300 : 1e10);
    case 6: return strings[random() % std::size(strings)];
    case 7: {
      boost::json::array items;
      for (std::size_t n = random() % 4; n > 0; --n) items.push_back(random_value(random, depth - 1));
      return items;
    }
    default: {
      boost::json::object members;
      for (std::size_t n = random() % 4; n > 0; --n)
        members[strings[random() % std::size(strings)]] = random_value(random, depth - 1);
      return members;
    }
  }
}

}  // namespace peergate::testing
