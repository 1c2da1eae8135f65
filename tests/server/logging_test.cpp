#include <catch2/catch.hpp>

#include "engine/json_text.hpp"
#include "webhook/server/logging.hpp"

using namespace peergate::webhook::server;

namespace {
std::string escaped(std::string_view s) {
  std::string out;
  peergate::append_json_escaped(out, s);
  return out;
}
}  // namespace

TEST_CASE("JSON escaping keeps every log line valid JSON") {
  CHECK(escaped("plain") == "plain");
  CHECK(escaped("quote \" backslash \\") == "quote \\\" backslash \\\\");
  CHECK(escaped("line\nbreak\ttab\r") == "line\\nbreak\\ttab\\r");
  CHECK(escaped(std::string_view("nul\0bell\x07", 9)) == "nul\\u0000bell\\u0007");
  CHECK(escaped("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80");
  // Invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong form, a surrogate.
  CHECK(escaped("a\x80z") == "a\xEF\xBF\xBDz");
  CHECK(escaped("a\xC3") == "a\xEF\xBF\xBD");
  CHECK(escaped("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(escaped("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("log formats and levels parse") {
  CHECK(parse_log_format("json") == log_format::json);
  CHECK(parse_log_format("text") == log_format::text);
  CHECK_FALSE(parse_log_format("xml"));
  CHECK(parse_log_level("warning") == log_level::warn);
  CHECK(parse_log_level("warn") == log_level::warn);
  CHECK(parse_log_level("off") == log_level::off);
  CHECK_FALSE(parse_log_level("verbose"));
}

TEST_CASE("a log line without a logger is a no-op") {
  shutdown_logging();
  CHECK_FALSE(log_enabled(log_level::error));
  log_line(log_level::error, "nobody listens").field("k", "v").field("n", 1).field("b", true);
}
