#pragma once
// The admission request as the engine sees it (decoded from an AdmissionReview by
// webhook/review_codec), and the decision the chain returns. Plain data, no I/O.

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <utility>
#include <vector>

namespace peergate {

enum class operation { create, update, remove, connect };  // remove = DELETE

struct group_version_kind {
  std::string group;
  std::string version;
  std::string kind;
};

struct user_info {
  std::string username;
  std::vector<std::string> groups;
};

struct admission_request {
  admission_request() = default;
  // Objects live in `storage`: the webhook decodes each review into a per-request arena.
  explicit admission_request(boost::json::storage_ptr storage) : object(storage), old_object(std::move(storage)) {}

  std::string uid;
  group_version_kind kind;     // request.kind: what the object is
  std::string sub_resource;    // "" for the main resource
  std::string name;            // "" on CREATE with generateName
  std::string namespace_name;  // request.namespace ("" for cluster-scoped or hand-made input)
  operation op = operation::create;
  user_info user;
  boost::json::value object;      // null when absent
  boost::json::value old_object;  // null on CREATE
  bool dry_run = false;
};

// What one policy (or the accounting check, or the mutation) concluded about one request.
enum class finding_action { none, deny, warn, audit };
enum class finding_result {
  pass,       // a peer pod this policy allows
  violation,  // the policy's actions apply
  skip,       // not a peer pod for this policy, exempt user, or an unchanged UPDATE
  error,      // the object could not be evaluated
};

struct finding {
  std::string policy;  // policy name, mutation name for accounting and mutation findings
  std::string rule;    // "allowed-namespaces", "accounting" or "mutation"
  finding_action action = finding_action::none;
  finding_result result = finding_result::pass;
  std::string message;
};

struct decision {
  bool allowed = true;
  int code = 200;        // HTTP-like status for the response: 403 policy, 400 bad object, 500 internal
  std::string message;   // on denial, shown by kubectl after "denied the request: "
  boost::json::array patch;  // RFC 6902 operations; empty when nothing changes
  std::vector<std::string> warnings;
  std::vector<std::pair<std::string, std::string>> audit_annotations;
  std::vector<finding> findings;
};

const char* to_string(operation op);
const char* to_string(finding_action a);
const char* to_string(finding_result r);

}  // namespace peergate
