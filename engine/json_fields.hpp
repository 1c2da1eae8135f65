#pragma once
// Lenient reads of one member of a JSON object, for code that has to go on when a field is
// absent or of another type (log lines, audit items, test suites, labels for messages). Code that
// must report a wrong type checks the member itself.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

namespace peergate {

// o[key] as an object; nullptr when `o` is null, or the member is absent or not an object.
inline const boost::json::object* object_field(const boost::json::object* o, std::string_view key) {
  if (o == nullptr) return nullptr;
  const boost::json::value* v = o->if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}
inline const boost::json::object* object_field(const boost::json::object& o, std::string_view key) {
  return object_field(&o, key);
}

// o[key] as a string; "" when `o` is null, or the member is absent or not a string. The view
// points into `o`: valid while it lives unchanged.
inline std::string_view string_view_field(const boost::json::object* o, std::string_view key) {
  if (o == nullptr) return {};
  const boost::json::value* v = o->if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}
// The same, copied.
inline std::string string_field(const boost::json::object* o, std::string_view key) {
  return std::string(string_view_field(o, key));
}
inline std::string string_field(const boost::json::object& o, std::string_view key) { return string_field(&o, key); }

}  // namespace peergate
