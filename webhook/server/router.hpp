#pragma once
// HTTP routing for the webhook, without sockets or Beast types: a request (method, target,
// content type, body) in, a response out. Admission requests go to the pure handler
// (webhook/handler.hpp) with the policy snapshot current when the request arrived; each answer
// is counted in the metrics and logged as one line, and audit violations as their own lines.
// No exception escapes: anything unexpected becomes a 500 JSON error, never allowed=true.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "webhook/review_codec.hpp"
#include "webhook/server/metrics.hpp"

namespace peergate::webhook::server {

class audit_log_writer;
class policy_store;

struct http_request_view {
  std::string_view method;        // "GET", "POST", ...
  std::string_view target;        // path and query, e.g. "/validate?timeout=10s"
  std::string_view content_type;  // "" when absent
  // With whether the parser's padding follows it (the listener's read buffer or the body's string
  // keeps it), so that a review is parsed where it lies.
  review_body body;
};

struct http_response {
  int status = 200;
  std::string_view content_type = "application/json";  // static strings only
  std::string body;
  std::string_view allow;        // the Allow header of a 405
  std::string_view retry_after;  // the Retry-After header (seconds) of a 503 for load
  bool close = false;            // close the connection after this response
  // The most heap memory the review took while decoded and evaluated (0 for other requests):
  // after a large one the listener gives free heap memory back to the system.
  std::size_t document_bytes = 0;
};

// The routes, decided on the path alone (the apiserver appends ?timeout=10s).
enum class route { validate, mutate, admit, healthz, readyz, metrics, not_found };
route route_for(std::string_view target);
std::optional<endpoint> endpoint_for(route r);

// "application/json", with or without parameters such as "; charset=utf-8", any case.
bool is_json_content_type(std::string_view content_type);

class router {
 public:
  // `not_ready` returns why the server is not ready ("" when it is): /readyz answers 503 then.
  // `audit_log`, when given, receives the lines of every answered admission request.
  // `max_document_bytes` caps the memory of one review (webhook::handle_review; 0: no cap).
  router(const policy_store& policies, metrics& m, std::function<std::string()> not_ready,
         audit_log_writer* audit_log = nullptr, std::size_t max_document_bytes = 0);

  http_response handle(const http_request_view& request) const noexcept;

  // The answer to a request refused before its body was read (413 for a body over the limit,
  // 400 for a malformed request, 431 for headers too large, 503 for a body that does not fit in
  // the server's budget of request bytes in flight), counted and logged like the rest.
  http_response reject(std::string_view target, int status, std::string_view message) const noexcept;

 private:
  http_response admission(endpoint e, const http_request_view& request) const;
  http_response refuse(std::optional<endpoint> e, int status, std::string_view message,
                       std::chrono::steady_clock::time_point start) const;

  const policy_store& policies_;
  metrics& metrics_;
  std::function<std::string()> not_ready_;
  audit_log_writer* audit_log_;
  std::size_t max_document_bytes_;
};

}  // namespace peergate::webhook::server
