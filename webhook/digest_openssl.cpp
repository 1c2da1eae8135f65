#include "webhook/digest_openssl.hpp"

#include <openssl/evp.h>

#include <memory>

namespace peergate::webhook {

namespace {

const EVP_MD* message_digest(vm::digest_algorithm algorithm) {
  switch (algorithm) {
    case vm::digest_algorithm::sha256: return EVP_sha256();
    case vm::digest_algorithm::sha384: return EVP_sha384();
    case vm::digest_algorithm::sha512: return EVP_sha512();
  }
  return nullptr;
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
