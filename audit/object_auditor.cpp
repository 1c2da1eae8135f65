#include "audit/object_auditor.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include "audit/evaluate.hpp"

namespace peergate::audit {

namespace {

constexpr std::uint32_t no_row = UINT32_MAX;

// Never 0, which means "none".
std::uint64_t hash_text(std::string_view s) { return std::hash<std::string_view>{}(s) | 1; }

std::uint64_t hash_name(std::string_view kind, std::string_view ns, std::string_view name) {
  thread_local std::string key;  // made for every object: the buffer is kept
  key.clear();
  key.append(kind).append(1, '\0').append(ns).append(1, '\0').append(name);
  return hash_text(key);
}

}  // namespace

object_auditor::object_auditor(policy_snapshot policies, const evaluation_context& context,
                               std::string default_namespace)
    : policies_(std::move(policies)), context_(context), default_namespace_(std::move(default_namespace)) {
  report_.origin = report_origin::objects;
  report_.columns = columns_for(*policies_);
  pod_kind_ = report_.text.intern("Pod");
}

void object_auditor::begin_source(std::string_view name) {
  source_ = report_.text.intern(name);
  report_.sources.emplace_back(name);
}

void object_auditor::add_error_row(std::uint64_t line, std::string where, std::string_view reason) {
  row r;
  r.source = source_;
  r.line = line;
  r.where = std::move(where);
  const std::uint32_t message = report_.intern_message(reason, {});
  for (std::uint32_t c = 0; c < report_.columns.size(); ++c)
    r.results.push_back({static_cast<std::uint16_t>(c), result::error, 0, message});
  report_.rows.push_back(std::move(r));
  owners_.emplace_back();
}

void object_auditor::add_unreadable(std::string_view source, std::uint64_t line, std::string_view reason) {
  const std::uint32_t saved = source_;
  source_ = report_.text.intern(source);
  add_error_row(line, {}, reason);
  source_ = saved;
}

void object_auditor::add(input_item&& item) {
  ++report_.items_read;
  if (!item.error.empty()) {
    add_error_row(item.line, std::move(item.where), item.error);
    return;
  }
  object_evaluation e = evaluate_object(std::move(item.value), *policies_, context_, default_namespace_);
  if (!e.evaluated) {
    ++report_.ignored_kinds[e.kind];
    return;
  }
  const auto index = static_cast<std::uint32_t>(report_.rows.size());
  if (!e.uid.empty()) by_uid_.emplace_back(hash_text(e.uid), index);
  row r;
  // Lists hold one kind: the last row's texts are compared before the pool is searched.
  const row* last = report_.rows.empty() ? nullptr : &report_.rows.back();
  r.api_version =
      last && report_.str(last->api_version) == e.api_version ? last->api_version : report_.text.intern(e.api_version);
  r.kind = last && report_.str(last->kind) == e.kind ? last->kind : report_.text.intern(e.kind);
  r.namespace_name = report_.text.intern(e.namespace_name);
  r.name = std::move(e.name);
  r.generated_name = e.generated_name;
  r.uid = std::move(e.uid);
  r.source = source_;
  r.line = item.line;
  r.where = std::move(item.where);
  r.pods = r.kind == pod_kind_ ? 1 : 0;
  r.vm = e.vm;
  r.results.reserve(e.outcomes.size());
  for (std::uint32_t c = 0; c < e.outcomes.size(); ++c) {
    column_outcome& o = e.outcomes[c];
    r.results.push_back(
        {static_cast<std::uint16_t>(c), o.outcome, o.actions, report_.intern_message(o.message, r.name)});
  }
  if (r.kind != 0 && !r.name.empty() && !r.generated_name)
    by_name_.emplace_back(hash_name(report_.str(r.kind), report_.str(r.namespace_name), r.name), index);
  owner_link link;
  if (e.owner) {
    link.kind = report_.text.intern(e.owner->kind);
    if (!e.owner->uid.empty()) link.uid_hash = hash_text(e.owner->uid);
    if (!e.owner->name.empty()) link.name_hash = hash_name(e.owner->kind, e.namespace_name, e.owner->name);
  }
  report_.rows.push_back(std::move(r));
  owners_.push_back(link);
}

// For each row, the first row of `index` (sorted) with the hash `hash_of` gives it (0: none), or
// no_row: the rows' hashes sorted, then merged with the index in one pass, where a binary search
// per row would jump around all of it.
template <typename HashOf>
std::vector<std::uint32_t> object_auditor::first_with_each(const std::vector<hashed_row>& index, std::uint32_t rows,
                                                           HashOf hash_of) {
  std::vector<std::uint32_t> out(rows, no_row);
  std::vector<hashed_row> queries;
  for (std::uint32_t i = 0; i < rows; ++i)
    if (const std::uint64_t hash = hash_of(i)) queries.emplace_back(hash, i);
  std::sort(queries.begin(), queries.end());
  auto it = index.begin();
  for (const auto& [hash, i] : queries) {
    while (it != index.end() && it->first < hash) ++it;
    if (it != index.end() && it->first == hash) out[i] = it->second;
  }
  return out;
}

// The row of the owner of `child`, when the owner is in the input: by uid when the reference
// has one, else by kind, namespace and name (owners are in the namespace of what they own).
// `by_uid` and `by_name`: the first row with the reference's uid hash, name hash (or no_row).
std::uint32_t object_auditor::find_owner(std::uint32_t child, std::uint32_t by_uid, std::uint32_t by_name) const {
  const owner_link& link = owners_[child];
  if (link.kind == 0) return no_row;
  if (link.uid_hash) {
    const std::uint32_t o = by_uid;
    if (o != no_row && o != child && report_.rows[o].kind == link.kind) return o;
  }
  if (!link.name_hash) return no_row;
  const std::uint32_t o = by_name;
  if (o == no_row || o == child) return no_row;
  const row& owner = report_.rows[o];
  if (owner.kind != link.kind || owner.namespace_name != report_.rows[child].namespace_name) return no_row;
  // Both uids known and different: another object of the same name (recreated since).
  if (link.uid_hash && !owner.uid.empty() && hash_text(owner.uid) != link.uid_hash) return no_row;
  return o;
}

// Each Pod read once (not the duplicates), before pods are folded into their owners: a folded
// pod counts with its own request, its owner's template adds nothing (see
// report::vm_by_namespace).
void object_auditor::sum_vm_by_namespace(const std::vector<bool>& keep) {
  std::map<std::string_view, namespace_vm_totals> totals;
  for (std::uint32_t i = 0; i < report_.rows.size(); ++i) {
    const row& r = report_.rows[i];
    if (!keep[i] || r.kind != pod_kind_ || !r.vm.peer_pod) continue;
    namespace_vm_totals& t = totals[report_.str(r.namespace_name)];
    ++t.peer_pods;
    if (!r.vm.sized) continue;
    ++t.sized_pods;
    t.vcpus += r.vm.vcpus;
    t.memory_mib += r.vm.memory_mib;
    t.gpus += r.vm.gpus;
  }
  for (auto& [name, t] : totals) {
    t.namespace_name = name;
    report_.vm_by_namespace.push_back(std::move(t));
  }
}

report object_auditor::finish(std::int64_t generated_s) {
  auto& rows = report_.rows;
  const auto n = static_cast<std::uint32_t>(rows.size());
  // Sorted by hash, then row: the first row with a hash is the earliest read. Sorted in vectors
  // (faster than through a deque's iterators); the deques are let go first.
  std::vector<hashed_row> by_uid(by_uid_.begin(), by_uid_.end());
  by_uid_ = {};
  std::vector<hashed_row> by_name(by_name_.begin(), by_name_.end());
  by_name_ = {};
  std::sort(by_uid.begin(), by_uid.end());
  std::sort(by_name.begin(), by_name.end());
  // The same object given twice (overlapping inputs) is audited once: the first one read.
  std::vector<bool> keep(n, true);
  for (std::size_t k = 1, run = 0; k < by_uid.size(); ++k) {
    if (by_uid[k].first != by_uid[run].first) {  // the first of a run of equal hashes
      run = k;
      continue;
    }
    const std::uint32_t first = by_uid[run].second;
    const std::uint32_t again = by_uid[k].second;
    if (first != again && keep[again] && rows[first].uid == rows[again].uid) {
      keep[again] = false;
      ++report_.duplicates;
    }
  }
  sum_vm_by_namespace(keep);
  std::vector<std::uint32_t> parent(n, no_row);
  {
    const auto owned = [&](std::uint32_t i) { return keep[i] && owners_[i].kind != 0; };
    const std::vector<std::uint32_t> owner_by_uid =
        first_with_each(by_uid, n, [&](std::uint32_t i) { return owned(i) ? owners_[i].uid_hash : 0; });
    const std::vector<std::uint32_t> owner_by_name =
        first_with_each(by_name, n, [&](std::uint32_t i) { return owned(i) ? owners_[i].name_hash : 0; });
    for (std::uint32_t i = 0; i < n; ++i)
      if (keep[i]) parent[i] = find_owner(i, owner_by_uid[i], owner_by_name[i]);
  }
  // Roots: follow owners up; a cycle (hand-made input) leaves the object on its own.
  std::vector<std::uint32_t> root(n, no_row);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t r = i;
    int steps = 0;
    while (parent[r] != no_row && steps < 32) r = parent[r], ++steps;
    root[i] = parent[r] == no_row ? r : i;
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t r = root[i];
    if (r == i || !keep[i]) continue;
    keep[i] = false;
    ++report_.folded;
    row& owner = rows[r];
    const row& child = rows[i];
    owner.pods += child.kind == pod_kind_ ? 1 : 0;
    // What actually runs can differ from the owner's template (an old ReplicaSet during a
    // rollout, pods from before a template change): the row shows the worst, and says where
    // it comes from.
    for (std::size_t c = 0; c < owner.results.size() && c < child.results.size(); ++c) {
      if (child.results[c].outcome >= owner.results[c].outcome) continue;
      row_result taken = child.results[c];
      taken.message = report_.intern_message(
          "via " + report_.object_label(child) + ": " + report_.message(child, child.results[c]), owner.name);
      owner.results[c] = taken;
    }
  }
  // In place: a second vector of rows would double the peak memory of a large audit.
  std::size_t kept = 0;
  for (std::uint32_t i = 0; i < n; ++i)
    if (keep[i]) {
      if (kept != i) rows[kept] = std::move(rows[i]);
      ++kept;
    }
  rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(kept), rows.end());
  owners_ = {};
  sort_rows(report_);
  report_.generated_s = generated_s;
  return std::move(report_);
}

}  // namespace peergate::audit
