#include "webhook/certificates.hpp"

#include "webhook/openssl_handles.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace peergate::webhook {

namespace {

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key`, signed by `issuer_key` (issuer == nullptr: self-signed).
x509_ptr make_certificate(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key, int days,
                          bool is_ca, const std::string& sans) {
  x509_ptr cert(X509_new());
  if (!cert) return nullptr;
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return nullptr;
  serial[0] &= 0x7F;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  ASN1_INTEGER* asn_serial = bn != nullptr ? BN_to_ASN1_INTEGER(bn, nullptr) : nullptr;
  BN_free(bn);
  if (asn_serial == nullptr) return nullptr;
  X509_set_serialNumber(cert.get(), asn_serial);
  ASN1_INTEGER_free(asn_serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate a little clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("peergate"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();

  bool ok = add_extension(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
  if (is_ca) {
    ok = ok && add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
         add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && add_extension(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE") &&
         add_extension(cert.get(), issuer_cert, NID_key_usage, "critical,digitalSignature") &&
         add_extension(cert.get(), issuer_cert, NID_ext_key_usage, "serverAuth") &&
         add_extension(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always") &&
         add_extension(cert.get(), issuer_cert, NID_subject_alt_name, sans.c_str());
  }
  if (!ok) return nullptr;
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return nullptr;
  return cert;
}

std::string to_pem(X509* cert) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string key_to_pem(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Writes `text` to `path` through a temporary file and a rename, with `mode`.
bool write_file(const std::string& path, const std::string& text, mode_t mode, std::string& error) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      error = "cannot write " + tmp + ": " + std::strerror(errno);
      return false;
    }
    ::chmod(tmp.c_str(), mode);
    out << text;
    out.flush();
    if (!out) {
      error = "cannot write " + tmp;
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::string join_sans(const certificate_subject& subject) {
  std::string sans;
  for (const std::string& name : subject.dns_names) sans += (sans.empty() ? "DNS:" : ",DNS:") + name;
  for (const std::string& ip : subject.ip_addresses) sans += (sans.empty() ? "IP:" : ",IP:") + ip;
  return sans;
}

}  // namespace

certificate_set make_serving_certificate(const certificate_subject& subject, int days) {
  certificate_set out;
  ERR_clear_error();
  if (subject.dns_names.empty() && subject.ip_addresses.empty()) {
    out.error = "a serving certificate needs at least one DNS name or IP address";
    return out;
  }
  pkey_ptr ca_key(EVP_EC_gen("P-256"));
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!ca_key || !key) {
    out.error = "cannot generate keys: " + openssl_errors();
    return out;
  }
  x509_ptr ca = make_certificate(ca_key.get(), subject.ca_common_name.c_str(), nullptr, ca_key.get(), days, true, {});
  if (!ca) {
    out.error = "cannot make the CA certificate: " + openssl_errors();
    return out;
  }
  x509_ptr cert =
      make_certificate(key.get(), subject.common_name.c_str(), ca.get(), ca_key.get(), days, false, join_sans(subject));
  if (!cert) {
    out.error = "cannot make the serving certificate: " + openssl_errors();
    return out;
  }
  out.ca_pem = to_pem(ca.get());
  out.cert_pem = to_pem(cert.get());
  out.key_pem = key_to_pem(key.get());
  if (out.ca_pem.empty() || out.cert_pem.empty() || out.key_pem.empty())
    out.error = "cannot encode the certificates: " + openssl_errors();
  return out;
}

certificate_files write_certificate_files(const std::string& directory, const certificate_set& set, bool overwrite) {
  certificate_files out;
  namespace fs = std::filesystem;
  out.ca_file = (fs::path(directory) / "ca.crt").string();
  out.cert_file = (fs::path(directory) / "tls.crt").string();
  out.key_file = (fs::path(directory) / "tls.key").string();

  std::error_code ec;
  if (!overwrite) {
    std::string existing;
    for (const std::string* file : {&out.ca_file, &out.cert_file, &out.key_file})
      if (fs::exists(*file, ec)) existing += (existing.empty() ? "" : ", ") + *file;
    if (!existing.empty()) {
      out.error = "not overwriting " + existing + " (use --force to replace them)";
      return out;
    }
  }
  if (!fs::exists(directory, ec)) {
    fs::create_directories(directory, ec);
    if (ec) {
      out.error = "cannot create " + directory + ": " + ec.message();
      return out;
    }
    ::chmod(directory.c_str(), 0700);
  } else if (!fs::is_directory(directory, ec)) {
    out.error = directory + " is not a directory";
    return out;
  }
  std::string error;
  if (!write_file(out.key_file, set.key_pem, 0600, error) || !write_file(out.cert_file, set.cert_pem, 0644, error) ||
      !write_file(out.ca_file, set.ca_pem, 0644, error)) {
    out.error = error;
  }
  return out;
}

std::string ca_bundle_problem(const std::string& pem, int& count) {
  count = 0;
  if (pem.find("PRIVATE KEY-----") != std::string::npos)
    return "holds a private key: a caBundle is the CA certificate only (ca.crt, not tls.key)";
  count = static_cast<int>(read_certificates(pem).size());
  if (count == 0) return "holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
  return {};
}

}  // namespace peergate::webhook
