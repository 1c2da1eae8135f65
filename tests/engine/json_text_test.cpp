#include "engine/json_text.hpp"

#include <catch2/catch.hpp>

using namespace peergate;

TEST_CASE("json quoting escapes controls, replaces invalid UTF-8 and keeps YAML readable") {
  CHECK(json_quote("a\"b\\c\n\t\x01") == R"("a\"b\\c\n\t\u0001")");
  CHECK(json_quote("caf\xC3\xA9") == "\"caf\xC3\xA9\"");
  CHECK(json_quote("bad \xFF byte") == "\"bad \xEF\xBF\xBD byte\"");
  CHECK(json_quote("c1 \xC2\x85") == R"("c1 \u0085")");
}
