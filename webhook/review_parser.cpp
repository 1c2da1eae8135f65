#include "webhook/review_parser.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <string>
#include <vector>

#include "engine/json_parse.hpp"

namespace peergate::webhook {

namespace {

namespace json = boost::json;

// Where an open object sits, as far as the skip cares: only one path leads to a skipped key.
enum class place : unsigned char { elsewhere, root, request, object, metadata };

// Forwards every event to a value_stack, as Boost.JSON's own parser does, except the events of
// the skipped members. Members are counted here, since a container's size must not count them.
class skipping_handler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  skipping_handler(json::storage_ptr temp, unsigned char* buffer, std::size_t size)
      : stack_(std::move(temp), buffer, size) {}

  json::value_stack& stack() { return stack_; }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code&) {
    if (skipping_) return enter_skipped();
    const place where = frames_.empty() ? place::root : frames_.back().child;
    frames_.push_back({where, place::elsewhere, 0, true});
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    if (skipping_) return leave_skipped();
    const std::size_t members = frames_.back().size;
    frames_.pop_back();
    stack_.push_object(members);
    return value_done();
  }
  bool on_array_begin(json::error_code&) {
    if (skipping_) return enter_skipped();
    frames_.push_back({place::elsewhere, place::elsewhere, 0, false});
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    if (skipping_) return leave_skipped();
    const std::size_t elements = frames_.back().size;
    frames_.pop_back();
    stack_.push_array(elements);
    return value_done();
  }

  // Whether a member is kept is known only at the key's end, so a key that arrives in parts
  // (escapes) is collected here before it reaches the stack.
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (!skipping_) key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (skipping_) return true;
    std::string_view key(s.data(), s.size());
    if (!key_.empty()) {
      key_.append(s.data(), s.size());
      key = key_;
    }
    frame& f = frames_.back();
    if (f.where == place::metadata && key == "managedFields") {
      skipping_ = true;  // the value that follows, whole
      skip_depth_ = 0;
    } else {
      stack_.push_key(json::string_view(key.data(), key.size()));
      f.child = f.where == place::elsewhere ? place::elsewhere : child_place(f.where, key);
    }
    key_.clear();
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (!skipping_) stack_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (skipping_) return scalar_skipped();
    stack_.push_string(s);
    return value_done();
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    if (skipping_) return scalar_skipped();
    stack_.push_int64(i);
    return value_done();
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    if (skipping_) return scalar_skipped();
    stack_.push_uint64(u);
    return value_done();
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    if (skipping_) return scalar_skipped();
    stack_.push_double(d);
    return value_done();
  }
  bool on_bool(bool b, json::error_code&) {
    if (skipping_) return scalar_skipped();
    stack_.push_bool(b);
    return value_done();
  }
  bool on_null(json::error_code&) {
    if (skipping_) return scalar_skipped();
    stack_.push_null();
    return value_done();
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct frame {
    place where;
    place child;       // objects: the place of an object that is the value of the last key
    std::size_t size;  // members or elements kept so far
    bool is_object;
  };

  // The place of an object under `key` in an object at `parent`.
  static place child_place(place parent, std::string_view key) {
    switch (parent) {
      case place::root: return key == "request" ? place::request : place::elsewhere;
      case place::request: return key == "object" || key == "oldObject" ? place::object : place::elsewhere;
      case place::object: return key == "metadata" ? place::metadata : place::elsewhere;
      default: return place::elsewhere;
    }
  }

  // A kept value is complete: one more member or element for the container around it.
  bool value_done() {
    if (!frames_.empty()) ++frames_.back().size;
    return true;
  }

  bool enter_skipped() {
    ++skip_depth_;
    return true;
  }
  bool leave_skipped() {
    if (--skip_depth_ == 0) skipping_ = false;
    return true;
  }
  bool scalar_skipped() {
    if (skip_depth_ == 0) skipping_ = false;
    return true;
  }

  json::value_stack stack_;
  std::vector<frame> frames_;
  std::string key_;
  bool skipping_ = false;
  std::size_t skip_depth_ = 0;
};

}  // namespace

json::value parse_review_body(std::string_view body, std::error_code& ec, json::storage_ptr storage,
                              json::storage_ptr temp) {
  const json::parse_options options = kubernetes_parse_options();
  unsigned char first[BOOST_JSON_STACK_BUFFER_SIZE];
  json::basic_parser<skipping_handler> parser(options, std::move(temp), first, sizeof first);
  parser.handler().stack().reset(std::move(storage));
  json::error_code jec;
  const std::size_t used = parser.write_some(false, body.data(), body.size(), jec);
  if (!jec && used < body.size()) jec = json::error::extra_data;
  if (jec) {
    ec = jec;
    return nullptr;
  }
  ec = {};
  return parser.handler().stack().release();
}

}  // namespace peergate::webhook
