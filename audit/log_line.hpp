#pragma once
// The line format of the audit log that `peergate serve --audit-log FILE` writes
// (webhook/server/audit_log_writer.hpp) and `peergate audit --from-log` reads
// (audit/log_reader.hpp): defined here once, for both.
//
// One JSON object a line, one line per action of each violation finding (a [Warn, Audit] policy
// writes a "warn" and an "audit" line for one request, next to each other) and one line per
// denial without a deny finding:
//   {"time":"2024-05-01T12:00:00.123456Z","uid":"...","user":"alice","operation":"CREATE",
//    "kind":"Pod","namespace":"team-a","name":"web","policy":"...","rule":"allowed-namespaces",
//    "action":"audit","message":"..."}
// An object that has no name yet (a controller's pod: CREATE with metadata.generateName) has
// "generateName" instead of "name". After lines were lost, the writer adds a marker:
//   {"time":"...","dropped":12,"message":"12 audit log lines were dropped: the queue was full"}

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/admission.hpp"

namespace peergate::audit {

// What a log line says about the request, besides the finding. Views: nothing is kept.
struct log_request {
  std::string_view uid;
  std::string_view user;
  std::string_view operation;  // "CREATE", "UPDATE", ...
  std::string_view kind;       // "Pod", "Deployment", ...
  std::string_view namespace_name;
  std::string_view name;           // "" on CREATE with generateName
  std::string_view generate_name;  // written when `name` is ""
  bool denied = false;             // the answer was allowed: false
  std::string_view message;        // the denial message, when denied
};

// The lines (each ending in '\n') for one answered request: one per action of each violation
// finding; and when the request was denied without any deny finding (an object that cannot be
// evaluated, an internal error), one line with action "deny", the policy of an error finding if
// there is one, and the denial message. "" when there is nothing to log.
std::string format_log_lines(const log_request& request, std::span<const finding> findings,
                             std::chrono::system_clock::time_point when, std::size_t* line_count = nullptr);

// The marker the writer adds after `dropped` lines were lost.
std::string format_dropped_line(std::uint64_t dropped, std::chrono::system_clock::time_point when);

// One line read back: a decision line, a dropped-lines marker, or why it cannot be read.
struct log_entry {
  std::int64_t time_us = 0;  // microseconds since the epoch
  std::string uid, user, operation, kind, namespace_name;
  std::string name;           // "" when the line has a generateName instead
  std::string generate_name;  // the object's generateName when it had no name
  std::string policy;         // "" for a denial no policy made
  std::string rule;           // as written: to_string(rule_kind), or ""
  policy_action action = policy_action::deny;
  std::string message;
};

struct parsed_log_line {
  enum class kind { blank, entry, dropped_marker, unreadable };
  kind what = kind::blank;
  log_entry entry;            // kind::entry
  std::uint64_t dropped = 0;  // kind::dropped_marker
  std::string problem;        // kind::unreadable
};

// Reads one line (without its '\n'; trailing blanks and '\r' are ignored).
parsed_log_line parse_log_line(std::string_view line);

}  // namespace peergate::audit
