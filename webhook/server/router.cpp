#include "webhook/server/router.hpp"

#include "webhook/server/audit_log_writer.hpp"

#include <algorithm>
#include <cctype>
#include <exception>

#include "engine/admission.hpp"
#include "engine/chain.hpp"
#include "engine/json_text.hpp"
#include "webhook/handler.hpp"
#include "webhook/server/logging.hpp"
#include "webhook/server/policy_store.hpp"

namespace peergate::webhook::server {

namespace {

using clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

step_kind step_for(endpoint e) {
  switch (e) {
    case endpoint::validate: return step_kind::validate;
    case endpoint::mutate: return step_kind::mutate;
    case endpoint::admit: return step_kind::admit;
  }
  return step_kind::admit;
}

decision_label label_for(outcome o) {
  switch (o) {
    case outcome::allowed: return decision_label::allowed;
    case outcome::denied: return decision_label::denied;
    case outcome::bad_request: return decision_label::bad_request;
    case outcome::error: return decision_label::error;
  }
  return decision_label::error;
}

log_level level_for(decision_label d) {
  switch (d) {
    case decision_label::allowed:
    case decision_label::denied: return log_level::info;
    case decision_label::bad_request: return log_level::warn;
    case decision_label::error: return log_level::error;
  }
  return log_level::info;
}

double milliseconds(clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The gauge of the served exceptions, read from the snapshot and the wall clock at each scrape:
// an exception ends by the clock, not by a reload, and so does its countdown.
std::optional<double> seconds_to_nearest_exception_expiry(const policy_snapshot& served) {
  if (!served || served->exceptions.empty()) return std::nullopt;
  auto nearest = served->exceptions.front().expires;
  for (const auto& e : served->exceptions) nearest = std::min(nearest, e.expires);
  return std::chrono::duration<double>(nearest - std::chrono::system_clock::now()).count();
}

http_response json_response(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

route route_for(std::string_view target) {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path == "/validate") return route::validate;
  if (path == "/mutate" || path == "/mutate-v1-pod") return route::mutate;
  if (path == "/admit") return route::admit;
  if (path == "/healthz") return route::healthz;
  if (path == "/readyz") return route::readyz;
  if (path == "/metrics") return route::metrics;
  return route::not_found;
}

std::optional<endpoint> endpoint_for(route r) {
  switch (r) {
    case route::validate: return endpoint::validate;
    case route::mutate: return endpoint::mutate;
    case route::admit: return endpoint::admit;
    default: return std::nullopt;
  }
}

bool is_json_content_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  return iequals(media, "application/json");
}

router::router(const policy_store& policies, metrics& m, std::function<std::string()> not_ready,
               audit_log_writer* audit_log, std::size_t max_document_bytes)
    : policies_(policies),
      metrics_(m),
      not_ready_(std::move(not_ready)),
      audit_log_(audit_log),
      max_document_bytes_(max_document_bytes) {}

http_response router::handle(const http_request_view& request) const noexcept {
  const clock::time_point start = clock::now();
  const route r = route_for(request.target);
  const std::optional<endpoint> ep = endpoint_for(r);
  try {
    http_response response;
    if (ep) {
      if (request.method != "POST") {
        response = refuse(ep, 405, "method not allowed: use POST", start);
        response.allow = "POST";
      } else if (!is_json_content_type(request.content_type)) {
        response = refuse(ep, 415,
                          request.content_type.empty() ? "missing Content-Type: expected application/json"
                                                       : "unsupported Content-Type: expected application/json",
                          start);
      } else {
        response = admission(*ep, request);
      }
    } else if (r == route::not_found) {
      response = json_response(404, error_body("not found"));
    } else if (request.method != "GET" && request.method != "HEAD") {
      response = json_response(405, error_body("method not allowed: use GET"));
      response.allow = "GET, HEAD";
    } else if (r == route::healthz) {
      response = json_response(200, "{\"status\":\"ok\"}");
    } else if (r == route::readyz) {
      const std::string why = not_ready_ ? not_ready_() : std::string();
      if (why.empty()) {
        response = json_response(200, "{\"status\":\"ready\"}");
      } else {
        response = json_response(503, "{\"status\":\"not ready\",\"reason\":\"");
        append_json_escaped(response.body, why);
        response.body += "\"}";
      }
    } else {  // metrics
      response.status = 200;
      response.content_type = metrics::content_type;
      response.body = metrics_.render(seconds_to_nearest_exception_expiry(policies_.current()));
    }
    metrics_.record_http_response(response.status);
    return response;
  } catch (...) {
    // Out of memory or a bug: an explicit, counted, logged internal error; never an answer
    // that lets the object through.
    try {
      if (ep) metrics_.record_admission(*ep, decision_label::error, clock::now() - start);
      metrics_.record_http_response(500);
      log_line(log_level::error, "internal error").field("target", request.target);
      return json_response(500, error_body("internal error"));
    } catch (...) {
      http_response fallback;
      fallback.status = 500;
      fallback.close = true;
      return fallback;
    }
  }
}

http_response router::reject(std::string_view target, int status, std::string_view message) const noexcept {
  const clock::time_point start = clock::now();
  try {
    http_response response = refuse(endpoint_for(route_for(target)), status, message, start);
    response.close = true;  // the rest of the request was not read: the connection cannot be reused
    metrics_.record_http_response(status);
    return response;
  } catch (...) {
    http_response fallback;
    fallback.status = status;
    fallback.close = true;
    return fallback;
  }
}

http_response router::refuse(std::optional<endpoint> ep, int status, std::string_view message,
                             clock::time_point start) const {
  if (ep) {
    const clock::duration elapsed = clock::now() - start;
    metrics_.record_admission(*ep, decision_label::bad_request, elapsed);
    log_line(log_level::warn, "admission")
        .field("endpoint", to_string(*ep))
        .field("decision", to_string(decision_label::bad_request))
        .field("status", status)
        .field("message", message)
        .field("latency_ms", milliseconds(elapsed));
  }
  return json_response(status, error_body(message));
}

http_response router::admission(endpoint ep, const http_request_view& request) const {
  const clock::time_point start = clock::now();
  // One snapshot for the whole request: a reload in the meantime does not change what it sees.
  const policy_snapshot snapshot = policies_.current();
  if (!snapshot) {
    metrics_.record_admission(ep, decision_label::error, clock::now() - start);
    log_line(log_level::error, "admission")
        .field("endpoint", to_string(ep))
        .field("decision", "error")
        .field("message", "no policies loaded");
    return json_response(503, error_body("no policies loaded"));
  }

  handler_result result = handle_review(step_for(ep), request.body, *snapshot, max_document_bytes_);
  const clock::duration elapsed = clock::now() - start;
  const decision_label decision = label_for(result.result);
  const request_labels& labels = result.request;

  metrics_.record_admission(ep, decision, elapsed);
  if (audit_log_ && result.result != outcome::bad_request) {
    // Queued, never written on this thread; a full queue drops and counts (audit_log_writer.hpp).
    audit_log_->record({.uid = labels.uid(),
                        .user = labels.username(),
                        .operation = labels.operation(),
                        .kind = labels.kind(),
                        .namespace_name = labels.namespace_name(),
                        .name = labels.name(),
                        .generate_name = labels.generate_name(),
                        .denied = result.result != outcome::allowed,
                        .message = result.message},
                       result.findings);
  }
  std::size_t warnings = 0;
  std::vector<std::pair<std::string_view, std::string_view>> exceptions_used;  // once per request each
  for (const finding& f : result.findings) {
    metrics_.record_finding(f);
    if (!f.exception.empty()) {
      const std::pair<std::string_view, std::string_view> use(f.exception, f.policy);
      if (std::find(exceptions_used.begin(), exceptions_used.end(), use) == exceptions_used.end()) {
        exceptions_used.push_back(use);
        metrics_.record_exception_use(use.first, use.second);
      }
    }
    if (f.result == finding_result::violation && f.actions.warn) ++warnings;
  }
  // The policies that applied, each once, in the order of their first finding; listed straight
  // into the log line (a handful of findings: no container, no copy of a name).
  const auto involved = [&findings = result.findings](const auto& add) {
    for (auto f = findings.begin(); f != findings.end(); ++f) {
      if (f->result == finding_result::skip) continue;
      const bool seen = std::any_of(findings.begin(), f, [f](const finding& earlier) {
        return earlier.result != finding_result::skip && earlier.policy == f->policy;
      });
      if (!seen) add(f->policy);
    }
  };

  if (log_enabled(level_for(decision))) {
    log_line line(level_for(decision), "admission");
    line.field("uid", labels.uid()).field("endpoint", to_string(ep));
    if (!labels.operation().empty()) line.field("operation", labels.operation());
    if (!labels.kind().empty()) line.field("kind", labels.kind());
    if (!labels.namespace_name().empty()) line.field("namespace", labels.namespace_name());
    if (!labels.name().empty()) line.field("name", labels.name());
    if (!labels.generate_name().empty()) line.field("generateName", labels.generate_name());
    if (!labels.username().empty()) line.field("user", labels.username());
    line.field("decision", to_string(decision))
        .field("status", result.http_status)
        .list("policies", involved)
        .field("warnings", static_cast<std::uint64_t>(warnings))
        .field("patched", result.has_patch)
        .field("document_bytes", static_cast<std::uint64_t>(result.document_bytes))
        .field("latency_ms", milliseconds(elapsed));
    if (!result.message.empty()) line.field("message", result.message);
  }
  // Each exception used, on the record in the log as in the metrics: who got past which policy.
  for (const auto& [exception, policy] : exceptions_used) {
    log_line used(log_level::info, "exception used");
    used.field("uid", labels.uid())
        .field("endpoint", to_string(ep))
        .field("exception", exception)
        .field("policy", policy)
        .field("operation", labels.operation())
        .field("kind", labels.kind())
        .field("namespace", labels.namespace_name());
    if (labels.name().empty() && !labels.generate_name().empty()) used.field("generateName", labels.generate_name());
    else used.field("name", labels.name());
    used.field("user", labels.username());
  }
  for (const finding& f : result.findings) {
    if (!f.actions.audit || f.result != finding_result::violation) continue;
    log_line audit(log_level::info, "audit");
    audit.field("uid", labels.uid())
        .field("endpoint", to_string(ep))
        .field("policy", f.policy)
        .field("rule", to_string(f.rule))
        .field("operation", labels.operation())
        .field("kind", labels.kind())
        .field("namespace", labels.namespace_name());
    if (labels.name().empty() && !labels.generate_name().empty()) audit.field("generateName", labels.generate_name());
    else audit.field("name", labels.name());
    audit.field("user", labels.username()).field("message", f.message);
  }
  http_response response = json_response(result.http_status, std::move(result.body));
  response.document_bytes = result.document_bytes;
  return response;
}

}  // namespace peergate::webhook::server
