#pragma once
// The result model of `peergate audit`: one row per audited object (or per group of audit-log
// lines), one result per policy column, and the counts every renderer prints. Plain data, built
// by audit/object_auditor.hpp or audit/log_reader.hpp, read by audit/render/render.hpp.
//
// Rows are kept compact (interned strings, a few bytes per result) because a large cluster
// has 100 000 pods or more and the report is the only thing the audit keeps in memory.

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace peergate::audit {

// Ordered most severe first, so "worse" is "smaller". error ranks above warn: an object that
// cannot be evaluated cannot be shown to pass.
enum class result : std::uint8_t { fail, error, warn, pass, skip };
inline constexpr std::size_t result_count = 5;
inline constexpr std::array<result, result_count> all_results{result::fail, result::error, result::warn, result::pass,
                                                              result::skip};

const char* to_string(result r);
inline result worse(result a, result b) { return a < b ? a : b; }

// Bits of row_result::actions: which validation actions a violation carried.
inline constexpr std::uint8_t action_deny = 1;
inline constexpr std::uint8_t action_warn = 2;
inline constexpr std::uint8_t action_audit = 4;
// "Deny", "Warn, Audit", ... ("" for none).
std::string actions_text(std::uint8_t actions);

// One policy and rule that rows have results for: a PeerPodPolicy (allowed-namespaces), one
// limit of a PeerPodVMPolicy ("vcpus", "memory", ...: one column per limit it sets), or a
// mutation's accounting check.
struct column {
  std::string policy;
  // to_string(rule_kind) ("allowed-namespaces", "accounting", "vcpus", ...), a log line's rule
  // as written, or "read" for unreadable log lines.
  std::string rule;
  std::uint8_t actions = 0;  // what a violation does: the policy's validationActions
};

// What the cloud VM of a peer pod asks for: the sizes the cloud-api-adaptor picks an instance
// type by (default_vcpus, default_memory, default_gpus). 16 bytes: kept per row.
struct vm_size {
  std::uint32_t vcpus = 0;       // 0 when not asked, or not readable
  std::uint32_t memory_mib = 0;  // fits: vm::max_sane_memory_mib is 2^26
  std::uint32_t gpus = 0;
  bool peer_pod = false;  // a runtime class the policies or a mutation name
  bool sized = false;     // at least one of the three sizes is asked, with a readable value
};

// The VMs the peer pods of one namespace ask for, summed (objects reports only).
struct namespace_vm_totals {
  std::string namespace_name;
  std::uint64_t peer_pods = 0;   // Pods of a peer runtime class
  std::uint64_t sized_pods = 0;  // of those, the ones that ask for a size
  std::uint64_t vcpus = 0;
  std::uint64_t memory_mib = 0;
  std::uint64_t gpus = 0;
};

// Strings that repeat across rows (kinds, namespaces, messages of skips) stored once. Every row
// interns a few texts (its kind, namespace, a message per column), so a lookup must stay cheap
// when the rows fill the memory around it: the texts are stored one after the other in large
// blocks, and found through one flat table of their hashes and ids (a lookup touches a slot and
// the text it names, where a node-based hash map would touch a bucket, a node, a string and its
// characters, each anywhere in the heap).
class text_pool {
 public:
  text_pool();
  text_pool(const text_pool&) = delete;
  text_pool& operator=(const text_pool&) = delete;
  text_pool(text_pool&&) = default;
  text_pool& operator=(text_pool&&) = default;

  std::uint32_t intern(std::string_view text);  // 0 is always ""
  std::string_view at(std::uint32_t id) const { return texts_[id]; }
  std::size_t size() const { return texts_.size(); }

 private:
  std::string_view store(std::string_view text);
  void place(std::uint64_t hash, std::uint32_t id);

  std::vector<std::unique_ptr<char[]>> blocks_;  // the characters; a block never moves
  char* next_ = nullptr;                         // the free bytes at the end of the last block
  std::size_t block_left_ = 0;
  std::vector<std::string_view> texts_;  // by id, into blocks_
  // Open addressing, linear probing, at most half full: the upper 32 bits of a text's hash, and
  // its id + 1 (0: an empty slot).
  std::vector<std::uint64_t> slots_;
};

// 12 bytes: a large audit keeps one per object and policy.
struct row_result {
  std::uint16_t column = 0;
  result outcome = result::skip;
  std::uint8_t actions = 0;   // for fail and warn: the actions of the violation
  std::uint32_t message = 0;  // in report::text
  std::uint32_t count = 1;    // log reports: how many decisions this result stands for
};

struct row {
  std::uint32_t api_version = 0;  // interned in report::text
  std::uint32_t kind = 0;         // "" for an item that could not be read
  std::uint32_t namespace_name = 0;
  std::string name;
  bool generated_name = false;  // `name` is a generateName prefix (shown as "name*")
  std::string uid;
  std::uint32_t source = 0;  // interned file name
  std::uint64_t line = 0;    // 1-based line of the item in its source, 0 when unknown
  std::string where;         // "items[3]", "document 2", ... ("" when the line says it all)
  std::uint32_t pods = 0;    // Pods this row stands for: 1 for a Pod, its folded pods for a workload
  // Objects: the VM each pod of this row asks for: a Pod's own (its stored annotations), a
  // workload's from its template, as the mutation will size the pods it creates.
  vm_size vm;
  // Audit-log reports only.
  std::uint32_t user = 0;
  std::uint32_t operation = 0;
  std::int64_t first_seen_us = 0;  // microseconds since the epoch
  std::int64_t last_seen_us = 0;
  std::vector<row_result> results;  // one per column for objects; the logged ones for a log

  result worst() const;
};

inline constexpr char name_placeholder = '\x01';

enum class report_origin { objects, log };

struct report {
  report_origin origin = report_origin::objects;
  std::vector<column> columns;
  // Canonical order: namespace, kind, name, source position. A deque: it grows without
  // moving what it holds, where a vector's doubling would need twice the rows at its peak.
  std::deque<row> rows;
  text_pool text;
  std::vector<std::string> sources;  // inputs, as named on the command line
  std::int64_t generated_s = 0;      // when the report was made (seconds since the epoch)

  // Objects: what was read besides the audited rows.
  std::uint64_t items_read = 0;                        // every item, good or bad
  std::map<std::string, std::uint64_t> ignored_kinds;  // kinds without pods (Service, ...): not audited
  std::uint64_t duplicates = 0;                        // items whose uid was already read
  std::uint64_t folded = 0;                            // rows folded into an owner also in the input
  // What the peer pods ask for, per namespace (by name; namespaces with peer pods only). Each
  // Pod of the input counts once, with its own request, whether it has a row or was folded into
  // its owner's: what runs is what the pods were sized with at admission, which can differ from
  // their owner's template today (a rollout in progress, a template changed since). A workload
  // adds nothing: its pods, when they are in the input, are counted themselves.
  std::vector<namespace_vm_totals> vm_by_namespace;

  // Logs: the period covered and what the server lost.
  std::uint64_t log_lines = 0;
  std::uint64_t dropped_lines = 0;  // lines the server dropped (queue full), from its marker lines
  std::int64_t period_from_us = 0;
  std::int64_t period_to_us = 0;

  std::string_view str(std::uint32_t id) const { return text.at(id); }
  // The message of a result. Messages name their object ("Pod \"web-7c5d-x2\" uses ..."), which
  // would make each one unique: they are stored with the row's name replaced by
  // name_placeholder, so that one text serves every object of a namespace.
  std::string message(const row& r, const row_result& x) const;
  void append_message(std::string& out, const row& r, const row_result& x) const;  // the same, appended
  // The stored form of `message` for a row named `name`.
  std::uint32_t intern_message(std::string_view message, std::string_view name);
  // "Deployment/web", "Pod/web-*", or "(unreadable item)".
  std::string object_label(const row& r) const;
  // "list.json:120 items[3]"
  std::string position_label(const row& r) const;
  // "peer-pods-allowed-namespaces" (a PeerPodPolicy's one rule), else the policy and its rule:
  // "peer-pods (accounting)", "team-vm-limits (vcpus)".
  std::string column_label(std::uint32_t c) const;
};

struct counts {
  std::array<std::uint64_t, result_count> by_result{};
  void add(result r, std::uint64_t n = 1) { by_result[static_cast<std::size_t>(r)] += n; }
  std::uint64_t operator[](result r) const { return by_result[static_cast<std::size_t>(r)]; }
  std::uint64_t total() const;
  std::uint64_t findings() const { return (*this)[result::fail] + (*this)[result::error] + (*this)[result::warn]; }
  result worst() const;  // skip when empty
};

struct report_summary {
  counts total;
  std::vector<counts> by_column;                             // index = column
  std::vector<std::pair<std::string, counts>> by_namespace;  // by name; "" = no namespace
  std::vector<std::pair<std::string, counts>> by_user;       // logs only, by name
  std::uint64_t rows = 0;
  std::uint64_t pods = 0;
  std::uint64_t namespaces = 0;  // distinct non-empty namespaces
};

report_summary summarize(const report& r);

// Sorts rows in the canonical order (namespace, kind, name, source, line, where, user), equal
// rows in the order they were added.
void sort_rows(report& r);

// The plain ways summarize() and sort_rows() replaced (maps by name, a stable sort on tuples of
// texts): the references the tests hold them to.
report_summary summarize_reference(const report& r);
void sort_rows_reference(report& r);

// RFC 3339 UTC with microseconds ("2024-05-01T12:00:00.123456Z"), and back (any offset,
// any fraction); nullopt-like false when `text` is not a timestamp.
std::string format_time_us(std::int64_t us);
std::string format_time_s(std::int64_t s);  // "2024-05-01T12:00:00Z"
bool parse_time_us(std::string_view text, std::int64_t& us);

}  // namespace peergate::audit
