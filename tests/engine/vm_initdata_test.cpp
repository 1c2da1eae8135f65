#include "engine/vm/initdata.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/vm_fixtures.hpp"

using peergate::testing::base64;
using peergate::testing::gzip_generated;
using peergate::testing::gzip_text;
using peergate::testing::read_initdata_fixture;
using peergate::vm::decode_base64;
using peergate::vm::decode_initdata;
using peergate::vm::initdata_error;
using peergate::vm::max_initdata_document_bytes;

namespace {

std::string decoded(std::string_view text) {
  std::string out;
  INFO("base64: " << text);
  REQUIRE(decode_base64(text, &out));
  return out;
}

bool rejected(std::string_view text) {
  std::string out;
  return !decode_base64(text, &out);
}

// The fixture without the final newline a shell redirection may add (base64 -w0 adds none).
std::string fixture(const std::string& name) { return read_initdata_fixture(name); }

}  // namespace

TEST_CASE("base64: the standard alphabet with padding, as Go's StdEncoding reads it", "[vm][initdata]") {
  CHECK(decoded("").empty());
  CHECK(decoded("Zg==") == "f");
  CHECK(decoded("Zm8=") == "fo");
  CHECK(decoded("Zm9v") == "foo");
  CHECK(decoded("Zm9vYmFy") == "foobar");
  CHECK(decoded("+/+/") == "\xfb\xff\xbf");
  // CR and LF are skipped anywhere (base64 wraps at 76 columns; YAML block scalars keep newlines).
  CHECK(decoded("Zm9v\nYmFy\n") == "foobar");
  CHECK(decoded("Zm\r\n9vYg=\n=") == "foob");
  // Non-zero bits after the last character are accepted, as Go's non-strict decoder does.
  CHECK(decoded("Zh==") == "f");
}

TEST_CASE("base64: everything Go's StdEncoding refuses is refused", "[vm][initdata]") {
  CHECK(rejected("Zg"));   // padding required
  CHECK(rejected("Zg="));  // incomplete padding
  CHECK(rejected("Zm8"));
  CHECK(rejected("Z==="));  // one character cannot make a byte
  CHECK(rejected("===="));
  CHECK(rejected("Zg==Zg=="));  // data after padding
  CHECK(rejected("Zm9v="));
  CHECK(rejected("Zm9v Zm9v"));  // space
  CHECK(rejected("Zm9v\tZm9v"));
  CHECK(rejected("Zm9v-_8="));  // the URL-safe alphabet
  CHECK(rejected("Zm9v\x80"));
  CHECK(rejected(std::string("Zm9v\0Zm9v", 9)));
}

TEST_CASE("initdata made by gzip and base64 decodes to the document", "[vm][initdata]") {
  const std::string document = fixture("initdata.toml");
  for (const char* name : {"initdata.b64", "initdata.wrapped.b64"}) {
    INFO(name);
    const auto result = decode_initdata(fixture(name));
    CHECK(result.error == initdata_error::none);
    CHECK(result.detail.empty());
    CHECK(result.document == document);
  }
}

TEST_CASE("initdata: concatenated gzip members are one document, as gunzip reads them", "[vm][initdata]") {
  const std::string document = fixture("initdata.toml");
  const auto result = decode_initdata(fixture("concatenated.b64"));
  CHECK(result.error == initdata_error::none);
  CHECK(result.document == document + document);
}

