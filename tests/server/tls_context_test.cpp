#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "webhook/server/self_signed.hpp"
#include "webhook/server/tls_context.hpp"
#include "tests/support/temp_dir.hpp"

using namespace peergate::webhook::server;
namespace fs = std::filesystem;

using peergate::testing::temp_dir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("TLS versions: upstream spellings, 1.0 and 1.1 refused") {
  CHECK(parse_tls_version("1.2").version == tls_version::v1_2);
  CHECK(parse_tls_version("VersionTLS12").version == tls_version::v1_2);
  CHECK(parse_tls_version("1.3").version == tls_version::v1_3);
  CHECK(parse_tls_version("VersionTLS13").version == tls_version::v1_3);
  for (const char* old : {"1.0", "1.1", "VersionTLS10", "VersionTLS11"}) {
    const auto r = parse_tls_version(old);
    CHECK_FALSE(r.version);
    CHECK(r.error.find("refused") != std::string::npos);
  }
  CHECK(parse_tls_version("TLS1.2").error.find("unknown") != std::string::npos);
}

TEST_CASE("cipher suites: IANA names to OpenSSL, with upstream's rules") {
  CHECK(split_list(" a, b,,c ,") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split_list("").empty());

  auto c =
      resolve_cipher_suites({"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"}, tls_version::v1_2);
  CHECK(c.error.empty());
  CHECK(c.tls12 == "ECDHE-RSA-AES128-GCM-SHA256");
  CHECK(c.tls13 == "TLS_AES_256_GCM_SHA384");

  // Go's older spelling of the ChaCha20 suites.
  c = resolve_cipher_suites({"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"}, tls_version::v1_2);
  CHECK(c.error.empty());
  CHECK(c.tls12 == "ECDHE-ECDSA-CHACHA20-POLY1305");

  c = resolve_cipher_suites({"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, tls_version::v1_3);
  CHECK(c.error.find("TLS 1.3") != std::string::npos);

  c = resolve_cipher_suites({"TLS_NOPE", "TLS_DH_anon_WITH_AES_256_GCM_SHA384"}, tls_version::v1_2);
  CHECK(c.error.find("TLS_NOPE, TLS_DH_anon_WITH_AES_256_GCM_SHA384") != std::string::npos);

  c = resolve_cipher_suites({"TLS_AES_128_GCM_SHA256"}, tls_version::v1_2);
  CHECK(c.error.find("no TLS 1.2") != std::string::npos);

  CHECK(resolve_cipher_suites({}, tls_version::v1_3).error.empty());
}

TEST_CASE("the embedded certificate builds a context and is written for clients") {
  temp_dir dir;
  const generated_certificate g = generate_self_signed((dir.path / "certs").string());
  REQUIRE(g.ok());
  CHECK(fs::exists(g.ca_file));
  CHECK(fs::exists(g.cert_file));
  CHECK((fs::status(g.key_file).permissions() & fs::perms::others_read) == fs::perms::none);
  CHECK(slurp(g.ca_file) == g.ca_pem);

  tls_settings settings;
  const tls_build_result built = build_tls_context(settings, tls_material{g.cert_pem, g.key_pem, {}});
  REQUIRE(built.ok());
  CHECK(built.certificate.subject.find("CN=localhost") != std::string::npos);
  CHECK(built.certificate.issuer.find("peergate embedded CA") != std::string::npos);
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  CHECK(built.certificate.not_after > now + 300 * 24 * 3600);
  CHECK(built.certificate.not_before < now);
  CHECK(SSL_CTX_get_min_proto_version(built.context.get()) == TLS1_2_VERSION);

  settings.min_version = tls_version::v1_3;
  const tls_build_result strict = build_tls_context(settings, tls_material{g.cert_pem, g.key_pem, {}});
  REQUIRE(strict.ok());
  CHECK(SSL_CTX_get_min_proto_version(strict.context.get()) == TLS1_3_VERSION);

  // With a client CA, a client certificate is required.
  const tls_build_result mtls = build_tls_context(tls_settings{}, tls_material{g.cert_pem, g.key_pem, g.ca_pem});
  REQUIRE(mtls.ok());
  CHECK((SSL_CTX_get_verify_mode(mtls.context.get()) & SSL_VERIFY_FAIL_IF_NO_PEER_CERT) != 0);
}

TEST_CASE("a broken pair is an error, and the store keeps the context it had") {
  temp_dir dir;
  const generated_certificate a = generate_self_signed((dir.path / "a").string());
  const generated_certificate b = generate_self_signed((dir.path / "b").string());
  REQUIRE(a.ok());
  REQUIRE(b.ok());

  CHECK(build_tls_context({}, tls_material{a.cert_pem, b.key_pem, {}}).error.find("does not match") !=
        std::string::npos);
  CHECK(build_tls_context({}, tls_material{"garbage", a.key_pem, {}}).error.find("no PEM certificate") !=
        std::string::npos);
  CHECK(build_tls_context({}, tls_material{a.cert_pem, "garbage", {}}).error.find("no PEM private key") !=
        std::string::npos);
  CHECK(build_tls_context({}, tls_material{a.cert_pem, a.key_pem, "garbage"}).error.find("client CA") !=
        std::string::npos);

  tls_settings files;
  files.cert_file = (dir.path / "tls.crt").string();
  files.key_file = (dir.path / "tls.key").string();
  fs::copy_file(a.cert_file, files.cert_file);
  fs::copy_file(a.key_file, files.key_file);
  tls_context_store store(files);
  CHECK_FALSE(store.loaded());
  CHECK(store.new_connection() == nullptr);
  REQUIRE(store.reload().ok());
  const auto first = store.current();
  CHECK(store.watched_files() == std::vector<std::string>{files.cert_file, files.key_file});

  fs::copy_file(b.key_file, files.key_file, fs::copy_options::overwrite_existing);
  const tls_build_result broken = store.reload();
  CHECK_FALSE(broken.ok());
  CHECK(store.current() == first);

  fs::copy_file(b.cert_file, files.cert_file, fs::copy_options::overwrite_existing);
  REQUIRE(store.reload().ok());
  CHECK(store.current() != first);
  SSL* ssl = store.new_connection();
  REQUIRE(ssl != nullptr);
  CHECK(SSL_get_SSL_CTX(ssl) == store.current().get());
  SSL_free(ssl);

  fs::remove(files.key_file);
  CHECK(store.reload().error.find("cannot open") != std::string::npos);
}
