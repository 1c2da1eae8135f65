#include "engine/messages.hpp"

#include <catch2/catch.hpp>

using namespace peergate;

namespace {
std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

TEST_CASE("one_line removes control characters and collapses spaces") {
  CHECK(one_line("a\nb\tc\r\n  d\x7f") == "a b c d");
  CHECK(one_line("  lead") == "lead");
}

TEST_CASE("one_line replaces invalid UTF-8 and keeps valid multibyte text") {
  CHECK(one_line("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(one_line("bad\xFF!") == "bad\xEF\xBF\xBD!");
  CHECK(one_line("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  CHECK(one_line("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(one_line("x\xC2\x85y") == "x y");                                     // C1 control NEL
}

TEST_CASE("one_line cuts at the limit in characters, not bytes, ending with an ellipsis") {
  std::string long_text(300, 'x');
  auto out = one_line(long_text);
  CHECK(code_points(out) == 256);
  CHECK(out.substr(out.size() - 3) == "\xE2\x80\xA6");
  std::string accents;
  for (int i = 0; i < 300; ++i) accents += "\xC3\xA9";
  out = one_line(accents);
  CHECK(code_points(out) == 256);
  CHECK(one_line(std::string(256, 'y')) == std::string(256, 'y'));
}

TEST_CASE("expand_message fills known placeholders and keeps the rest") {
  message_fields f{"p", "ns", "kata-remote", "Pod", "web"};
  CHECK(expand_message("{kind} {name} in {namespace} ({runtimeClassName}) by {policy}", f) ==
        "Pod web in ns (kata-remote) by p");
  CHECK(expand_message("{other} {", f) == "{other} {");
}
