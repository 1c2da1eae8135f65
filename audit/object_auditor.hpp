#pragma once
// Turns the items read from the input into report rows. Each object is evaluated as soon as it
// is read (audit/evaluate.hpp) and only a compact row is kept; at the end, an object owned
// by another object of the input (a Pod by its ReplicaSet, a ReplicaSet by its Deployment, a Job
// by its CronJob, ...) is folded into its owner's row, which then counts its pods.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/object_stream.hpp"
#include "audit/report.hpp"
#include "engine/chain.hpp"
#include "engine/policy/model.hpp"

namespace peergate::audit {

class object_auditor {
 public:
  // `default_namespace` is used for objects without metadata.namespace (hand-written
  // manifests), as `kubectl apply` would.
  // Objects are evaluated at `context.now`; its `digests` digest initdata documents for VM
  // policies and must outlive the auditor.
  object_auditor(policy_snapshot policies, const evaluation_context& context,
                 std::string default_namespace = "default");

  // Items added from now on come from `name` (a file, "<stdin>").
  void begin_source(std::string_view name);
  void add(input_item&& item);
  // A whole input that could not be read (a file met in a directory): one error row.
  void add_unreadable(std::string_view source, std::uint64_t line, std::string_view reason);

  // Folds owned objects into their owners and returns the report; the auditor is spent.
  report finish(std::int64_t generated_s);

 private:
  // The controller reference, as hashes: a 64-bit hash is as good as the string to find the
  // owner among the input's objects, and keeps 24 bytes a row instead of two strings.
  using hashed_row = std::pair<std::uint64_t, std::uint32_t>;

  struct owner_link {
    std::uint32_t kind = 0;       // 0: no owner
    std::uint64_t uid_hash = 0;   // 0: the reference has no uid
    std::uint64_t name_hash = 0;  // of kind, namespace and name; 0: no name
  };

  void add_error_row(std::uint64_t line, std::string where, std::string_view reason);
  std::uint32_t find_owner(std::uint32_t child, std::uint32_t by_uid, std::uint32_t by_name) const;
  void sum_vm_by_namespace(const std::vector<bool>& keep);
  template <typename HashOf>
  static std::vector<std::uint32_t> first_with_each(const std::vector<hashed_row>& index, std::uint32_t rows,
                                                    HashOf hash_of);

  policy_snapshot policies_;
  evaluation_context context_;
  std::string default_namespace_;
  report report_;
  std::uint32_t source_ = 0;
  std::uint32_t pod_kind_ = 0;
  std::deque<owner_link> owners_;  // parallel to report_.rows
  // (hash of uid, row) and (hash of kind/namespace/name, row), sorted by finish(): 16 bytes a
  // row, where a hash map would take 40. Deques, as the rows.
  std::deque<hashed_row> by_uid_;
  std::deque<hashed_row> by_name_;
};

}  // namespace peergate::audit
