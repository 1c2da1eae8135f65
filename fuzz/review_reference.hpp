#pragma once
// What the review parser (webhook/review_parser.hpp) must produce, computed the slow way from
// boost::json::parse's document: shared by the review decoder's fuzz target and the review
// parser's tests (here rather than in tests/support: the container build copies fuzz/, not tests/).

#include <boost/json.hpp>
#include <string_view>
#include <utility>

namespace peergate::testing {

// `o` without `key`, the other members in their order (object::erase moves the last member
// into the hole, which would make the texts differ).
inline void erase_keeping_order(boost::json::object& o, std::string_view key) {
  if (!o.contains(key)) return;
  boost::json::object kept(o.storage());
  for (const auto& member : o)
    if (member.key() != key) kept.emplace(member.key(), member.value());
  o = std::move(kept);
}

// boost::json::parse's document with the members the review parser leaves out removed:
// request.object.metadata.managedFields and request.oldObject.metadata.managedFields.
inline boost::json::value without_managed_fields(boost::json::value document) {
  boost::json::object* top = document.if_object();
  boost::json::value* request = top ? top->if_contains("request") : nullptr;
  if (!request || !request->is_object()) return document;
  for (const char* key : {"object", "oldObject"}) {
    boost::json::value* object = request->get_object().if_contains(key);
    boost::json::value* metadata =
        object && object->is_object() ? object->get_object().if_contains("metadata") : nullptr;
    if (metadata && metadata->is_object()) erase_keeping_order(metadata->get_object(), "managedFields");
  }
  return document;
}

}  // namespace peergate::testing