TEST_CASE("initdata: bad values are typed errors", "[vm][initdata]") {
  CHECK(decode_initdata("").error == initdata_error::empty);
  CHECK(decode_initdata("not base64!").error == initdata_error::not_base64);
  CHECK(decode_initdata(fixture("initdata.b64") + " ").error == initdata_error::not_base64);
  CHECK(decode_initdata(fixture("not-gzip.b64")).error == initdata_error::not_gzip);
  CHECK(decode_initdata(base64("\x1f")).error == initdata_error::truncated);
  CHECK(decode_initdata(base64("x")).error == initdata_error::not_gzip);
  CHECK(decode_initdata("\n").error == initdata_error::not_gzip);  // valid base64 of nothing

  const auto truncated = decode_initdata(fixture("truncated.b64"));
  CHECK(truncated.error == initdata_error::truncated);
  CHECK(truncated.document.empty());
  // Cut inside the CRC and length trailer: all of the data is there, the stream is still cut.
  CHECK(decode_initdata(fixture("truncated-trailer.b64")).error == initdata_error::truncated);

  const auto trailing = decode_initdata(fixture("trailing-garbage.b64"));
  CHECK(trailing.error == initdata_error::trailing_garbage);
  CHECK(trailing.detail == "7 bytes");
  CHECK(trailing.document.empty());
  // Zero padding after the stream is garbage too (Go's reader fails on it).
  std::string gz = fixture("initdata.toml.gz");
  CHECK(decode_initdata(base64(gz + std::string(8, '\0'))).error == initdata_error::trailing_garbage);
  // One byte of a second member: garbage, not the start of another stream.
  CHECK(decode_initdata(base64(gz + "\x1f")).error == initdata_error::trailing_garbage);
  // A second member that is cut.
  CHECK(decode_initdata(base64(gz + gz.substr(0, 20))).error == initdata_error::truncated);

  // A bad CRC: the last 8 bytes are CRC32 and ISIZE.
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 8] = static_cast<char>(bad_crc[bad_crc.size() - 8] ^ 0x01);
  const auto crc = decode_initdata(base64(bad_crc));
  CHECK(crc.error == initdata_error::corrupt);
  CHECK(crc.detail == "incorrect data check");
  // A method byte other than deflate.
  std::string bad_method = gz;
  bad_method[2] = 7;
  CHECK(decode_initdata(base64(bad_method)).error == initdata_error::corrupt);
}

TEST_CASE("initdata: the document is capped at 256 KiB, inclusive", "[vm][initdata]") {
  auto pattern = [](std::size_t i) { return static_cast<char>('a' + (i * 7 + i / 13) % 26); };
  const auto at_cap = decode_initdata(base64(gzip_generated(max_initdata_document_bytes, pattern)));
  CHECK(at_cap.error == initdata_error::none);
  CHECK(at_cap.document.size() == max_initdata_document_bytes);
  CHECK(at_cap.document[1000] == pattern(1000));

  const auto over = decode_initdata(base64(gzip_generated(max_initdata_document_bytes + 1, pattern)));
  CHECK(over.error == initdata_error::too_large);
  CHECK(over.document.empty());
  CHECK(over.document.capacity() < 1024);  // the partial output is not kept

  // Over the cap across two members counts as one document.
  const std::string half = gzip_generated(max_initdata_document_bytes / 2 + 1, pattern);
  CHECK(decode_initdata(base64(half + half)).error == initdata_error::too_large);
}

TEST_CASE("initdata: a zip bomb stops at the cap", "[vm][initdata]") {
  // 100 MiB of zeros gzip'd: about 100 KiB. Inflating it whole would take 100 MiB; the decoder
  // stops after 256 KiB + 1 byte.
  const std::string bomb = gzip_generated(std::size_t{100} * 1024 * 1024, [](std::size_t) { return '\0'; });
  CHECK(bomb.size() < 200 * 1024);
  const std::string annotation = base64(bomb);
  const auto result = decode_initdata(annotation);
  CHECK(result.error == initdata_error::too_large);
  CHECK(result.document.empty());
}

TEST_CASE("initdata: zlib-made gzip of any text round-trips", "[vm][initdata]") {
  for (const std::string& text :
       {std::string("x"), std::string(""), std::string("[data]\nkey = 'value'\n"), std::string(70000, 'q')}) {
    const auto result = decode_initdata(base64(gzip_text(text)));
    CHECK(result.error == initdata_error::none);
    CHECK(result.document == text);
  }
}
