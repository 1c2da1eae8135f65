#pragma once
// TLS context management for the webhook server, in plain OpenSSL (no Asio): builds an SSL_CTX
// from a PEM certificate chain and key (files or memory), keeps the one in use behind a
// shared_ptr swapped under a lock (published<>), and rebuilds it when the files change. A connection takes the
// context current at accept time; a context swap never touches connections already open, and a
// broken new pair is reported while the old context keeps serving.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "webhook/server/published.hpp"

struct ssl_ctx_st;  // SSL_CTX
struct ssl_st;      // SSL

namespace peergate::webhook::server {

enum class tls_version { v1_2, v1_3 };
const char* to_string(tls_version v);  // "1.2", "1.3"

// "1.2", "1.3", or upstream's TLS_MIN_VERSION spellings "VersionTLS12", "VersionTLS13".
// TLS 1.0 and 1.1 are refused, as upstream does.
struct tls_version_result {
  std::optional<tls_version> version;
  std::string error;
};
tls_version_result parse_tls_version(std::string_view text);

// Comma-separated list, blanks trimmed, empty items dropped ("a, b,,c" -> a b c).
std::vector<std::string> split_list(std::string_view text);

// IANA cipher suite names (as in upstream's TLS_CIPHER_SUITES, Go's spellings accepted) to the
// OpenSSL configuration strings. With TLS 1.3 as the minimum, naming suites is an error (as
// upstream: TLS 1.3 suites are not configurable there).
struct cipher_selection {
  std::string tls12;  // for SSL_CTX_set_cipher_list; "" = peergate's default
  std::string tls13;  // for SSL_CTX_set_ciphersuites; "" = OpenSSL's default
  std::string error;
};
cipher_selection resolve_cipher_suites(const std::vector<std::string>& iana_names, tls_version min_version);

struct tls_settings {
  tls_version min_version = tls_version::v1_2;
  std::vector<std::string> cipher_suites;  // IANA names; empty = defaults
  std::string cert_file;                   // PEM chain, leaf first; "" = embedded (see tls_material)
  std::string key_file;
  std::string client_ca_file;  // "" = no client certificate asked
};

// PEM texts, read from the files or generated at start-up.
struct tls_material {
  std::string cert_chain_pem;
  std::string key_pem;
  std::string client_ca_pem;  // "" = no client certificate asked
};

struct certificate_info {
  std::string subject;
  std::string issuer;
  std::int64_t not_before = 0;  // Unix seconds
  std::int64_t not_after = 0;
};

struct tls_build_result {
  std::shared_ptr<ssl_ctx_st> context;  // null on error
  certificate_info certificate;
  std::string error;
  bool ok() const { return context != nullptr; }
};

// Builds a server context: minimum version, suites, HTTP/1.1 only in ALPN (h2 never offered),
// no compression or renegotiation, and, with a client CA, a required and verified client
// certificate. Checks that the key matches the certificate.
tls_build_result build_tls_context(const tls_settings& settings, const tls_material& material);

// Reads the PEM files named in `settings`. Blocking file I/O: never on an I/O thread.
std::optional<tls_material> read_tls_files(const tls_settings& settings, std::string& error);

class tls_context_store {
 public:
  // Serving pair from settings.cert_file / key_file, re-read by reload().
  explicit tls_context_store(tls_settings settings);
  // Fixed serving pair (the embedded certificate); reload() re-reads only the client CA file.
  tls_context_store(tls_settings settings, tls_material fixed);

  // Re-reads the files and swaps the new context in when it built cleanly; on failure the
  // current context stays. Blocking: call it from start-up or the watcher thread only.
  tls_build_result reload();

  std::shared_ptr<ssl_ctx_st> current() const { return current_.load(); }
  bool loaded() const { return current() != nullptr; }

  // A fresh SSL object for one connection, from the context current now (nullptr when none).
  // The SSL keeps its own reference to the context.
  ssl_st* new_connection() const;

  // The files whose change should trigger reload().
  std::vector<std::string> watched_files() const;

 private:
  tls_settings settings_;
  std::optional<tls_material> fixed_;
  published<ssl_ctx_st> current_;
};

}  // namespace peergate::webhook::server
