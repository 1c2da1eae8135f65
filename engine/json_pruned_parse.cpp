#include "engine/json_pruned_parse.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <array>
#include <optional>
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

  // For dom_reader, which hands over no event of a value left out: whether the value that
  // begins next is left out (whole, or as an element of an array whose elements are all left
  // out), whether the array just begun keeps no element, and, in place of the events of a value
  // left out, that it is over (as the event of one scalar would say).
  bool skipping_value() const { return skip_ != skip_mode::none; }
  bool skipping_contents() const { return skip_ == skip_mode::contents && depth_ == 0; }
  void value_skipped() { scalar_skipped(); }

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

// simdjson's DOM parser reads a text with SIMD instructions, checks all of it (the grammar, UTF-8,
// escapes, surrogate pairs) and leaves a tape on which an object or array is skipped in one step.
// Its verdict is used in one direction only: a text it accepts, within the limits below, is one
// Boost.JSON accepts too, and it holds the same strings, integers, booleans and nulls; anything it
// refuses, and anything outside the limits, is read by Boost.JSON's own tokenizer, which gives the
// verdict and the error. tests/webhook/differential_test.cpp and fuzz/review_differential_fuzz.cpp
// hold the two paths to the same answers.
//
// The limits, each a place where the two libraries differ or where memory would grow:
// - numbers with a fraction or an exponent (doubles): simdjson rounds them correctly and Boost.JSON
//   1.81 does not always (2.2250738585072011e-308), and Boost.JSON refuses an exponent beyond its
//   range (0e99999999999999999999) that simdjson reads as 0. Kubernetes writes quantities as
//   strings, so a pod with a double anywhere is rare; it is read by Boost.JSON.
// - nesting deeper than fast_max_depth (Boost.JSON's limit is max_json_depth, deeper);
// - texts longer than fast_max_text: the parser's buffers grow to the longest text it has read
//   (about 15 bytes per byte of text), so they are capped; a larger review is read by Boost.JSON
//   with the memory its budget allows.
constexpr std::size_t fast_max_text = 128 * 1024;
constexpr std::size_t fast_max_depth = 256;
static_assert(fast_max_depth < max_json_depth);

// One parser per thread, reused: its buffers are allocated once, not per text. The engine starts
// no threads; a caller's threads (the server's workers) each get their own.
simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p(fast_max_text);
    // The capacity of the first texts; the parser grows it up to fast_max_text when needed.
    if (p.allocate(16 * 1024, fast_max_depth) != simdjson::SUCCESS) p.set_max_capacity(0);
    return p;
  }();
  return parser;
}

// Whether the document on the parser's tape holds a double (see above). The tape is simdjson's
// internal layout: one 64-bit word per value, its type in the top byte (a number's value in the
// word after it, where a byte like a double's type makes the answer a cautious yes). It runs over
// every review, so the top bytes are compared two words at a time.
bool tape_has_double(const simdjson::dom::document& document) {
  const std::uint64_t* tape = document.tape.get();
  const std::uint64_t words = tape[0] & simdjson::internal::JSON_VALUE_MASK;  // the root word says where it ends
  std::uint64_t i = 1;
#if defined(__SSE2__)
  const __m128i double_type = _mm_set1_epi8('d');
  constexpr int type_bytes = (1 << 7) | (1 << 15);  // the top byte of each of the two words
  for (; i + 2 <= words; i += 2) {
    const __m128i pair = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tape + i));
    if ((_mm_movemask_epi8(_mm_cmpeq_epi8(pair, double_type)) & type_bytes) != 0) return true;
  }
#endif
  for (; i < words; ++i)
    if ((tape[i] >> 56) == 'd') return true;
  return false;
}

static_assert(in_place_padding >= simdjson::SIMDJSON_PADDING);

// How parse_pruned_text reads a text: a whole text (with simdjson if it can, from a padded copy
// or where it is), or the value that begins it (Boost.JSON's tokenizer).
enum class text_kind { whole, whole_padded, prefix };

// The parsed text, if simdjson accepted it within the limits above. `padded`: in_place_padding
// readable bytes follow the text, so simdjson reads it without copying it first.
std::optional<simdjson::dom::element> parse_with_simdjson(std::string_view text, bool padded = false) {
  if (text.size() > fast_max_text) return std::nullopt;
  simdjson::dom::parser& parser = thread_parser();
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size(), !padded).get(root) != simdjson::SUCCESS) return std::nullopt;
  if (tape_has_double(parser.doc)) return std::nullopt;
  return root;
}

