// Fuzzes how `peergate audit` reads its input (audit/object_stream.cpp): the pruned reading (items
// parsed to audit_item_shape(), most of them in one pass straight from the read buffer, the others
// split 64 bytes at a time) against the reference (the byte-by-byte splitter, every item parsed
// whole). For any bytes both must give:
//  - the same items in the same order, with the same line, position and error, each pruned value
//    equal to the whole one pruned the slow way (pruned_copy);
//  - the same statistics, fatal error included (but the bytes read before a fatal error);
//  - the same JSON report, through the embedded policies, also when the pruned items are read in
//    memory reused from item to item (stream_options::reuse_item_memory, as `peergate audit` reads).
// A broken promise aborts, so libFuzzer (or the replay test) reports the input.
//
// The first byte picks the read buffer's size (1 to 255 bytes, or the default 1 MiB when 0), so that
// items are cut by the buffer's end anywhere; the rest is the input.

#include <boost/json.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "audit/item_shape.hpp"
#include "audit/object_auditor.hpp"
#include "audit/object_stream.hpp"
#include "audit/render/render.hpp"
#include "engine/json_pruned_parse.hpp"
#include "engine/policy/loader.hpp"

namespace {

using namespace peergate;
using namespace peergate::audit;

[[noreturn]] void broken(const char* promise, std::string_view detail = {}) {
  std::fprintf(stderr, "audit_items_fuzz: %s\n  %.*s\n", promise, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Initdata digests are compared, not computed: the same answer on both sides is all that matters.
class no_digests : public vm::digest_provider {
 public:
  std::optional<std::string> hex_digest(vm::digest_algorithm, std::string_view) const override { return std::nullopt; }
};

const policy_snapshot& embedded_policies() {
  static const policy_snapshot policies = [] {
    load_result loaded = load_policies({}, mutation_defaults{}, std::chrono::system_clock::time_point{});
    if (!loaded.ok()) broken("the embedded policies do not load", loaded.problems.summary());
    return loaded.policies;
  }();
  return policies;
}

// JSON equality in which a NaN equals a NaN: Boost.JSON reads some numbers out of a double's range
// (0.0e99999) as NaN, both readings of such an item give it, and == would call them different.
// Otherwise as boost::json's ==: objects by their members whatever the order, numbers by kind.
bool same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double())
    return a.get_double() == b.get_double() || (std::isnan(a.get_double()) && std::isnan(b.get_double()));
  if (a.kind() != b.kind()) return false;
  if (const boost::json::object* x = a.if_object()) {
    const boost::json::object& y = b.get_object();
    if (x->size() != y.size()) return false;
    for (const auto& member : *x) {
      const boost::json::value* other = y.if_contains(member.key());
      if (other == nullptr || !same_json(member.value(), *other)) return false;
    }
    return true;
  }
  if (const boost::json::array* x = a.if_array()) {
    const boost::json::array& y = b.get_array();
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i)
      if (!same_json((*x)[i], y[i])) return false;
    return true;
  }
  return a == b;
}

// What read_objects takes for JSON (and prunes): its first significant character.
bool is_json(std::string_view input) {
  if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);
  const std::size_t first = input.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (input[first] == '{' || input[first] == '[');
}

struct reading {
  std::vector<input_item> items;
  stream_stats stats;
  std::string report;
};

// The JSON report of the reading `peergate audit` does: pruned items, each given to the auditor as
// it is read, in memory reused from item to item.
std::string report_reusing_memory(std::string_view input, std::size_t chunk_bytes) {
  std::istringstream in{std::string(input)};
  stream_options options;
  options.chunk_bytes = chunk_bytes;
  options.reuse_item_memory = true;
  static const no_digests digests;
  object_auditor auditor(embedded_policies(), evaluation_context{digests, std::chrono::system_clock::time_point{}});
  auditor.begin_source("fuzz");
  read_objects(
      in, [&](input_item&& item) { auditor.add(std::move(item)); }, options);
  std::ostringstream report;
  render(report_format::json, auditor.finish(0), report);
  return report.str();
}

reading read(std::string_view input, std::size_t chunk_bytes, const json_shape* item_shape) {
  reading out;
  std::istringstream in{std::string(input)};
  stream_options options;
  options.chunk_bytes = chunk_bytes;
  options.item_shape = item_shape;
  out.stats = read_objects(
      in, [&](input_item&& item) { out.items.push_back(std::move(item)); }, options);
  static const no_digests digests;
  object_auditor auditor(embedded_policies(), evaluation_context{digests, std::chrono::system_clock::time_point{}});
  auditor.begin_source("fuzz");
  for (const input_item& item : out.items) auditor.add(input_item(item));
  std::ostringstream report;
  render(report_format::json, auditor.finish(0), report);
  out.report = report.str();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = data[0] == 0 ? std::size_t{1} << 20 : data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool json = is_json(input);
  const reading whole = read(input, std::size_t{1} << 20, nullptr);
  const reading pruned = read(input, chunk, &audit_item_shape());
  if (pruned.items.size() != whole.items.size()) broken("not the same number of items");
  for (std::size_t i = 0; i < whole.items.size(); ++i) {
    const input_item& w = whole.items[i];
    const input_item& p = pruned.items[i];
    if (p.line != w.line) broken("an item's line differs", w.where);
    if (p.where != w.where) broken("an item's position differs", w.where);
    if (p.error != w.error) broken("an item's error differs", w.error);
    // YAML items are built whole either way.
    if (!same_json(p.value, json ? pruned_copy(w.value, audit_item_shape()) : w.value))
      broken("a pruned item is not the whole item pruned", boost::json::serialize(p.value));
  }
  const stream_stats& ws = whole.stats;
  const stream_stats& ps = pruned.stats;
  // After a fatal error the reading stops with the chunk that holds it: the bytes read then depend
  // on the buffer's size, which the two readings do not share.
  if ((ws.fatal.empty() && ps.bytes != ws.bytes) || ps.items != ws.items || ps.unreadable != ws.unreadable ||
      ps.lists != ws.lists)
    broken("the statistics differ", "bytes " + std::to_string(ws.bytes) + "/" + std::to_string(ps.bytes) + " items " +
                                        std::to_string(ws.items) + "/" + std::to_string(ps.items) + " unreadable " +
                                        std::to_string(ws.unreadable) + "/" + std::to_string(ps.unreadable) +
                                        " lists " + std::to_string(ws.lists) + "/" + std::to_string(ps.lists));
  if (ps.fatal != ws.fatal) broken("the fatal errors differ", ws.fatal + " | " + ps.fatal);
  if (pruned.report != whole.report) broken("the reports differ");
  if (report_reusing_memory(input, chunk) != whole.report) broken("the reports differ when item memory is reused");
  return 0;
}
