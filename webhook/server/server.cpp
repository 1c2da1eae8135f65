#include "webhook/server/server.hpp"

#include "webhook/server/audit_log_writer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>
#include <vector>

#include "webhook/server/file_watcher.hpp"
#include "webhook/server/listener.hpp"
#include "webhook/server/logging.hpp"
#include "webhook/server/metrics.hpp"
#include "webhook/server/policy_store.hpp"
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
  log_line(level, msg)
      .field("subject", c.subject)
      .field("issuer", c.issuer)
      .field("not_after", c.not_after);
  if (c.not_after != 0 && c.not_after < static_cast<std::int64_t>(std::time(nullptr)))
    log_line(log_level::warn, "serving certificate has expired").field("subject", c.subject).field("not_after", c.not_after);
}

const char* signal_name(int signo) {
  switch (signo) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
  }
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
      log_line(log_level::error, "unexpected exception on an I/O thread");
    }
  }
}

}  // namespace

int run_server(const server_options& options) {
  init_logging(options.logging);
  const int code = [&]() -> int {
    if (const std::string problems = validate(options); !problems.empty()) {
      log_line(log_level::error, "invalid options").field("error", problems);
      return 2;
    }
    std::string error;
    const std::optional<listen_address> address = parse_listen_address(options.listen, error);
    boost::system::error_code ec;
    const net::ip::address ip = net::ip::make_address(address->host, ec);
    if (ec) {
      log_line(log_level::error, "invalid options").field("error", "bad listen address \"" + address->host + "\": an IP address is expected");
      return 2;
    }
    const unsigned threads = options.threads != 0 ? options.threads : default_thread_count();
    log_line(log_level::info, "starting")
        .field("version", PEERGATE_VERSION)
        .field("listen", options.listen)
        .field("threads", static_cast<std::uint64_t>(threads))
        .field("policies", options.policy_paths.empty() ? std::vector<std::string>{"embedded"} : options.policy_paths);

    metrics stats(PEERGATE_VERSION);

    // Policies: loaded before listening; a set with errors means no start.
    policy_store policies(options.policy_paths, stats);
    if (!policies.reload("startup")) {
      log_line(log_level::error, "cannot start: the policies have errors");
      return 1;
    }

    // Serving certificate: the files, or a fresh embedded CA and pair.
    std::unique_ptr<tls_context_store> tls;
    if (!options.tls.cert_file.empty()) {
      tls = std::make_unique<tls_context_store>(options.tls);
    } else {
      generated_certificate generated = generate_self_signed(options.cert_dir);
      if (!generated.ok()) {
        log_line(log_level::error, "cannot make the embedded certificate").field("error", generated.error);
        return 1;
      }
      log_line(log_level::info, "embedded certificate")
          .field("ca_file", generated.ca_file)
          .field("cert_file", generated.cert_file)
          .field("key_file", generated.key_file);
      tls = std::make_unique<tls_context_store>(options.tls,
                                                tls_material{generated.cert_pem, generated.key_pem, std::string()});
    }
    {
      const tls_build_result built = tls->reload();
      if (!built.ok()) {
        log_line(log_level::error, "cannot start: TLS configuration").field("error", built.error);
        return 1;
      }
      stats.set_certificate_expiry(built.certificate.not_after);
      log_certificate(log_level::info, "serving certificate", built.certificate);
    }

    std::unique_ptr<audit_log_writer> audit_log;
    if (!options.audit_log.empty()) {
      std::string audit_error;
      audit_log = audit_log_writer::open({.path = options.audit_log,
                                          .max_bytes = options.audit_log_max_bytes,
                                          .max_files = options.audit_log_max_files},
                                         &audit_error);
      if (!audit_log) {
        log_line(log_level::error, "cannot start: audit log").field("error", audit_error);
        return 1;
      }
    }

    std::atomic<bool> draining{false};
    router routes(policies, stats, [&]() -> std::string {
      if (draining.load()) return "shutting down";
      if (!policies.loaded()) return "no policies loaded";
      if (!tls->loaded()) return "no serving certificate loaded";
      return {};
    }, audit_log.get());

    // Reloads happen on the watcher thread, never on an I/O thread.
    file_watcher watcher(file_watcher::options{options.reload_debounce, std::chrono::milliseconds(2000),
                                               options.watch_poll_interval});
    if (!options.policy_paths.empty()) {
      watcher.add_group("policies", options.policy_paths, [&](const char* cause) { policies.reload(cause); });
    }
    if (const std::vector<std::string> files = tls->watched_files(); !files.empty()) {
      watcher.add_group("tls", files, [&](const char* cause) {
        const tls_build_result built = tls->reload();
        stats.record_tls_reload(built.ok());
        if (built.ok()) {
          stats.set_certificate_expiry(built.certificate.not_after);
          log_line(log_level::info, "tls certificate reloaded").field("cause", cause)
              .field("subject", built.certificate.subject).field("not_after", built.certificate.not_after);
        } else {
          log_line(log_level::error, "tls certificate reload failed").field("cause", cause)
              .field("error", built.error).field("kept_previous", true);
        }
      });
    }

    {
      net::io_context ioc(static_cast<int>(threads));
      auto server = std::make_shared<listener>(ioc, options, routes, *tls, stats);
      if (std::string why = server->open(tcp::endpoint(ip, address->port)); !why.empty()) {
        log_line(log_level::error, "cannot listen").field("listen", options.listen).field("error", why);
        return 1;
      }
      const tcp::endpoint bound = server->local_endpoint();

      // Cleared before the io_context is destroyed: connections destroyed with it must not
      // call back into it.
      auto alive = std::make_shared<std::atomic<bool>>(true);
      net::signal_set signals(ioc, SIGTERM, SIGINT, SIGHUP);
      net::steady_timer deadline(ioc);
      net::steady_timer delay(ioc);
      // Close the listener, let the requests in flight finish, stop at the deadline.
      auto drain = [&] {
        deadline.expires_after(options.shutdown_timeout);
        deadline.async_wait([&](const boost::system::error_code& timer_ec) {
          if (timer_ec) return;
          log_line(log_level::warn, "drain deadline passed, closing connections")
              .field("connections", static_cast<std::uint64_t>(server->connections()));
          ioc.stop();
        });
        server->drain([&ioc, alive] {
          if (alive->load()) ioc.stop();
        });
      };
      std::function<void(const boost::system::error_code&, int)> on_signal;
      on_signal = [&](const boost::system::error_code& sig_ec, int signo) {
        if (sig_ec) return;
        if (signo == SIGHUP) {
          log_line(log_level::info, "reload requested").field("signal", signal_name(signo));
          watcher.trigger_all();
        } else if (!draining.exchange(true)) {
          log_line(log_level::info, "shutting down")
              .field("signal", signal_name(signo))
              .field("connections", static_cast<std::uint64_t>(server->connections()))
              .field("delay_ms", static_cast<std::int64_t>(options.shutdown_delay.count()))
              .field("deadline_ms", static_cast<std::int64_t>(options.shutdown_timeout.count()));
          if (options.shutdown_delay.count() > 0) {
            // Still serving, new connections too; /readyz already answers 503.
            delay.expires_after(options.shutdown_delay);
            delay.async_wait([&](const boost::system::error_code& timer_ec) {
              if (!timer_ec) drain();
            });
          } else {
            drain();
          }
        } else {
          log_line(log_level::warn, "second signal, stopping now").field("signal", signal_name(signo));
          ioc.stop();
          return;
        }
        signals.async_wait(on_signal);
      };
      signals.async_wait(on_signal);

      watcher.start();
      server->start();
      log_line(log_level::info, "listening")
          .field("address", bound.address().to_string())
          .field("port", static_cast<std::int64_t>(bound.port()))
          .field("readyz", "/readyz");
      if (!options.port_file.empty() && !write_port_file(options.port_file, bound.port(), error)) {
        log_line(log_level::error, "cannot write the port file").field("error", error);
        ioc.stop();
        watcher.stop();
        return 1;
      }

      std::vector<std::thread> pool;
      pool.reserve(threads - 1);
      for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&ioc] { run_io(ioc); });
      run_io(ioc);
      for (std::thread& t : pool) t.join();
      alive->store(false);
      watcher.stop();
    }  // the io_context and every connection left in it are gone here
    if (audit_log) {
      // Every answered request's lines reach the file before the process exits.
      audit_log->flush_and_stop();
      const audit_log_stats written = audit_log->stats();
      log_line(log_level::info, "audit log closed")
          .field("lines_written", written.lines_written)
          .field("lines_dropped", written.lines_dropped);
    }
    log_line(log_level::info, "stopped");
    return 0;
  }();
  shutdown_logging();
  return code;
}

}  // namespace peergate::webhook::server
