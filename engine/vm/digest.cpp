#include "engine/vm/digest.hpp"

namespace peergate::vm {

std::string_view to_string(digest_algorithm algorithm) {
  switch (algorithm) {
    case digest_algorithm::sha256: return "sha256";
    case digest_algorithm::sha384: return "sha384";
    case digest_algorithm::sha512: return "sha512";
  }
  return "sha256";
}

std::size_t hex_length(digest_algorithm algorithm) {
  switch (algorithm) {
    case digest_algorithm::sha256: return 64;
    case digest_algorithm::sha384: return 96;
    case digest_algorithm::sha512: return 128;
  }
  return 64;
}

std::string allowed_digest::display() const {
  std::string out(to_string(algorithm));
  out += ':';
  out += hex;
  return out;
}

std::optional<allowed_digest> parse_allowed_digest(std::string_view text, std::string* error) {
  auto fail = [error](std::string reason) -> std::optional<allowed_digest> {
    if (error != nullptr) *error = std::move(reason);
    return std::nullopt;
  };
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail("a digest is written <algorithm>:<hex>, as in \"sha256:<64 hex digits>\"");
  }
  const std::string_view name = text.substr(0, colon);
  const std::string_view hex = text.substr(colon + 1);
  allowed_digest out;
  if (name == "sha256") {
    out.algorithm = digest_algorithm::sha256;
  } else if (name == "sha384") {
    out.algorithm = digest_algorithm::sha384;
  } else if (name == "sha512") {
    out.algorithm = digest_algorithm::sha512;
  } else {
    return fail("unknown digest algorithm \"" + std::string(name) + "\": use sha256, sha384 or sha512");
  }
  const std::size_t want = hex_length(out.algorithm);
  if (hex.size() != want) {
    return fail(std::string(name) + " takes " + std::to_string(want) + " hex digits, not " +
                std::to_string(hex.size()));
  }
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) continue;
    if (c >= 'A' && c <= 'F') {
      return fail("hex digits must be lowercase, as sha256sum prints them (character " + std::to_string(i + 1) +
                  " of the digest)");
    }
    return fail("not a hex digit at character " + std::to_string(i + 1) + " of the digest");
  }
  out.hex = std::string(hex);
  return out;
}

}  // namespace peergate::vm
