#pragma once
// Reads Kubernetes objects from a stream one at a time, so that memory stays flat however large
// the input: `kubectl get ... -A -o json` of a big cluster is gigabytes.
//
// The format is recognised from the first character:
//   '{' or '['  JSON: one value (a List whose "items" are read one by one, a JSON array whose
//               elements are, or a single object), or several values one after another
//               (JSON lines). Item boundaries are found by tracking brackets and strings over a
//               fixed-size buffer; each item is then parsed on its own, so an item with a
//               syntax error is reported with its position and the rest is read. An item is
//               built only as far as `item_shape` keeps it (engine/json_pruned_parse.hpp), while
//               every byte of it is still checked, so an item is readable or not, with the same
//               error, whatever the shape.
//   otherwise   YAML, document by document ("---"); a document that is a List (or a sequence)
//               gives its items. A YAML document is read whole: manifests are small, and a
//               large cluster dump should be asked for in JSON.

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>

#include "audit/item_shape.hpp"

namespace peergate::audit {

struct input_item {
  std::uint64_t line = 0;    // 1-based line where the item starts
  std::string where;         // "items[3]", "document 2", "document 2 items[0]", "[4]" or ""
  boost::json::value value;  // the item; null when it could not be read
  std::string error;         // why it could not be read ("" when it could)
};

using item_sink = std::function<void(input_item&&)>;

struct stream_options {
  std::size_t chunk_bytes = 1 << 20;      // read buffer; also the unit of memory per read
  std::size_t max_item_bytes = 64 << 20;  // a larger item is reported unreadable (and skipped)
  // What of a JSON item is built: by default what the audit reads (audit/item_shape.hpp); nullptr
  // builds every item whole, the reference the pruned reports are tested against. YAML items are
  // always whole: they come from manifests, which are small.
  const json_shape* item_shape = &audit_item_shape();
  // Build each JSON item's value in one block of memory that the next item reuses: no allocation
  // or freeing per item. The sink must then be done with an item's value when it returns (the
  // object auditor is: it keeps what it needs as strings); neither the value nor a copy sharing
  // its storage may outlive the call. Off by default.
  bool reuse_item_memory = false;
};

struct stream_stats {
  std::uint64_t bytes = 0;
  std::uint64_t items = 0;       // items given to the sink, readable or not
  std::uint64_t unreadable = 0;  // of which had an error
  std::uint64_t lists = 0;       // Lists (or arrays, sequences) seen: an empty List is not an empty input
  // The input as a whole cannot be read (truncated, brackets that do not match, nothing but
  // unreadable items): why, with a line. Items already given to the sink stay given.
  std::string fatal;
  bool empty() const { return items == 0 && lists == 0 && fatal.empty(); }
};

stream_stats read_objects(std::istream& in, const item_sink& sink, const stream_options& options = {});

}  // namespace peergate::audit
