#pragma once
// The embedded default certificate: without --tls-cert, a fresh CA and a serving certificate
// signed by it are made at start-up (ECDSA P-256, SANs localhost, 127.0.0.1 and ::1), so the
// server runs on a fresh machine. The CA is written to a file for clients to trust.

#include <string>
#include <vector>

namespace peergate::webhook::server {

struct generated_certificate {
  std::string ca_pem;
  std::string cert_pem;  // the serving certificate
  std::string key_pem;
  std::string ca_file;    // <dir>/ca.crt
  std::string cert_file;  // <dir>/tls.crt
  std::string key_file;   // <dir>/tls.key (mode 0600)
  std::string error;      // non-empty on failure
  bool ok() const { return error.empty(); }
};

// Makes the CA and serving pair, valid for `days`, and writes ca.crt, tls.crt and tls.key
// into `directory` (created with mode 0700 when missing). With an empty `directory`, a fresh
// one is made under $TMPDIR (or /tmp).
generated_certificate generate_self_signed(const std::string& directory, int days = 365,
                                           const std::vector<std::string>& extra_dns_names = {});

}  // namespace peergate::webhook::server
