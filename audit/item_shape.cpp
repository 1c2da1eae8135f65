#include "audit/item_shape.hpp"

#include <deque>
#include <vector>

#include "engine/object_shape.hpp"

namespace peergate::audit {

namespace {

using member = json_shape::member;

// What evaluate_object() reads itself (audit/evaluate.cpp): the row's identity and its owner.
const member owner_reference_members[] = {{"kind", &whole_json_value},
                                          {"name", &whole_json_value},
                                          {"uid", &whole_json_value},
                                          {"controller", &whole_json_value}};
const json_shape owner_reference_shape{false, owner_reference_members, nullptr};
const json_shape owner_references_shape{false, {}, &owner_reference_shape};
const member metadata_members[] = {{"name", &whole_json_value},
                                   {"generateName", &whole_json_value},
                                   {"namespace", &whole_json_value},
                                   {"uid", &whole_json_value},
                                   {"ownerReferences", &owner_references_shape}};
const json_shape metadata_shape{false, metadata_members, nullptr};
const member audit_members[] = {
    {"apiVersion", &whole_json_value}, {"kind", &whole_json_value}, {"metadata", &metadata_shape}};
const json_shape audit_own_shape{false, audit_members, nullptr};

// The nodes union_of makes, at stable addresses (a shape points into them).
struct shape_store {
  std::deque<json_shape> shapes;
  std::deque<std::vector<member>> member_lists;
};

// Everything `a` or `b` keeps. Recurses only into the members both keep, so a cyclic shape (a pod
// spec inside a template inside a spec) may be united with one that does not follow the same cycle.
const json_shape& union_of(shape_store& s, const json_shape& a, const json_shape& b) {
  if (a.whole) return a;
  if (b.whole) return b;
  std::vector<member>& members = s.member_lists.emplace_back();
  for (const member& m : a.members) {
    const json_shape* in_b = nullptr;
    for (const member& n : b.members)
      if (n.key == m.key) in_b = n.shape;
    members.push_back({m.key, in_b ? &union_of(s, *m.shape, *in_b) : m.shape});
  }
  for (const member& n : b.members) {
    bool in_a = false;
    for (const member& m : a.members) in_a = in_a || m.key == n.key;
    if (!in_a) members.push_back(n);
  }
  const json_shape* elements = a.elements == nullptr   ? b.elements
                               : b.elements == nullptr ? a.elements
                                                       : &union_of(s, *a.elements, *b.elements);
  return s.shapes.emplace_back(json_shape{false, members, elements});
}

}  // namespace

const json_shape& audit_item_shape() {
  // Built once, on first use (a function-local static: thread-safe), and kept for the process.
  static shape_store store;
  static const json_shape& shape = union_of(store, evaluated_object_shape(), audit_own_shape);
  return shape;
}

}  // namespace peergate::audit
