#include "webhook/server/tls_context.hpp"

#include "webhook/openssl_handles.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

namespace peergate::webhook::server {

namespace {

using webhook::bio_ptr;
using webhook::memory_bio;
using webhook::openssl_errors;
using webhook::pkey_ptr;
using webhook::read_certificates;
using webhook::x509_ptr;

// TLS 1.2 suites used when none are named: forward secret AEAD only (what Go clients, and so
// the kube-apiserver, offer first).
constexpr const char* default_tls12_ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL";

std::int64_t to_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string name_text(const X509_NAME* name) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || name == nullptr) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n > 0 ? n : 0));
}

// Offers only HTTP/1.1 in ALPN: a client that asks for h2 alone gets no ALPN answer and
// speaks HTTP/1.1 (or gives up), never h2.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in, unsigned int in_len,
                void*) {
  static constexpr unsigned char http11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned int i = 0;
  while (i < in_len) {
    const unsigned int len = in[i];
    if (i + 1 + len > in_len) break;
    if (len == sizeof http11 && std::memcmp(in + i + 1, http11, sizeof http11) == 0) {
      *out = in + i + 1;
      *out_len = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

struct cipher_names {
  std::string openssl_name;
  bool tls13 = false;
};

// IANA name -> OpenSSL name, for every suite this OpenSSL knows that authenticates with a
// certificate (no anonymous, PSK or NULL suites).
const std::map<std::string, cipher_names, std::less<>>& cipher_table() {
  static const auto table = [] {
    std::map<std::string, cipher_names, std::less<>> t;
    SSL_CTX* ctx = SSL_CTX_new(TLS_method());
    if (ctx == nullptr) return t;
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
                                  "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256");
    STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
      const char* standard = SSL_CIPHER_standard_name(c);
      if (standard == nullptr) continue;
      std::string_view s(standard);
      if (s.find("_anon_") != s.npos || s.find("PSK") != s.npos || s.find("NULL") != s.npos ||
          s.find("EXPORT") != s.npos || s.find("SRP") != s.npos)
        continue;
      const bool tls13 = std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3";
      t.emplace(std::string(s), cipher_names{SSL_CIPHER_get_name(c), tls13});
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return t;
  }();
  return table;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = "cannot read " + path;
    return false;
  }
  out = std::move(ss).str();
  return true;
}

}  // namespace

const char* to_string(tls_version v) { return v == tls_version::v1_3 ? "1.3" : "1.2"; }

