#include "cli/serve_command.hpp"

#include <memory>
#include <string>
#include <vector>

#include "webhook/server/options.hpp"
#include "webhook/server/server.hpp"

namespace peergate::cli {

namespace {

namespace srv = peergate::webhook::server;

struct serve_flags {
  srv::server_options options;
  std::string max_body = "8Mi";
  std::string max_header = "16Ki";
  std::string max_inflight = "64Mi";
  std::string max_document = "16Mi";
  std::string audit_log_max_bytes = "100Mi";
  std::string handshake_timeout = "10s";
  std::string header_timeout = "10s";
  std::string body_timeout = "30s";
  std::string idle_timeout = "90s";
  std::string write_timeout = "30s";
  std::string shutdown_timeout = "25s";
  std::string shutdown_delay = "0s";
  std::string reload_debounce = "200ms";
  std::string watch_interval = "30s";
  std::string tls_min_version = "1.2";
  std::string cipher_suites;
  std::string log_format = "json";
  std::string log_level = "info";
};

const CLI::Validator duration_check(
    [](std::string& value) -> std::string {
      return srv::parse_duration(value) ? std::string() : "not a duration (examples: 10s, 250ms, 1m): " + value;
    },
    "DURATION");

const CLI::Validator size_check(
    [](std::string& value) -> std::string {
      return srv::parse_byte_size(value) ? std::string() : "not a size (examples: 8388608, 8Mi, 512Ki): " + value;
    },
    "SIZE");

const CLI::Validator listen_check(
    [](std::string& value) -> std::string {
      std::string error;
      return srv::parse_listen_address(value, error) ? std::string() : error;
    },
    "ADDR:PORT");

const CLI::Validator tls_version_check(
    [](std::string& value) -> std::string { return srv::parse_tls_version(value).error; }, "1.2|1.3");

const CLI::Validator log_format_check(
    [](std::string& value) -> std::string {
      return srv::parse_log_format(value) ? std::string() : "expected json or text, not " + value;
    },
    "json|text");

const CLI::Validator log_level_check(
    [](std::string& value) -> std::string {
      return srv::parse_log_level(value) ? std::string()
                                         : "expected trace, debug, info, warn, error or off, not " + value;
    },
    "LEVEL");

std::chrono::milliseconds duration_of(const std::string& s) { return *srv::parse_duration(s); }

// The server_options the flags stand for, then the server itself. `serve` reports options that do
// not go together.
int run_serve(const serve_flags& flags, const CLI::App& serve) {
  srv::server_options options = flags.options;
  options.max_body_bytes = *srv::parse_byte_size(flags.max_body);
  options.max_header_bytes = *srv::parse_byte_size(flags.max_header);
  options.max_inflight_bytes = *srv::parse_byte_size(flags.max_inflight);
  options.max_document_bytes = *srv::parse_byte_size(flags.max_document);
  options.audit_log_max_bytes = *srv::parse_byte_size(flags.audit_log_max_bytes);
  options.handshake_timeout = duration_of(flags.handshake_timeout);
  options.header_timeout = duration_of(flags.header_timeout);
  options.body_timeout = duration_of(flags.body_timeout);
  options.idle_timeout = duration_of(flags.idle_timeout);
  options.write_timeout = duration_of(flags.write_timeout);
  options.shutdown_timeout = duration_of(flags.shutdown_timeout);
  options.shutdown_delay = duration_of(flags.shutdown_delay);
  options.reload_debounce = duration_of(flags.reload_debounce);
  options.watch_poll_interval = duration_of(flags.watch_interval);
  options.tls.min_version = *srv::parse_tls_version(flags.tls_min_version).version;
  options.tls.cipher_suites = srv::split_list(flags.cipher_suites);
  options.logging.format = *srv::parse_log_format(flags.log_format);
  options.logging.level = *srv::parse_log_level(flags.log_level);

  // Options that do not go together are a usage error, like a malformed one.
  if (const std::string problems = srv::validate(options); !problems.empty())
    return report_usage_error(serve, problems);
  return srv::run_server(options);
}

}  // namespace

command add_serve_command(CLI::App& app) {
  auto flags = std::make_shared<serve_flags>();
  srv::server_options& o = flags->options;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Run the HTTPS admission webhook (/validate, /mutate, /mutate-v1-pod, /admit, /healthz, /readyz, /metrics)");

  serve->add_option("--listen", o.listen, "Address and port to listen on; port 0 picks a free port")
      ->check(listen_check)
      ->capture_default_str();
  serve->add_option("--port-file", o.port_file, "Write the bound port to FILE (atomically) once listening")
      ->type_name("FILE");
  serve->add_option("--threads", o.threads, "I/O threads (0: one per CPU)")->capture_default_str();
  serve->add_option("--max-connections", o.max_connections, "Open connections at most; more are closed at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve->add_option("--max-body-bytes", flags->max_body, "Largest request body; larger ones get 413")
      ->check(size_check)
      ->capture_default_str();
  serve->add_option("--max-header-bytes", flags->max_header, "Largest request header section; larger ones get 431")
      ->check(size_check)
      ->capture_default_str();
  serve
      ->add_option("--max-inflight-bytes", flags->max_inflight,
                   "Request body bytes being read or evaluated at once, server-wide; a request whose body "
                   "does not fit gets 503 with Retry-After before its body is read")
      ->check(size_check)
      ->capture_default_str();
  serve
      ->add_option("--max-document-bytes", flags->max_document,
                   "Heap memory one review's decoding and evaluation may hold; a review that needs more gets 413")
      ->check(size_check)
      ->capture_default_str();

  serve
      ->add_option("--tls-cert", o.tls.cert_file,
                   "Serving certificate chain (PEM); reloaded when it changes. Without it, an embedded "
                   "certificate is made at start-up")
      ->check(CLI::ExistingFile);
  serve->add_option("--tls-key", o.tls.key_file, "Private key of --tls-cert (PEM)")->check(CLI::ExistingFile);
  serve
      ->add_option("--client-ca", o.tls.client_ca_file,
                   "Require a client certificate signed by a CA in FILE (PEM bundle)")
      ->check(CLI::ExistingFile);
  serve
      ->add_option("--tls-min-version", flags->tls_min_version,
                   "Minimum TLS version: 1.2 or 1.3 (or VersionTLS12/VersionTLS13)")
      ->envname("TLS_MIN_VERSION")
      ->check(tls_version_check)
      ->capture_default_str();
  serve
      ->add_option("--tls-cipher-suites", flags->cipher_suites,
                   "Comma-separated IANA cipher suite names (not with TLS 1.3 as the minimum)")
      ->envname("TLS_CIPHER_SUITES")
      ->type_name("LIST");
  serve
      ->add_option("--cert-dir", o.cert_dir,
                   "Directory for the embedded certificate's CA (ca.crt), tls.crt and tls.key; default: "
                   "a fresh directory under $TMPDIR")
      ->type_name("DIR");

  serve
      ->add_option("--audit-log", o.audit_log,
                   "Append one JSON line per denial and per Warn/Audit violation to FILE (read it with "
                   "`peergate audit --from-log`)")
      ->type_name("FILE");
  serve
      ->add_option("--audit-log-max-bytes", flags->audit_log_max_bytes,
                   "Rotate the audit log before it passes this size")
      ->check(size_check)
      ->capture_default_str();
  serve->add_option("--audit-log-max-files", o.audit_log_max_files, "Rotated audit logs kept (FILE.1 .. FILE.N)")
      ->capture_default_str();

  serve
      ->add_option("--policies", o.policy_paths,
                   "Policy file or directory (repeatable); watched and reloaded on change and on SIGHUP. "
                   "Default: the embedded policies")
      ->check(CLI::ExistingPath)
      ->type_name("PATH");
  serve->add_option("--reload-debounce", flags->reload_debounce, "Quiet time after a file change before reloading")
      ->check(duration_check)
      ->capture_default_str();
  serve
      ->add_option("--watch-interval", flags->watch_interval,
                   "Also check watched files this often (0: on inotify events only)")
      ->check(duration_check)
      ->capture_default_str();

  serve->add_option("--handshake-timeout", flags->handshake_timeout, "TLS handshake deadline")
      ->check(duration_check)
      ->capture_default_str();
  serve->add_option("--header-timeout", flags->header_timeout, "Deadline for a request's headers, from its first byte")
      ->check(duration_check)
      ->capture_default_str();
  serve->add_option("--body-timeout", flags->body_timeout, "Deadline for a request's body, after its headers")
      ->check(duration_check)
      ->capture_default_str();
  serve->add_option("--idle-timeout", flags->idle_timeout, "Keep-alive: close a connection idle this long")
      ->check(duration_check)
      ->capture_default_str();
  serve->add_option("--write-timeout", flags->write_timeout, "Deadline for writing a response")
      ->check(duration_check)
      ->capture_default_str();
  serve
      ->add_option("--shutdown-delay", flags->shutdown_delay,
                   "On SIGTERM/SIGINT, keep serving (and accepting) this long, /readyz answering 503, "
                   "before draining: time for the Service's endpoints to drop the pod")
      ->check(duration_check)
      ->capture_default_str();
  serve
      ->add_option("--shutdown-timeout", flags->shutdown_timeout,
                   "On SIGTERM/SIGINT, how long requests in flight may take to finish")
      ->check(duration_check)
      ->capture_default_str();

  serve->add_option("--log-format", flags->log_format, "json (one object a line) or text")
      ->check(log_format_check)
      ->capture_default_str();
  serve->add_option("--log-level", flags->log_level, "trace, debug, info, warn, error or off")
      ->check(log_level_check)
      ->capture_default_str();

  return {serve, [flags, serve] { return run_serve(*flags, *serve); }};
}

}  // namespace peergate::cli
