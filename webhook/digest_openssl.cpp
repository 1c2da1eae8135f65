#include "webhook/digest_openssl.hpp"

#include <openssl/evp.h>

#include <iterator>
#include <memory>

namespace peergate::webhook {

namespace {

const char* algorithm_name(vm::digest_algorithm algorithm) {
  switch (algorithm) {
    case vm::digest_algorithm::sha256: return "SHA256";
    case vm::digest_algorithm::sha384: return "SHA384";
    case vm::digest_algorithm::sha512: return "SHA512";
  }
  return nullptr;
}

struct md_free {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};

// Fetched once: with OpenSSL 3 the legacy EVP_sha256() makes every EVP_DigestInit_ex look the
// implementation up in the provider again (about a sixth of a small digest's cost). A fetched
// EVP_MD is immutable and may be shared by threads; it lives as long as the process.
const EVP_MD* message_digest(vm::digest_algorithm algorithm) {
  static const std::unique_ptr<EVP_MD, md_free> fetched[] = {
      std::unique_ptr<EVP_MD, md_free>(EVP_MD_fetch(nullptr, algorithm_name(vm::digest_algorithm::sha256), nullptr)),
      std::unique_ptr<EVP_MD, md_free>(EVP_MD_fetch(nullptr, algorithm_name(vm::digest_algorithm::sha384), nullptr)),
      std::unique_ptr<EVP_MD, md_free>(EVP_MD_fetch(nullptr, algorithm_name(vm::digest_algorithm::sha512), nullptr)),
  };
  const auto index = static_cast<std::size_t>(algorithm);
  return index < std::size(fetched) ? fetched[index].get() : nullptr;
}

struct md_ctx_free {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::optional<std::string> openssl_digest_provider::hex_digest(vm::digest_algorithm algorithm,
                                                               std::string_view bytes) const {
  const EVP_MD* md = message_digest(algorithm);
  if (md == nullptr) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) {
    return std::nullopt;
  }
  static constexpr char hex_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex_digits[digest[i] >> 4];
    out += hex_digits[digest[i] & 0x0f];
  }
  return out;
}

const vm::digest_provider& openssl_digests() {
  static const openssl_digest_provider provider;
  return provider;
}

}  // namespace peergate::webhook
