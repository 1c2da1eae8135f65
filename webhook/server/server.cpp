#include "webhook/server/server.hpp"

#include "webhook/server/audit_log_writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include "webhook/server/file_watcher.hpp"
#include "webhook/server/listener.hpp"
#include "webhook/server/logging.hpp"
#include "webhook/server/metrics.hpp"
#include "webhook/server/policy_store.hpp"
#include "webhook/server/request_budget.hpp"
#include "webhook/server/router.hpp"
#include "webhook/server/self_signed.hpp"
#include "webhook/server/tls_context.hpp"

#ifndef PEERGATE_VERSION
#define PEERGATE_VERSION "unknown"
#endif

namespace peergate::webhook::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool write_port_file(const std::string& path, unsigned port, std::string& error) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    out.flush();
    if (!out) {
      error = "cannot write " + tmp;
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + " to " + path;
    return false;
  }
  return true;
}

void log_certificate(log_level level, const char* msg, const certificate_info& c) {
  log_line(level, msg).field("subject", c.subject).field("issuer", c.issuer).field("not_after", c.not_after);
  if (c.not_after != 0 && c.not_after < static_cast<std::int64_t>(std::time(nullptr)))
    log_line(log_level::warn, "serving certificate has expired")
        .field("subject", c.subject)
        .field("not_after", c.not_after);
}

const char* signal_name(int signo) {
  switch (signo) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
  }
}

// glibc serves a block of at least its mmap threshold with mmap and unmaps it when freed. The
// threshold starts at 128 KiB but rises to the size of each such block freed (up to 32 MiB), so
// after one large request the next ones' bodies and arenas come from the heap and their pages
// stay in the RSS. A fixed threshold keeps the large blocks of every request (its body, the big
// blocks of its arena) going back to the system as soon as they are freed.
constexpr int mmap_threshold_bytes = 256 * 1024;
void configure_allocator() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, mmap_threshold_bytes);
#endif
}

