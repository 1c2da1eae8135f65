#pragma once
// `peergate serve`: wires the units together (policy store, TLS context store, file watcher,
// metrics, router, listener), runs the I/O threads, and drains on SIGTERM/SIGINT.

#include "webhook/server/options.hpp"

namespace peergate::webhook::server {

// Runs until SIGTERM or SIGINT, then stops accepting, finishes the requests in flight within
// options.shutdown_timeout and returns 0. Returns 1 when it cannot start (bad certificate,
// policies with errors, address in use), 2 for invalid options; the reasons are logged.
int run_server(const server_options& options);

}  // namespace peergate::webhook::server
