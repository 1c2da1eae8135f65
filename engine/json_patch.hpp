#pragma once
// RFC 6902 JSON Patch: producing the minimal patch between two documents, and applying one.
// Pointers follow RFC 6901 (`~` -> `~0`, `/` -> `~1`).

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <memory_resource>
#include <string>
#include <string_view>

namespace peergate::json_patch {

// Escapes one reference token: "kata.peerpods.io/vm" -> "kata.peerpods.io~1vm".
std::string escape_token(std::string_view token);

// Appends "/" and the escaped token to `pointer`: a pointer built in a reused buffer needs no
// temporary string per token. A std::pmr::string so that the mutation can keep its buffer on the
// stack.
void append_token(std::pmr::string& pointer, std::string_view token);

// Appends "/" and an array index: "/spec/containers" -> "/spec/containers/2".
void append_index(std::pmr::string& pointer, std::size_t index);

// Appends {"op": op, "path": path, "value": *value} (no "value" when it is nullptr) to `ops`,
// built in the storage of `ops`: the mutation builds its patch in the review's arena, and a
// value moved into an array of another storage would be copied.
void append_operation(boost::json::array& ops, std::string_view op, std::string_view path,
                      const boost::json::value* value = nullptr);

// Operations that turn `from` into `to`. Objects are compared key by key and recursed into, so
// only what changed is touched; arrays of equal length are compared element by element, others
// are replaced whole. Equal documents give an empty array.
boost::json::array diff(const boost::json::value& from, const boost::json::value& to);

// The same for two values that sit at pointer `path` in their documents; the operations are
// appended to `ops`. `path` is extended while children are visited and is as it was on return:
// the caller's buffer is reused, not copied.
void diff_at(const boost::json::value& from, const boost::json::value& to, std::pmr::string& path,
             boost::json::array& ops);

// Applies `ops` (add, remove, replace, move, copy, test) to `doc` in order. On failure returns
// false, sets *error ("op 2 (remove /spec/x): path does not exist") and leaves `doc` in an
// unspecified but valid state.
bool apply(boost::json::value& doc, const boost::json::array& ops, std::string* error);

// The value at an RFC 6901 pointer ("" is the whole document), or nullptr.
const boost::json::value* find(const boost::json::value& doc, std::string_view pointer);

}  // namespace peergate::json_patch