// Runs the I/O loop; an exception escaping a handler is logged and the loop goes on.
void run_io(net::io_context& ioc) {
  while (true) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      log_line(log_level::error, "unexpected exception on an I/O thread").field("error", e.what());
    } catch (...) {
      log_line(log_level::error, "unexpected exception on an I/O thread").emit();
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The steps of a run, in order. Each logs why it failed; run_server() only sequences them.

namespace {

// Where to listen, from --listen. nullopt: invalid options (logged).
std::optional<tcp::endpoint> listen_endpoint(const server_options& options) {
  if (const std::string problems = validate(options); !problems.empty()) {
    log_line(log_level::error, "invalid options").field("error", problems);
    return std::nullopt;
  }
  std::string error;
  const std::optional<listen_address> address = parse_listen_address(options.listen, error);
  boost::system::error_code ec;
  const net::ip::address ip = net::ip::make_address(address->host, ec);
  if (ec) {
    log_line(log_level::error, "invalid options")
        .field("error", "bad listen address \"" + address->host + "\": an IP address is expected");
    return std::nullopt;
  }
  return tcp::endpoint(ip, address->port);
}

// Policies are loaded before listening: a set with errors means no start.
bool load_policies(policy_store& policies) {
  if (policies.reload("startup")) return true;
  log_line(log_level::error, "cannot start: the policies have errors").emit();
  return false;
}

// The serving certificate: the files, or a fresh embedded CA and pair. null: cannot start (logged).
std::unique_ptr<tls_context_store> build_tls_contexts(const server_options& options, metrics& stats) {
  std::unique_ptr<tls_context_store> tls;
  if (!options.tls.cert_file.empty()) {
    tls = std::make_unique<tls_context_store>(options.tls);
  } else {
    generated_certificate generated = generate_self_signed(options.cert_dir);
    if (!generated.ok()) {
      log_line(log_level::error, "cannot make the embedded certificate").field("error", generated.error);
      return nullptr;
    }
    log_line(log_level::info, "embedded certificate")
        .field("ca_file", generated.ca_file)
        .field("cert_file", generated.cert_file)
        .field("key_file", generated.key_file);
    tls = std::make_unique<tls_context_store>(options.tls,
                                              tls_material{generated.cert_pem, generated.key_pem, std::string()});
  }
  const tls_build_result built = tls->reload();
  if (!built.ok()) {
    log_line(log_level::error, "cannot start: TLS configuration").field("error", built.error);
    return nullptr;
  }
  stats.set_certificate_expiry(built.certificate.not_after);
  log_certificate(log_level::info, "serving certificate", built.certificate);
  return tls;
}

// The audit log, when --audit-log names one.
struct opened_audit_log {
  std::unique_ptr<audit_log_writer> writer;  // null when off
  bool failed = false;                       // named but cannot be opened (logged)
};
opened_audit_log open_audit_log(const server_options& options) {
  if (options.audit_log.empty()) return {};
  std::string error;
  opened_audit_log opened{audit_log_writer::open(
      {.path = options.audit_log, .max_bytes = options.audit_log_max_bytes, .max_files = options.audit_log_max_files},
      &error)};
  if (!opened.writer) {
    log_line(log_level::error, "cannot start: audit log").field("error", error);
    opened.failed = true;
  }
  return opened;
}

// Every answered request's lines reach the file before the process exits.
void close_audit_log(audit_log_writer& audit_log) {
  audit_log.flush_and_stop();
  const audit_log_stats written = audit_log.stats();
  log_line(log_level::info, "audit log closed")
      .field("lines_written", written.lines_written)
      .field("lines_dropped", written.lines_dropped);
}

// Reloads on file changes (and SIGHUP, through trigger_all) run on the watcher thread, never on
// an I/O thread.
void watch_files(file_watcher& watcher, const server_options& options, policy_store& policies, tls_context_store& tls,
                 metrics& stats) {
  if (!options.policy_paths.empty()) {
    watcher.add_group("policies", options.policy_paths, [&policies](const char* cause) { policies.reload(cause); });
  }
  if (const std::vector<std::string> files = tls.watched_files(); !files.empty()) {
    watcher.add_group("tls", files, [&tls, &stats](const char* cause) {
      const tls_build_result built = tls.reload();
      stats.record_tls_reload(built.ok());
      if (built.ok()) {
        stats.set_certificate_expiry(built.certificate.not_after);
        log_line(log_level::info, "tls certificate reloaded")
            .field("cause", cause)
            .field("subject", built.certificate.subject)
            .field("not_after", built.certificate.not_after);
      } else {
        log_line(log_level::error, "tls certificate reload failed")
            .field("cause", cause)
            .field("error", built.error)
            .field("kept_previous", true);
      }
    });
  }
}

// SIGHUP asks for a reload. Asio gives a signal its default action back when the last signal_set
// that waits for it lets it go, and SIGHUP's default ends the process: one that came after the
// serving loop's set is gone, while the audit log and the log are flushed, would lose their last
// lines and end the process with the signal rather than 0. This set is never run and never
// destroyed: Asio's handler stays installed for the life of the process, and a SIGHUP outside the
// serving loop is noted and dropped.
void keep_sighup_from_ending_the_process() {
  static net::io_context* const never_run = new net::io_context(1);
  static net::signal_set* const holds_sighup = new net::signal_set(*never_run, SIGHUP);
  (void)holds_sighup;
}

// The I/O side of a run: the io_context and its threads, the listener, the signals, and the
// shutdown sequence (SIGTERM/SIGINT: not ready at once, --shutdown-delay, then drain until no
// connection is left or --shutdown-timeout passes; a second signal stops at once).
class serving_loop {
 public:
  // `shutting_down` becomes true at the first SIGTERM/SIGINT (readiness reads it).
  serving_loop(const server_options& options, unsigned threads, file_watcher& watcher, std::atomic<bool>& shutting_down)
      : options_(options),
        threads_(threads),
        watcher_(watcher),
        shutting_down_(shutting_down),
        ioc_(static_cast<int>(threads)),
        signals_(ioc_, SIGTERM, SIGINT, SIGHUP),
        delay_(ioc_),
        deadline_(ioc_) {}

  // Cleared before the io_context is destroyed: connections destroyed with it must not call
  // back into it.
  ~serving_loop() { alive_->store(false); }

  // Binds; returns "" or why it could not.
  std::string listen(const tcp::endpoint& endpoint, const router& routes, const tls_context_store& tls, metrics& stats,
                     request_budget& budget) {
    listener_ = std::make_shared<listener>(ioc_, threads_, options_, routes, tls, stats, budget);
    return listener_->open(endpoint);
  }
  tcp::endpoint local_endpoint() const { return listener_->local_endpoint(); }

  // Accepts, watches files and signals, and runs the I/O threads until the drain ends. Returns
  // the exit code.
  int run() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) { on_signal(ec, signo); });
    watcher_.start();
    listener_->start();
    const tcp::endpoint bound = listener_->local_endpoint();
    log_line(log_level::info, "listening")
        .field("address", bound.address().to_string())
        .field("port", static_cast<std::int64_t>(bound.port()))
        .field("readyz", "/readyz");
    std::string error;
    if (!options_.port_file.empty() && !write_port_file(options_.port_file, bound.port(), error)) {
      log_line(log_level::error, "cannot write the port file").field("error", error);
      watcher_.stop();
      return 1;
    }
    std::vector<std::thread> pool;
    pool.reserve(threads_ - 1);
    for (unsigned i = 1; i < threads_; ++i) pool.emplace_back([this] { run_io(ioc_); });
    run_io(ioc_);
    for (std::thread& t : pool) t.join();
    watcher_.stop();
    return 0;
  }

 private:
  void on_signal(const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      log_line(log_level::info, "reload requested").field("signal", signal_name(signo));
      watcher_.trigger_all();
    } else if (!shutting_down_.exchange(true)) {
      shut_down(signo);
    } else {
      log_line(log_level::warn, "second signal, stopping now").field("signal", signal_name(signo));
      ioc_.stop();
      return;
    }
    signals_.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
  }

  void shut_down(int signo) {
    log_line(log_level::info, "shutting down")
        .field("signal", signal_name(signo))
        .field("connections", static_cast<std::uint64_t>(listener_->connections()))
        .field("delay_ms", static_cast<std::int64_t>(options_.shutdown_delay.count()))
        .field("deadline_ms", static_cast<std::int64_t>(options_.shutdown_timeout.count()));
    if (options_.shutdown_delay.count() == 0) return drain();
    // Still serving, new connections too; /readyz already answers 503. Each keep-alive
    // connection closes after its next answer, so that its client reconnects elsewhere.
    listener_->retire_keep_alive();
    delay_.expires_after(options_.shutdown_delay);
    delay_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) drain();
    });
  }

  // Close the listener, let the connections finish what their clients sent, stop at the deadline.
  void drain() {
    deadline_.expires_after(options_.shutdown_timeout);
    deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      log_line(log_level::warn, "drain deadline passed, closing connections")
          .field("connections", static_cast<std::uint64_t>(listener_->connections()));
      ioc_.stop();
    });
    listener_->drain([this, alive = alive_] {
      if (alive->load()) ioc_.stop();
    });
  }

  const server_options& options_;
  const unsigned threads_;
  file_watcher& watcher_;
  std::atomic<bool>& shutting_down_;
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
  net::io_context ioc_;
  std::shared_ptr<listener> listener_;
  net::signal_set signals_;
  net::steady_timer delay_;
  net::steady_timer deadline_;
};

