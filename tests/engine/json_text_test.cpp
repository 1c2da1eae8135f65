#include "engine/json_text.hpp"

#include <catch2/catch.hpp>

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