tls_version_result parse_tls_version(std::string_view text) {
  if (text == "1.2" || text == "VersionTLS12") return {tls_version::v1_2, {}};
  if (text == "1.3" || text == "VersionTLS13") return {tls_version::v1_3, {}};
  if (text == "1.0" || text == "1.1" || text == "VersionTLS10" || text == "VersionTLS11")
    return {std::nullopt, "TLS " + std::string(text) + " is insecure and refused: use 1.2 or 1.3"};
  return {std::nullopt,
          "unknown TLS version \"" + std::string(text) + "\" (expected 1.2, 1.3, VersionTLS12 or VersionTLS13)"};
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

cipher_selection resolve_cipher_suites(const std::vector<std::string>& iana_names, tls_version min_version) {
  cipher_selection out;
  if (iana_names.empty()) return out;
  if (min_version == tls_version::v1_3) {
    out.error = "TLS cipher suites cannot be set with TLS 1.3 as the minimum version (its suites are fixed)";
    return out;
  }
  const auto& table = cipher_table();
  std::vector<std::string> unknown;
  for (const std::string& name : iana_names) {
    auto it = table.find(name);
    // Go also accepts the older spellings without the hash suffix for the ChaCha20 suites.
    if (it == table.end()) it = table.find(name + "_SHA256");
    if (it == table.end()) {
      unknown.push_back(name);
      continue;
    }
    std::string& list = it->second.tls13 ? out.tls13 : out.tls12;
    if (!list.empty()) list += ':';
    list += it->second.openssl_name;
  }
  if (!unknown.empty()) {
    out.error = "unknown or unsupported TLS cipher suite";
    out.error += unknown.size() == 1 ? " " : "s ";
    for (std::size_t i = 0; i < unknown.size(); ++i) out.error += (i ? ", " : "") + unknown[i];
    out.error += " (use IANA names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)";
    return out;
  }
  if (out.tls12.empty()) out.error = "no TLS 1.2 cipher suite named: TLS 1.2 clients could not connect";
  return out;
}

tls_build_result build_tls_context(const tls_settings& settings, const tls_material& material) {
  tls_build_result result;
  ERR_clear_error();
  const cipher_selection ciphers = resolve_cipher_suites(settings.cipher_suites, settings.min_version);
  if (!ciphers.error.empty()) {
    result.error = ciphers.error;
    return result;
  }

  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) {
    result.error = "cannot create a TLS context: " + openssl_errors();
    return result;
  }
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, settings.min_version == tls_version::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(c, ciphers.tls12.empty() ? default_tls12_ciphers : ciphers.tls12.c_str()) != 1) {
    result.error = "cannot use the TLS 1.2 cipher suites: " + openssl_errors();
    return result;
  }
  if (!ciphers.tls13.empty() && SSL_CTX_set_ciphersuites(c, ciphers.tls13.c_str()) != 1) {
    result.error = "cannot use the TLS 1.3 cipher suites: " + openssl_errors();
    return result;
  }
  static constexpr unsigned char session_context[] = "peergate";
  SSL_CTX_set_session_id_context(c, session_context, sizeof session_context - 1);
  SSL_CTX_set_alpn_select_cb(c, select_alpn, nullptr);

  // Serving certificate chain, leaf first.
  std::vector<x509_ptr> chain = read_certificates(material.cert_chain_pem);
  if (chain.empty()) {
    result.error = "no PEM certificate found in the certificate" +
                   (settings.cert_file.empty() ? std::string() : " file " + settings.cert_file);
    return result;
  }
  if (SSL_CTX_use_certificate(c, chain.front().get()) != 1) {
    result.error = "cannot use the certificate: " + openssl_errors();
    return result;
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(c, chain[i].get()) != 1) {
      result.error = "cannot use intermediate certificate " + std::to_string(i) + ": " + openssl_errors();
      return result;
    }
  }
  {
    bio_ptr bio = memory_bio(material.key_pem);
    pkey_ptr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key) {
      result.error = "no PEM private key found in the key" +
                     (settings.key_file.empty() ? std::string() : " file " + settings.key_file) + ": " +
                     openssl_errors();
      return result;
    }
    if (SSL_CTX_use_PrivateKey(c, key.get()) != 1 || SSL_CTX_check_private_key(c) != 1) {
      ERR_clear_error();
      result.error = "the private key does not match the certificate";
      return result;
    }
  }

  // Client certificates: required, and verified against the client CA bundle.
  if (!material.client_ca_pem.empty()) {
    std::vector<x509_ptr> cas = read_certificates(material.client_ca_pem);
    if (cas.empty()) {
      result.error = "no PEM certificate found in the client CA file " + settings.client_ca_file;
      return result;
    }
    X509_STORE* store = SSL_CTX_get_cert_store(c);
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    for (const x509_ptr& ca : cas) {
      X509_STORE_add_cert(store, ca.get());
      if (names != nullptr) sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca.get())));
    }
    SSL_CTX_set_client_CA_list(c, names);
    SSL_CTX_set_purpose(c, X509_PURPOSE_SSL_CLIENT);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    ERR_clear_error();
  }

  X509* leaf = chain.front().get();
  result.certificate.subject = name_text(X509_get_subject_name(leaf));
  result.certificate.issuer = name_text(X509_get_issuer_name(leaf));
  result.certificate.not_before = to_unix(X509_get0_notBefore(leaf));
  result.certificate.not_after = to_unix(X509_get0_notAfter(leaf));
  result.context = std::move(ctx);
  return result;
}

std::optional<tls_material> read_tls_files(const tls_settings& settings, std::string& error) {
  tls_material m;
  if (!settings.cert_file.empty() && !read_file(settings.cert_file, m.cert_chain_pem, error)) return std::nullopt;
  if (!settings.key_file.empty() && !read_file(settings.key_file, m.key_pem, error)) return std::nullopt;
  if (!settings.client_ca_file.empty() && !read_file(settings.client_ca_file, m.client_ca_pem, error))
    return std::nullopt;
  return m;
}

tls_context_store::tls_context_store(tls_settings settings) : settings_(std::move(settings)) {}

tls_context_store::tls_context_store(tls_settings settings, tls_material fixed)
    : settings_(std::move(settings)), fixed_(std::move(fixed)) {
  settings_.cert_file.clear();
  settings_.key_file.clear();
}

tls_build_result tls_context_store::reload() {
  std::string error;
  std::optional<tls_material> material = read_tls_files(settings_, error);
  if (!material) return tls_build_result{nullptr, {}, error};
  if (fixed_) {
    material->cert_chain_pem = fixed_->cert_chain_pem;
    material->key_pem = fixed_->key_pem;
  }
  tls_build_result built = build_tls_context(settings_, *material);
  if (built.ok()) current_.store(built.context);
  return built;
}

ssl_st* tls_context_store::new_connection() const {
  std::shared_ptr<SSL_CTX> ctx = current();
  if (!ctx) return nullptr;
  SSL* ssl = SSL_new(ctx.get());
  if (ssl == nullptr) ERR_clear_error();
  return ssl;
}

std::vector<std::string> tls_context_store::watched_files() const {
  std::vector<std::string> files;
  for (const std::string* f : {&settings_.cert_file, &settings_.key_file, &settings_.client_ca_file}) {
    if (!f->empty()) files.push_back(*f);
  }
  return files;
}

}  // namespace peergate::webhook::server
