#pragma once
// The HTTPS listener and its connections (Boost.Beast over Asio's SSL stream): accepts TCP
// connections, gives each the TLS context current at accept time, and runs one session per
// connection: handshake, then requests with a timeout per phase (handshake, idle keep-alive,
// headers, body, write), an explicit body limit, keep-alive, and one error funnel. drain()
// stops accepting and lets every connection finish the request it is on before closing. A
// request body holds its size from the server's request_budget while it is read and evaluated;
// one that does not fit is answered 503 before it is read.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <string>

#include "webhook/server/options.hpp"

namespace peergate::webhook::server {

class metrics;
class request_budget;
class router;
class tls_context_store;
struct connection_state;

class listener : public std::enable_shared_from_this<listener> {
 public:
  // `io_threads`: how many threads run `ioc` (with one, connections need no strand).
  listener(boost::asio::io_context& ioc, unsigned io_threads, const server_options& options, const router& routes,
           const tls_context_store& tls, metrics& m, request_budget& budget);
  ~listener();

  // Binds and listens. Returns "" or why it could not.
  std::string open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  void start();

  // From now on every answer says `Connection: close`, and each connection closes after its next
  // answer; new connections are still accepted. For --shutdown-delay: the apiserver keeps its
  // keep-alive connections to a pod that is no longer ready, and this moves them to other pods
  // (a new connection goes through the Service) before the drain.
  void retire_keep_alive();

  // Stops accepting; every connection finishes its current request (answered with
  // `Connection: close`) and closes; idle keep-alive connections close at once. `on_drained`
  // runs once no connection is left (maybe at once, maybe on an I/O thread).
  void drain(std::function<void()> on_drained);

  std::size_t connections() const;

 private:
  boost::asio::any_io_executor connection_executor();
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  unsigned io_threads_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::shared_ptr<connection_state> state_;
};

}  // namespace peergate::webhook::server
