#pragma once
// A file's bytes, for the tests that read the repository's samples, corpora and fixtures. A file
// that cannot be opened fails the test that asked for it, naming the path.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace peergate::testing {

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  INFO(path.string());
  REQUIRE(in.good());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace peergate::testing
