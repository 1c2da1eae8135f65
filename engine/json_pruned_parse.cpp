#include "engine/json_pruned_parse.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <array>
#include <string>

#include "engine/json_parse.hpp"

namespace peergate {

namespace {

namespace json = boost::json;

// Forwards the events of the kept values to a value_stack, as Boost.JSON's own parser does, and
// drops the events of the others. Members and elements are counted here: a container's size must
// count only what was kept.
class pruning_handler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  pruning_handler(const json_shape& root, json::storage_ptr temp, unsigned char* buffer, std::size_t size)
      : root_(root), stack_(std::move(temp), buffer, size) {}

  json::value_stack& stack() { return stack_; }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code& ec) {
    if (skip_ != skip_mode::none) return enter_skipped();
    return push_frame({next_shape(), 0, true}, ec);
  }
  bool on_object_end(std::size_t, json::error_code&) {
    if (skip_ != skip_mode::none && leave_skipped()) return true;
    const std::size_t members = frames_[--depth_kept_].size;
    stack_.push_object(members);
    return value_done();
  }
  bool on_array_begin(json::error_code& ec) {
    if (skip_ != skip_mode::none) return enter_skipped();
    const json_shape* shape = next_shape();
    if (!push_frame({shape, 0, false}, ec)) return false;
    // An array whose elements are left out is kept empty: its elements are skipped up to its end.
    if (element_shape(*shape) == nullptr) {
      skip_ = skip_mode::contents;
      depth_ = 0;
    }
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    if (skip_ != skip_mode::none && leave_skipped()) return true;
    const std::size_t elements = frames_[--depth_kept_].size;
    stack_.push_array(elements);
    return value_done();
  }

  // Whether a member is kept is known at the key's end, so a key that arrives in parts (escapes)
  // is collected here first.
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (skip_ == skip_mode::none) key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (skip_ != skip_mode::none) return true;
    std::string_view key(s.data(), s.size());
    if (!key_.empty()) {
      key_.append(s.data(), s.size());
      key = key_;
    }
    pending_ = member_shape(*frames_[depth_kept_ - 1].shape, key);
    if (pending_ == nullptr) {
      skip_ = skip_mode::one_value;  // the value that follows, whole
      depth_ = 0;
    } else {
      stack_.push_key(json::string_view(key.data(), key.size()));
    }
    key_.clear();
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (skip_ == skip_mode::none) stack_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (skip_ != skip_mode::none) return scalar_skipped();
    stack_.push_string(s);
    return value_done();
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    if (skip_ != skip_mode::none) return scalar_skipped();
    stack_.push_int64(i);
    return value_done();
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    if (skip_ != skip_mode::none) return scalar_skipped();
    stack_.push_uint64(u);
    return value_done();
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    if (skip_ != skip_mode::none) return scalar_skipped();
    stack_.push_double(d);
    return value_done();
  }
  bool on_bool(bool b, json::error_code&) {
    if (skip_ != skip_mode::none) return scalar_skipped();
    stack_.push_bool(b);
    return value_done();
  }
  bool on_null(json::error_code&) {
    if (skip_ != skip_mode::none) return scalar_skipped();
    stack_.push_null();
    return value_done();
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct frame {
    const json_shape* shape;
    std::size_t size;  // members or elements kept so far
    bool is_object;
  };

  // What is being skipped: one member's value (left out by its key), or every element of the
  // array on top of `frames_` (its shape keeps none).
  enum class skip_mode : unsigned char { none, one_value, contents };

  // The shape of a container that begins where no skip is on.
  const json_shape* next_shape() const {
    if (depth_kept_ == 0) return &root_;
    const frame& parent = frames_[depth_kept_ - 1];
    return parent.is_object ? pending_ : element_shape(*parent.shape);
  }

  // The parser refuses a text nested deeper than max_json_depth before its container begins, so
  // the frames of the kept containers (at most one per level) always fit; the check is a guard.
  bool push_frame(const frame& f, json::error_code& ec) {
    if (depth_kept_ == frames_.size()) {
      ec = json::error::too_deep;
      return false;
    }
    frames_[depth_kept_++] = f;
    return true;
  }

  // A kept value is complete: one more member or element for the container around it.
  bool value_done() {
    if (depth_kept_ > 0) ++frames_[depth_kept_ - 1].size;
    return true;
  }

  bool enter_skipped() {
    ++depth_;
    return true;
  }
  // The end of a container while skipping: true when it was inside the skipped region. False
  // when it is the end of the array whose contents were skipped, which the caller then closes.
  bool leave_skipped() {
    if (depth_ == 0) {  // skip_ is contents: one_value's containers always open with depth_ 1
      skip_ = skip_mode::none;
      return false;
    }
    if (--depth_ == 0 && skip_ == skip_mode::one_value) skip_ = skip_mode::none;
    return true;
  }
  bool scalar_skipped() {
    if (skip_ == skip_mode::one_value && depth_ == 0) skip_ = skip_mode::none;
    return true;
  }

  const json_shape& root_;
  json::value_stack stack_;
  std::array<frame, max_json_depth + 1> frames_;  // on the stack: 12 KiB, no allocation per review
  std::size_t depth_kept_ = 0;                    // frames in use
  const json_shape* pending_ = nullptr;           // the shape of the member whose key was read last
  std::string key_;
  skip_mode skip_ = skip_mode::none;
  std::size_t depth_ = 0;  // containers opened inside the skipped region and not closed yet
};

}  // namespace

json::value parse_pruned(std::string_view text, const json_shape& shape, std::error_code& ec, json::storage_ptr storage,
                         json::storage_ptr temp) {
  std::size_t used = 0;
  json::value value = parse_pruned_prefix(text, shape, used, ec, std::move(storage), std::move(temp));
  if (!ec && used < text.size()) {  // more than one value, as boost::json::parse refuses it
    ec = json::error_code(json::error::extra_data);
    return nullptr;
  }
  return value;
}

json::value pruned_copy(const json::value& document, const json_shape& shape) {
  if (shape.whole) return document;
  if (const json::object* object = document.if_object()) {
    json::object kept;
    for (const auto& member : *object)
      if (const json_shape* child = member_shape(shape, member.key()))
        kept.emplace(member.key(), pruned_copy(member.value(), *child));
    return kept;
  }
  if (const json::array* array = document.if_array()) {
    json::array kept;
    if (const json_shape* element = element_shape(shape))
      for (const json::value& v : *array) kept.push_back(pruned_copy(v, *element));
    return kept;
  }
  return document;
}

json::value parse_pruned_prefix(std::string_view text, const json_shape& shape, std::size_t& used, std::error_code& ec,
                                json::storage_ptr storage, json::storage_ptr temp) {
  const json::parse_options options = kubernetes_parse_options();
  unsigned char first[BOOST_JSON_STACK_BUFFER_SIZE];
  json::basic_parser<pruning_handler> parser(options, shape, std::move(temp), first, sizeof first);
  parser.handler().stack().reset(std::move(storage));
  json::error_code jec;
  // Not more: a value cut by the end of `text` is an error, not a wait for more bytes. The parser
  // stops, without an error, where the value and the whitespace after it end.
  used = parser.write_some(false, text.data(), text.size(), jec);
  if (jec) {
    ec = jec;
    return nullptr;
  }
  ec = {};
  return parser.handler().stack().release();
}

}  // namespace peergate