int serve(const server_options& options) {
  const std::optional<tcp::endpoint> endpoint = listen_endpoint(options);
  if (!endpoint) return 2;
  const unsigned threads = options.threads != 0 ? options.threads : default_thread_count();
  keep_sighup_from_ending_the_process();
  configure_allocator();
  log_line(log_level::info, "starting")
      .field("version", PEERGATE_VERSION)
      .field("listen", options.listen)
      .field("threads", static_cast<std::uint64_t>(threads))
      .field("max_inflight_bytes", static_cast<std::uint64_t>(options.max_inflight_bytes))
      .field("max_document_bytes", static_cast<std::uint64_t>(options.max_document_bytes))
      .field("policies", options.policy_paths.empty() ? std::vector<std::string>{"embedded"} : options.policy_paths);

  metrics stats(PEERGATE_VERSION);
  request_budget inflight(options.max_inflight_bytes);  // outlives every connection
  stats.watch_request_budget(&inflight);
  policy_store policies(options.policy_paths, stats);
  if (!load_policies(policies)) return 1;
  const std::unique_ptr<tls_context_store> tls = build_tls_contexts(options, stats);
  if (!tls) return 1;
  const opened_audit_log audit_log = open_audit_log(options);
  if (audit_log.failed) return 1;

  file_watcher watcher(
      file_watcher::options{options.reload_debounce, std::chrono::milliseconds(2000), options.watch_poll_interval});
  watch_files(watcher, options, policies, *tls, stats);
  std::atomic<bool> shutting_down{false};
  const router routes(
      policies, stats,
      [&]() -> std::string {
        if (shutting_down.load()) return "shutting down";
        if (!policies.loaded()) return "no policies loaded";
        if (!tls->loaded()) return "no serving certificate loaded";
        return {};
      },
      audit_log.writer.get(), options.max_document_bytes);
  int code = 0;
  {
    serving_loop loop(options, threads, watcher, shutting_down);
    if (std::string why = loop.listen(*endpoint, routes, *tls, stats, inflight); !why.empty()) {
      log_line(log_level::error, "cannot listen").field("listen", options.listen).field("error", why);
      return 1;
    }
    code = loop.run();
  }  // the io_context and every connection left in it are gone here
  if (audit_log.writer) close_audit_log(*audit_log.writer);
  if (code == 0) log_line(log_level::info, "stopped");
  return code;
}

}  // namespace

int run_server(const server_options& options) {
  init_logging(options.logging);
  const int code = serve(options);
  shutdown_logging();
  return code;
}

}  // namespace peergate::webhook::server