// Walks a document simdjson accepted and hands pruning_handler the events Boost.JSON's
// basic_parser would hand it, except for values left out: they are passed over whole.
class dom_reader {
 public:
  explicit dom_reader(pruning_handler& handler) : handler_(handler) {}

  bool value(simdjson::dom::element element, json::error_code& ec) {
    if (handler_.skipping_value()) {
      handler_.value_skipped();
      return true;
    }
    switch (element.type()) {
      case simdjson::dom::element_type::OBJECT: {
        if (!handler_.on_object_begin(ec)) return false;
        const simdjson::dom::object members = element.get_object().value_unsafe();
        for (const simdjson::dom::key_value_pair member : members) {
          if (!handler_.on_key(view(member.key), 0, ec) || !value(member.value, ec)) return false;
        }
        return handler_.on_object_end(0, ec);
      }
      case simdjson::dom::element_type::ARRAY: {
        if (!handler_.on_array_begin(ec)) return false;
        if (!handler_.skipping_contents()) {  // else no element is kept: the array ends at once
          const simdjson::dom::array items = element.get_array().value_unsafe();
          for (const simdjson::dom::element item : items)
            if (!value(item, ec)) return false;
        }
        return handler_.on_array_end(0, ec);
      }
      case simdjson::dom::element_type::STRING:
        return handler_.on_string(view(element.get_string().value_unsafe()), 0, ec);
      case simdjson::dom::element_type::INT64: return handler_.on_int64(element.get_int64().value_unsafe(), {}, ec);
      case simdjson::dom::element_type::UINT64: return handler_.on_uint64(element.get_uint64().value_unsafe(), {}, ec);
      case simdjson::dom::element_type::BOOL: return handler_.on_bool(element.get_bool().value_unsafe(), ec);
      case simdjson::dom::element_type::NULL_VALUE: return handler_.on_null(ec);
      case simdjson::dom::element_type::DOUBLE:  // never: parse_with_simdjson leaves doubles to Boost.JSON
        break;
    }
    ec = json::error::syntax;
    return false;
  }

 private:
  static json::string_view view(std::string_view s) { return {s.data(), s.size()}; }

  pruning_handler& handler_;
};

json::value parse_pruned_text(std::string_view text, text_kind kind, const json_shape& shape, std::size_t& used,
                              std::error_code& ec, json::storage_ptr storage, json::storage_ptr temp) {
  const bool whole_text = kind != text_kind::prefix;
  const json::parse_options options = kubernetes_parse_options();
  unsigned char first[BOOST_JSON_STACK_BUFFER_SIZE];
  json::basic_parser<pruning_handler> parser(options, shape, std::move(temp), first, sizeof first);
  pruning_handler& handler = parser.handler();
  handler.stack().reset(std::move(storage));
  json::error_code jec;

  // simdjson reads whole texts only: a stream's items (parse_pruned_prefix) go to Boost.JSON.
  const std::optional<simdjson::dom::element> root =
      whole_text ? parse_with_simdjson(text, kind == text_kind::whole_padded) : std::optional<simdjson::dom::element>();
  if (root) {
    used = text.size();
    dom_reader(handler).value(*root, jec);  // false only with jec set, as basic_parser's handler
  } else {
    // Boost.JSON's own tokenizer: the verdict and the error of anything simdjson did not accept.
    // Not more: a value cut by the end of `text` is an error, not a wait for more bytes. The
    // parser stops, without an error, where the value and the whitespace after it end.
    used = parser.write_some(false, text.data(), text.size(), jec);
    if (!jec && whole_text && used < text.size()) jec = json::error::extra_data;  // as boost::json::parse
  }
  if (jec) {
    ec = jec;
    return nullptr;
  }
  ec = {};
  return handler.stack().release();
}

}  // namespace

json::value parse_pruned(std::string_view text, const json_shape& shape, std::error_code& ec, json::storage_ptr storage,
                         json::storage_ptr temp) {
  std::size_t used = 0;
  return parse_pruned_text(text, text_kind::whole, shape, used, ec, std::move(storage), std::move(temp));
}

json::value parse_pruned_in_place(std::string_view text, const json_shape& shape, std::error_code& ec,
                                  json::storage_ptr storage, json::storage_ptr temp) {
  std::size_t used = 0;
  return parse_pruned_text(text, text_kind::whole_padded, shape, used, ec, std::move(storage), std::move(temp));
}

bool parse_pruned_reads_with_simdjson(std::string_view text) { return parse_with_simdjson(text).has_value(); }

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
  return parse_pruned_text(text, text_kind::prefix, shape, used, ec, std::move(storage), std::move(temp));
}

}  // namespace peergate
