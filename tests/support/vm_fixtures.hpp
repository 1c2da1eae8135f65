#pragma once
// Helpers of the VM governance tests: gzip made by zlib (for inputs the fixtures cannot hold,
// such as a 100 MiB zip bomb), base64 encoding, the initdata fixtures made by the real tools
// (tests/data/initdata), and a digest provider whose answers come from coreutils' sha*sum files.

#include <zlib.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstddef>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/chain.hpp"
#include "engine/vm/digest.hpp"
#include "tests/support/files.hpp"

namespace peergate::testing {

inline std::string read_initdata_fixture(const std::string& name) {
  return file_bytes(std::string(PEERGATE_SOURCE_DIR) + "/tests/data/initdata/" + name);
}

// The hex digest in a "<hex>  <file>" line as sha256sum prints it.
inline std::string coreutils_digest(const std::string& fixture) {
  const std::string line = read_initdata_fixture(fixture);
  return line.substr(0, line.find(' '));
}

// gzip of `size` bytes produced by `byte(i)`, streamed through deflate in 64 KiB pieces so a
// 100 MiB input is never held in memory.
template <typename ByteAt>
std::string gzip_generated(std::size_t size, ByteAt byte) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out;
  std::string chunk(64 * 1024, '\0');
  unsigned char buffer[64 * 1024];
  std::size_t done = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    const std::size_t n = std::min(chunk.size(), size - done);
    for (std::size_t i = 0; i < n; ++i) chunk[i] = static_cast<char>(byte(done + i));
    done += n;
    z.next_in = reinterpret_cast<unsigned char*>(chunk.data());
    z.avail_in = static_cast<uInt>(n);
    const int flush = done == size ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = buffer;
      z.avail_out = sizeof buffer;
      rc = deflate(&z, flush);
      REQUIRE(rc != Z_STREAM_ERROR);
      out.append(reinterpret_cast<char*>(buffer), sizeof buffer - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

inline std::string gzip_text(std::string_view text) {
  return gzip_generated(text.size(), [text](std::size_t i) { return text[i]; });
}

inline std::string base64(std::string_view bytes) {
  static constexpr char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += letters[(v >> 18) & 63];
    out += letters[(v >> 12) & 63];
    out += letters[(v >> 6) & 63];
    out += letters[v & 63];
  }
  if (bytes.size() - i == 1) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += letters[(v >> 18) & 63];
    out += letters[(v >> 12) & 63];
    out += "==";
  } else if (bytes.size() - i == 2) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += letters[(v >> 18) & 63];
    out += letters[(v >> 12) & 63];
    out += letters[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// Digests known ahead: (algorithm, document) -> hex, from the fixtures' sha*sum files. A
// document it does not know gets a non-hex "digest" that matches no allowed digest; calls are counted.
class table_digest_provider : public vm::digest_provider {
 public:
  void add(vm::digest_algorithm algorithm, std::string document, std::string hex) {
    table_[{algorithm, std::move(document)}] = std::move(hex);
  }
  std::optional<std::string> hex_digest(vm::digest_algorithm algorithm, std::string_view bytes) const override {
    ++calls;
    const auto it = table_.find({algorithm, std::string(bytes)});
    if (it == table_.end()) return std::string(vm::hex_length(algorithm), 'x');  // never a valid hex digest
    return it->second;
  }
  mutable int calls = 0;

 private:
  std::map<std::pair<vm::digest_algorithm, std::string>, std::string> table_;
};

// The time tests decide at: fixed, so that no test depends on the clock (2026-12-01T00:00:00Z).
inline const std::chrono::system_clock::time_point fixed_now =
    std::chrono::sys_days{std::chrono::year{2026} / std::chrono::December / 1};

// For cases without initdata: a table that matches nothing (a lookup would fail the case), and
// the chain's inputs with it at fixed_now.
inline const table_digest_provider empty_digest_table;
inline const evaluation_context no_digests{empty_digest_table, fixed_now};

// The provider with the initdata.toml fixture's three digests.
inline table_digest_provider fixture_digests() {
  table_digest_provider provider;
  const std::string document = read_initdata_fixture("initdata.toml");
  provider.add(vm::digest_algorithm::sha256, document, coreutils_digest("initdata.toml.sha256"));
  provider.add(vm::digest_algorithm::sha384, document, coreutils_digest("initdata.toml.sha384"));
  provider.add(vm::digest_algorithm::sha512, document, coreutils_digest("initdata.toml.sha512"));
  return provider;
}

// The findings of one policy in a decision, as "rule=result" words in the order found.
inline std::string results_of(const decision& d, const std::string& policy) {
  std::string out;
  for (const finding& f : d.findings)
    if (f.policy == policy) out += std::string(out.empty() ? "" : " ") + to_string(f.rule) + "=" + to_string(f.result);
  return out;
}

}  // namespace peergate::testing
