#pragma once
// The request a test writes to the audit log: the same named pod for the line-format tests
// (tests/audit) and the writer's tests (tests/server).

#include "audit/log_line.hpp"

namespace peergate::testing {

inline audit::log_request sample_log_request() {
  audit::log_request r;
  r.uid = "705ab4f5-6393-11e8-b7cc-42010a800002";
  r.user = "alice";
  r.operation = "CREATE";
  r.kind = "Pod";
  r.namespace_name = "team-a";
  r.name = "web";
  return r;
}

}  // namespace peergate::testing
