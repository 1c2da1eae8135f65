#pragma once
// Digests of initdata documents. The engine does not include or link OpenSSL, so it only
// declares what it needs: the algorithms, an allowed digest as a policy writes it
// ("sha256:<64 lowercase hex>"), and a provider that computes a digest. The OpenSSL provider is
// webhook/digest_openssl.hpp; the engine's tests use a table of digests computed by coreutils.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peergate::vm {

enum class digest_algorithm : std::uint8_t { sha256, sha384, sha512 };

// "sha256", "sha384", "sha512": the prefix of a digest.
std::string_view to_string(digest_algorithm algorithm);
// Hex characters of a digest: 64, 96, 128.
std::size_t hex_length(digest_algorithm algorithm);

struct allowed_digest {
  digest_algorithm algorithm = digest_algorithm::sha256;
  std::string hex;  // lowercase, hex_length(algorithm) characters

  // "sha256:<hex>", as written in a policy.
  std::string display() const;
  friend bool operator==(const allowed_digest&, const allowed_digest&) = default;
};

// Parses "<algorithm>:<hex>" for the loader. On failure returns nullopt and sets *error to a
// reason a policy author can act on: an unknown algorithm, a wrong length, a non-hex or
// uppercase character (sha256sum prints lowercase, and OCI digests are lowercase).
std::optional<allowed_digest> parse_allowed_digest(std::string_view text, std::string* error);

class digest_provider {
 public:
  virtual ~digest_provider() = default;
  // The lowercase hex digest of `bytes`, or nullopt when it cannot be computed (the library
  // failed); never throws.
  virtual std::optional<std::string> hex_digest(digest_algorithm algorithm, std::string_view bytes) const = 0;
};

}  // namespace peergate::vm
