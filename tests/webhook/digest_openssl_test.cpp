#include "webhook/digest_openssl.hpp"

#include <stdio.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.hpp"

using peergate::vm::digest_algorithm;
using peergate::webhook::openssl_digest_provider;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The digest coreutils prints for `path`, run now: `sha256sum FILE` prints "<hex>  FILE".
std::string coreutils(const char* tool, const std::string& path) {
  const std::string command = std::string(tool) + " '" + path + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  REQUIRE(::pclose(pipe) == 0);
  return out.substr(0, out.find(' '));
}

}  // namespace

TEST_CASE("OpenSSL digests equal sha256sum, sha384sum and sha512sum run on the same bytes", "[vm][digest]") {
  const openssl_digest_provider provider;
  peergate::testing::temp_dir dir;
  std::string large;
  for (int i = 0; i < 300000; ++i) large += static_cast<char>((i * 31 + i / 7) & 0xff);
  for (const std::string& bytes : {std::string(), std::string("abc"), std::string("a\0b\n", 4), large}) {
    const std::string path = (dir.path / "input").string();
    std::ofstream(path, std::ios::binary) << bytes;
    INFO("input of " << bytes.size() << " bytes");
    CHECK(provider.hex_digest(digest_algorithm::sha256, bytes) == coreutils("sha256sum", path));
    CHECK(provider.hex_digest(digest_algorithm::sha384, bytes) == coreutils("sha384sum", path));
    CHECK(provider.hex_digest(digest_algorithm::sha512, bytes) == coreutils("sha512sum", path));
  }
}

TEST_CASE("OpenSSL digests of the initdata fixture equal the checked-in sha*sum output", "[vm][digest]") {
  // tests/data/initdata/initdata.toml.sha256 and friends were written by coreutils
  // (tests/data/initdata/make_fixtures.sh).
  const std::string dir = std::string(PEERGATE_SOURCE_DIR) + "/tests/data/initdata/";
  const std::string document = read_file(dir + "initdata.toml");
  const openssl_digest_provider provider;
  auto listed = [&](const char* file) {
    const std::string line = read_file(dir + file);
    return line.substr(0, line.find(' '));
  };
  CHECK(provider.hex_digest(digest_algorithm::sha256, document) == listed("initdata.toml.sha256"));
  CHECK(provider.hex_digest(digest_algorithm::sha384, document) == listed("initdata.toml.sha384"));
  CHECK(provider.hex_digest(digest_algorithm::sha512, document) == listed("initdata.toml.sha512"));
  // Known answer (FIPS 180-2 "abc"), so a broken coreutils could not hide a broken provider.
  CHECK(provider.hex_digest(digest_algorithm::sha256, "abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
