#pragma once
// The digests of initdata documents computed with OpenSSL's EVP interface: the engine's
// digest_provider (engine/vm/digest.hpp) for the CLI and the server. The engine itself does not
// link OpenSSL, so this lives next to the other libcrypto user (certificates).

#include <optional>
#include <string>
#include <string_view>

#include "engine/vm/digest.hpp"

namespace peergate::webhook {

class openssl_digest_provider final : public vm::digest_provider {
 public:
  // Stateless and thread-safe: each call uses its own EVP_MD_CTX.
  std::optional<std::string> hex_digest(vm::digest_algorithm algorithm, std::string_view bytes) const override;
};

// The one provider every caller of the chain uses (stateless, so one is enough).
const vm::digest_provider& openssl_digests();

}  // namespace peergate::webhook
