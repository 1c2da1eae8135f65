#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/json_text.hpp"
#include "webhook/server/logging.hpp"

using namespace peergate::webhook::server;

namespace {
std::string escaped(std::string_view s) {
  std::string out;
  peergate::append_json_escaped(out, s);
  return out;
}

// The lines `log` writes, with stderr (where the logger writes) sent to a temporary file meanwhile,
// each without its timestamp (the text up to the first field).
std::vector<std::string> captured_lines(log_format format, const std::function<void()>& log) {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  REQUIRE(dup2(fileno(file), STDERR_FILENO) >= 0);
  init_logging({.format = format, .level = log_level::info});
  log();
  shutdown_logging();  // writes what is pending
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string text;
  std::rewind(file);
  for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file)) text.push_back(static_cast<char>(c));
  std::fclose(file);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto level = line.find(format == log_format::json ? "\"level\"" : " ");
    lines.push_back(level == std::string::npos ? line : line.substr(level));
  }
  return lines;
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

TEST_CASE("log lines are whole when one is made while another is open, and lists render in both formats") {
  const auto policies = [](const auto& add) {
    add("a");
    add("b");
  };
  const auto none = [](const auto&) {};
  const auto json = captured_lines(log_format::json, [&] {
    log_line outer(log_level::info, "outer");
    outer.field("k", "v");
    log_line(log_level::warn, "inner").field("n", 2).list("policies", policies);
    outer.list("policies", none).field("last", true);
  });
  REQUIRE(json.size() == 2);
  CHECK(json[0] == R"("level":"warn","msg":"inner","n":2,"policies":["a","b"]})");
  CHECK(json[1] == R"("level":"info","msg":"outer","k":"v","policies":[],"last":true})");

  const auto text = captured_lines(log_format::text, [&] {
    log_line(log_level::info, "listed").list("policies", policies).list("none", none);
    log_line(log_level::info, "quoted").field("policies", std::vector<std::string>{"a b", "c"});
  });
  REQUIRE(text.size() == 2);
  CHECK(text[0] == R"( info listed policies=a,b none="")");
  CHECK(text[1] == R"( info quoted policies="a b,c")");
}

TEST_CASE("a line longer than the reused buffer keeps is written whole, and the next one too") {
  const std::string long_message(100 * 1024, 'x');
  const auto lines = captured_lines(log_format::json, [&] {
    log_line(log_level::info, "long").field("message", long_message);
    log_line(log_level::info, "short").field("n", std::uint64_t{7});
  });
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == R"("level":"info","msg":"long","message":")" + long_message + "\"}");
  CHECK(lines[1] == R"("level":"info","msg":"short","n":7})");
}

TEST_CASE("log values are JSON-escaped past their plain beginning") {
  const auto lines = captured_lines(log_format::json, [] {
    log_line(log_level::info, "say \"hi\"")
        .field("m", "plain then \"quoted\"\n\x01 caf\xC3\xA9 \x80")
        .list("l", [](const auto& add) { add("back\\slash"); });
  });
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == R"("level":"info","msg":"say \"hi\"","m":"plain then \"quoted\"\n\u0001 café )"
                    "\xEF\xBF\xBD"
                    R"(","l":["back\\slash"]})");
}
