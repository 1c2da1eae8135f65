#include "webhook/server/self_signed.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "webhook/certificates.hpp"

namespace peergate::webhook::server {

generated_certificate generate_self_signed(const std::string& directory, int days,
                                           const std::vector<std::string>& extra_dns_names) {
  generated_certificate out;
  std::string dir = directory;
  if (dir.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") + "/peergate-certs-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      out.error = "cannot create a directory for the embedded certificate (" + pattern + "): " + std::strerror(errno);
      return out;
    }
    dir = pattern;
  }

  certificate_subject subject;
  subject.common_name = "localhost";
  subject.ca_common_name = "peergate embedded CA";
  subject.dns_names = {"localhost"};
  subject.dns_names.insert(subject.dns_names.end(), extra_dns_names.begin(), extra_dns_names.end());
  subject.ip_addresses = {"127.0.0.1", "::1"};
  const certificate_set set = make_serving_certificate(subject, days);
  if (!set.ok()) {
    out.error = set.error;
    return out;
  }
  // A restart with the same --cert-dir replaces the previous embedded certificate.
  const certificate_files files = write_certificate_files(dir, set, /*overwrite=*/true);
  out.ca_pem = set.ca_pem;
  out.cert_pem = set.cert_pem;
  out.key_pem = set.key_pem;
  out.ca_file = files.ca_file;
  out.cert_file = files.cert_file;
  out.key_file = files.key_file;
  out.error = files.error;
  return out;
}

}  // namespace peergate::webhook::server
