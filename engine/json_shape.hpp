#pragma once
// The parts of a JSON document that a reader uses, so that a parser can build those and skip the
// rest (engine/json_pruned_parse.hpp): a review's 9 KB pod is read for a few hundred bytes, and an
// 8 MB array under its spec need cost nothing but the scan.
//
// A shape says, for the value at one place, what of it is kept:
//  - whole: the value as it is, everything under it;
//  - an object: the members named in `members`, each in its own shape; the others are left out;
//  - an array: every element in the shape `elements`, or no element when it is nullptr.
// A value of another type than its shape describes is kept as its type only (an empty object or
// array, or the scalar itself): the readers report a wrong type by its name, never by its content.

#include <span>
#include <string_view>

namespace peergate {

struct json_shape {
  struct member;
  bool whole = false;
  std::span<const member> members;       // objects: the members kept
  const json_shape* elements = nullptr;  // arrays: the shape of each element; nullptr keeps none
};

struct json_shape::member {
  std::string_view key;
  const json_shape* shape;
};

// Everything under a value.
inline constexpr json_shape whole_json_value{true, {}, nullptr};

// The shape of `key` in an object of shape `shape`, or nullptr when the member is left out.
inline const json_shape* member_shape(const json_shape& shape, std::string_view key) {
  if (shape.whole) return &whole_json_value;
  // Called for every member of every object read: the first byte tells most keys apart before
  // a comparison of the whole key (a call to memcmp) is needed.
  for (const json_shape::member& m : shape.members)
    if (m.key.size() == key.size() && (key.empty() || m.key[0] == key[0]) && m.key == key) return m.shape;
  return nullptr;
}

// The shape of each element of an array of shape `shape`, or nullptr when none is kept.
inline const json_shape* element_shape(const json_shape& shape) {
  return shape.whole ? &whole_json_value : shape.elements;
}

}  // namespace peergate
