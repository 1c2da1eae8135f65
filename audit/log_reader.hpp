#pragma once
// `peergate audit --from-log`: the lines of the audit log (audit/log_line.hpp) as a
// report in the same formats. Each policy and rule the lines name is a column (a VM policy has
// one per limit its lines name, as in a report of objects). The lines of one request about one
// policy and rule (one per action: a [Warn, Audit] policy writes two) are one decision;
// decisions about the same object, user, operation, column and actions are one row with a
// count and the first and last time seen. The summary counts decisions per column, namespace
// and user over the period the lines cover. A
// decision with Deny is `fail`, one with Warn or Audit only `warn`; a line that cannot be read
// is an `error` row with its position.

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <unordered_map>

#include "audit/report.hpp"

namespace peergate::audit {

class log_auditor {
 public:
  log_auditor();

  void begin_source(std::string_view name);
  void add_line(std::string_view line, std::uint64_t line_number);
  report finish(std::int64_t generated_s);

 private:
  // One request's verdict of one policy, gathered from its adjacent lines.
  struct decision_lines {
    bool present = false;
    std::string uid;
    std::uint32_t column = 0;
    std::uint8_t actions = 0;
    std::int64_t time_us = 0;
    std::uint64_t line = 0;
    std::string namespace_name, kind, name, user, operation, message;
    bool generated_name = false;
  };

  std::uint32_t column_for(std::string_view policy, std::string_view rule);
  void add_error(std::uint64_t line_number, std::string_view reason);
  void commit();  // the pending decision into its row

  report report_;
  std::uint32_t source_ = 0;
  std::unordered_map<std::string, std::uint32_t> columns_;  // policy '\0' rule
  std::unordered_map<std::string, std::uint32_t> groups_;   // the key of a row
  decision_lines pending_;
};

// Reads every line of `in` into `auditor` (one line at a time: memory stays flat).
void read_log(std::istream& in, log_auditor& auditor);

}  // namespace peergate::audit
