#pragma once
// Certificates made with OpenSSL alone (no sockets): a fresh CA and a serving certificate signed
// by it. Used by `peergate certs` (the Service names a kube-apiserver dials) and by
// `peergate serve` for its embedded development certificate (localhost).

#include <string>
#include <vector>

namespace peergate::webhook {

// Who the serving certificate is for.
struct certificate_subject {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries, in order
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries
  std::string ca_common_name = "peergate CA";
};

// PEM texts. The CA's private key is not kept: once it signed the serving certificate it is
// thrown away, so a leaked ca.crt can never be used to mint more certificates.
struct certificate_set {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;  // the serving certificate's key (ECDSA P-256, PKCS#8)
  std::string error;    // non-empty on failure
  bool ok() const { return error.empty(); }
};

// ECDSA P-256 keys; both certificates valid from one hour ago (clock skew) for `days` days.
// The CA: basicConstraints CA:TRUE pathlen:0, keyUsage keyCertSign+cRLSign. The serving
// certificate: CA:FALSE, keyUsage digitalSignature, extendedKeyUsage serverAuth, the SANs.
certificate_set make_serving_certificate(const certificate_subject& subject, int days);

struct certificate_files {
  std::string ca_file;    // <dir>/ca.crt
  std::string cert_file;  // <dir>/tls.crt
  std::string key_file;   // <dir>/tls.key (mode 0600)
  std::string error;      // non-empty on failure (existing files without overwrite: none written)
  bool ok() const { return error.empty(); }
};

// Writes ca.crt, tls.crt and tls.key into `directory` (created with mode 0700 when missing),
// each through a temporary file and a rename. Without `overwrite`, existing files are an error
// that names them, and nothing is written.
certificate_files write_certificate_files(const std::string& directory, const certificate_set& set, bool overwrite);

// "" when `pem` holds one or more PEM certificates and nothing else a caBundle must not carry
// (a private key); otherwise why not. `count` receives the number of certificates.
std::string ca_bundle_problem(const std::string& pem, int& count);

}  // namespace peergate::webhook
