#include "engine/json_text.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <string>

using namespace peergate;

TEST_CASE("json quoting escapes controls, replaces invalid UTF-8 and keeps YAML readable") {
  CHECK(json_quote("a\"b\\c\n\t\x01") == R"("a\"b\\c\n\t\u0001")");
  CHECK(json_quote("caf\xC3\xA9") == "\"caf\xC3\xA9\"");
  CHECK(json_quote("bad \xFF byte") == "\"bad \xEF\xBF\xBD byte\"");
  CHECK(json_quote("c1 \xC2\x85") == R"("c1 \u0085")");
}

TEST_CASE("append_json_escaped writes the inside of json_quote's literal") {
  for (std::string_view text :
       {"plain", "a\"b\\c\n\t\x01", "bad \xFF byte", "c1 \xC2\x85", "nonchar \xEF\xBF\xBF", ""}) {
    INFO(text);
    std::string inside = "prefix:";
    append_json_escaped(inside, text);
    CHECK(inside == "prefix:" + json_quote(text).substr(1, json_quote(text).size() - 2));
  }
}

TEST_CASE("append_json_escaped writes what its byte-by-byte reference writes, on random texts") {
  // Runs of plain ASCII of every length around the 16-byte blocks, broken by every kind of byte
  // that is escaped or replaced: quotes, backslashes, controls, DEL, C1 controls, noncharacters,
  // valid and invalid UTF-8.
  static const std::string_view pieces[] = {"a",
                                            "0123456789abcdef",
                                            " ",
                                            "\"",
                                            "\\",
                                            "\n",
                                            "\x01",
                                            "\x7F",
                                            "\xC3\xA9",
                                            "\xC2\x85",
                                            "\xEF\xBF\xBF",
                                            "\xFF",
                                            "\xE2\x82",
                                            "\xF0\x9F\x98\x80",
                                            std::string_view("\0", 1)};
  std::mt19937_64 rng(31337);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const std::size_t parts = rng() % 12;
    for (std::size_t k = 0; k < parts; ++k) {
      const std::string_view piece = pieces[rng() % std::size(pieces)];
      const std::size_t repeat = piece.size() == 1 && rng() % 2 ? rng() % 40 : 1;
      for (std::size_t r = 0; r < repeat; ++r) text += piece;
    }
    INFO(text);
    std::string fast = "x", reference = "x";
    append_json_escaped(fast, text);
    append_json_escaped_reference(reference, text);
    REQUIRE(fast == reference);
  }
}
