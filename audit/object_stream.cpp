#include "audit/object_stream.hpp"

#include <yaml-cpp/yaml.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "audit/object_end.hpp"
#include "engine/json_parse.hpp"
#include "engine/json_pruned_parse.hpp"
#include "engine/yaml_json.hpp"

namespace peergate::audit {

namespace json = boost::json;

namespace {

constexpr std::size_t max_nesting = 10000;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Moves `from` into `to` keeping `from`'s storage (an item's arena): Boost.JSON's move assignment
// copies into `to`'s storage when the two differ; its move constructor never does.
void move_keeping_storage(json::value& to, json::value&& from) {
  std::destroy_at(&to);
  std::construct_at(&to, std::move(from));
}

// The newlines in [begin, end), 16 bytes at a time: kubectl's indented output has one every 30
// bytes or so, and an item read at once is counted whole.
std::uint64_t count_newlines(const char* begin, const char* end) {
  std::uint64_t count = 0;
#if defined(__SSE2__)
  const __m128i newline = _mm_set1_epi8('\n');
  while (end - begin >= 16) {
    // Each byte of `sums` counts up to 255 blocks; _mm_sad_epu8 then adds its bytes up.
    __m128i sums = _mm_setzero_si128();
    for (int blocks = 0; blocks < 255 && end - begin >= 16; ++blocks, begin += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(begin));
      sums = _mm_sub_epi8(sums, _mm_cmpeq_epi8(v, newline));
    }
    const __m128i halves = _mm_sad_epu8(sums, _mm_setzero_si128());
    count += static_cast<std::uint64_t>(_mm_cvtsi128_si64(halves)) +
             static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(halves, halves)));
  }
#endif
  for (; begin != end; ++begin) count += *begin == '\n';
  return count;
}

// The bytes of p[0, 64) that the splitter looks at inside a captured value, as a bit mask (bit k:
// p[k]): quotes, backslashes, brackets and newlines.
std::uint64_t interesting_bytes(const char* p) {
  std::uint64_t mask = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), newline = _mm_set1_epi8('\n');
  const __m128i open_brace = _mm_set1_epi8('{'), close_brace = _mm_set1_epi8('}'), lower = _mm_set1_epi8(0x20);
  for (int part = 0; part < 4; ++part) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * part));
    // '[' and ']' are '{' and '}' without the 0x20 bit.
    const __m128i folded = _mm_or_si128(v, lower);
    const __m128i found = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(folded, open_brace), _mm_cmpeq_epi8(folded, close_brace)),
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), _mm_cmpeq_epi8(v, newline)));
    mask |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(found))) << (16 * part);
  }
#else
  for (int k = 0; k < 64; ++k) {
    const char c = p[k];
    if (c == '"' || c == '\\' || c == '{' || c == '}' || c == '[' || c == ']' || c == '\n')
      mask |= std::uint64_t{1} << k;
  }
#endif
  return mask;
}

// Splits a JSON text into items without parsing it: tracks strings, escapes and brackets, and
// notices the "items" array of a top-level object (kubectl's List prints it before "kind").
// Each item's bytes are collected and parsed alone.
class json_splitter {
 public:
  json_splitter(const item_sink& sink, const stream_options& options, stream_stats& stats, std::uint64_t first_line)
      : sink_(sink), options_(options), stats_(stats), parser_({}, kubernetes_parse_options()), line_(first_line) {
    if (options_.reuse_item_memory) {
      arena_block_ = std::make_unique<unsigned char[]>(arena_block_size);
      arena_.emplace(arena_block_.get(), arena_block_size);
    }
  }

  // False once the input is known to be broken as a whole (stats_.fatal says why). `data` is
  // followed by at least in_place_padding readable bytes.
  bool feed(const char* data, std::size_t size) {
    chunk_ = data;
    cap_start_ = 0;
    std::size_t i = 0;
    while (i < size) {
      if (options_.item_shape != nullptr && inside_captured_container()) {
        i = scan_inside(data, size, i);
        if (i >= size) break;
      }
      if (in_string_) {
        i = scan_string(data, size, i);
        continue;
      }
      const char c = data[i];
      if (scalar_) {  // a number or literal ends at the first delimiter, which is then read as usual
        if (is_space(c) || c == ',' || c == ']' || c == '}' || c == '{' || c == '[' || c == '"' || c == ':') {
          end_unit(i);
        } else {
          ++i;
          continue;
        }
      }
      if (c == '\n') {
        ++line_;
        ++i;
        continue;
      }
      if (is_space(c)) {
        ++i;
        continue;
      }
      if (items_value_pending_) {
        items_value_pending_ = false;
        if (c == '[' && stack_.size() == 1 && capture_ == capture::top) begin_list();
      }
      switch (c) {
        case '"':
          begin_value(i, value_start::string);
          in_string_ = true;
          collecting_key_ = stack_.size() == 1 && stack_[0] == '{' && expect_key_;
          if (collecting_key_) key_.clear();
          break;
        case '{':
        case '[':
          if (c == '{' && starts_item()) {
            if (const std::size_t end = read_item_at_once(data, size, i)) {
              i = end;
              continue;
            }
          }
          begin_value(i, value_start::bracket);
          if (stack_.size() >= max_nesting)
            return fail("line " + std::to_string(line_) + ": nesting deeper than " + std::to_string(max_nesting) +
                        " levels");
          stack_.push_back(c);
          if (stack_.size() == 1) expect_key_ = c == '{';
          break;
        case '}':
        case ']': {
          const char open = c == '}' ? '{' : '[';
          if (stack_.empty() || stack_.back() != open)
            return fail("line " + std::to_string(line_) + ": unexpected '" + std::string(1, c) + "'" +
                        (stack_.empty()
                             ? std::string(" outside any object or array")
                             : " where a '" + std::string(1, stack_.back() == '{' ? '}' : ']') + "' was expected"));
          stack_.pop_back();
          const std::size_t depth = stack_.size();
          if (capture_ != capture::none && !string_unit_ && depth == capture_depth_) end_unit(i + 1);
          if (depth == 1 && c == ']' && items_depth_ == 2) items_depth_ = 0;  // the List's items are done
          if (depth == 0) items_depth_ = 0;
          break;
        }
        case ',':
          if (stack_.size() == 1 && stack_[0] == '{') expect_key_ = true;
          break;
        case ':':
          if (stack_.size() == 1 && stack_[0] == '{') {
            expect_key_ = false;
            items_value_pending_ = last_key_ == "items";
          }
          break;
        default: begin_value(i, value_start::scalar); break;
      }
      ++i;
    }
    if (capture_ != capture::none) append(data + cap_start_, size - cap_start_);
    return true;
  }

  bool finish() {
    if (!stats_.fatal.empty()) return false;
    if (scalar_) end_unit_at_eof();
    if (in_string_ || !stack_.empty())
      return fail("the JSON input ends inside " +
                  std::string(in_string_             ? "a string"
                              : stack_.back() == '{' ? "an object"
                                                     : "an array") +
                  (capture_ == capture::item
                       ? " (item " + where_of_item() + ", from line " + std::to_string(unit_line_) + ")"
                       : std::string()) +
                  ": truncated?");
    return true;
  }

 private:
  enum class capture { none, top, item };
  enum class value_start { string, bracket, scalar };

  // An object that is an item (of a List, or of a top-level array) begins here.
  bool starts_item() const {
    return options_.item_shape != nullptr && capture_ == capture::none && items_depth_ != 0 &&
           stack_.size() == items_depth_;
  }

  // Reads the item that begins at data[i] without splitting it byte by byte, when it ends in this
  // chunk and is valid: returns where the splitter goes on (after its closing brace), having
  // emitted it. Returns 0 otherwise (an item cut by the chunk's end, an invalid or oversized one),
  // and the splitter reads it as usual, so such an item gets what it always got. A valid object
  // ends at the brace that matches its first one, which is where the splitter would end it; it
  // holds no newline inside a string (JSON forbids control characters there), so its lines are
  // its newlines.
  //
  // First, find_object_end() delimits the item and parse_pruned_in_place() reads it (simdjson,
  // straight from the read buffer, when within its limits). What that does not accept (a broken
  // item, or a place that is not its end) is read again by Boost.JSON's tokenizer from data[i],
  // which stops where the value ends: the verdict and the error are the tokenizer's.
  std::size_t read_item_at_once(const char* data, std::size_t size, std::size_t i) {
    std::error_code ec;
    std::uint64_t newlines = 0;
    const std::optional<std::size_t> object_end = find_object_end(data, size, i, newlines);
    if (object_end && *object_end - i <= options_.max_item_bytes) {
      json::value value =
          parse_pruned_in_place(std::string_view(data + i, *object_end - i), *options_.item_shape, ec, item_storage());
      if (!ec) {
        const std::size_t end = *object_end;
        start_capture(capture::item, i, value_start::bracket);
        line_ += newlines;
        cap_start_ = end;
        emit(&value);
        return end;
      }
    }
    std::size_t used = 0;
    json::value value =
        parse_pruned_prefix(std::string_view(data + i, size - i), *options_.item_shape, used, ec, item_storage());
    if (ec) return 0;
    std::size_t end = i + used;  // after the whitespace that follows the object
    while (end > i && is_space(data[end - 1])) --end;
    if (end - i > options_.max_item_bytes) return 0;
    start_capture(capture::item, i, value_start::bracket);
    line_ += count_newlines(data + i, data + end);
    cap_start_ = end;
    emit(&value);
    return end;
  }

  // Deep inside a captured value (below the top level, where keys are tracked, and below the
  // captured value's own brackets, whose closing ends it), a byte matters only as a quote, a
  // backslash in a string, a bracket or a newline outside strings: scan_inside() looks for those
  // 64 bytes at a time. Most of kubectl's output is there (managedFields, status, indentation).
  bool inside_captured_container() const {
    return capture_ != capture::none && !scalar_ && !string_unit_ && !escape_ && !collecting_key_ &&
           stack_.size() >= 2 && stack_.size() > capture_depth_;
  }

  // What feed()'s byte-by-byte loop would do from data[i], for as long as inside_captured_container()
  // holds and nothing unusual happens; returns where that loop must go on: at a bracket that
  // closes down to the captured value's level (or to the top level), at an error (a bracket that
  // does not match, too deep), or in the last bytes of the chunk.
  std::size_t scan_inside(const char* data, std::size_t size, std::size_t i) {
    while (i + 64 <= size) {
      std::uint64_t events = interesting_bytes(data + i);
      while (events != 0) {
        const unsigned bit = static_cast<unsigned>(std::countr_zero(events));
        events &= events - 1;
        const std::size_t at = i + bit;
        const char c = data[at];
        if (in_string_) {
          if (c == '"') {
            in_string_ = false;  // neither a top-level key nor a string unit here: nothing else to do
          } else if (c == '\\') {
            if (bit == 63) return at;  // the escaped byte is in the next block: one byte at a time
            events &= ~(std::uint64_t{1} << (bit + 1));
          }
          continue;
        }
        switch (c) {
          case '"': in_string_ = true; break;
          case '\n': ++line_; break;
          case '{':
          case '[':
            if (stack_.size() >= max_nesting) return at;
            stack_.push_back(c);
            break;
          case '}':
          case ']':
            if (stack_.back() != (c == '}' ? '{' : '[') || stack_.size() - 1 <= capture_depth_ || stack_.size() <= 2)
              return at;
            stack_.pop_back();
            break;
          default: break;  // a backslash outside a string: the item's parser refuses it
        }
      }
      i += 64;
    }
    return i;
  }

  // Inside a string: skips to the closing quote (memchr, the hot path) or handles an escape.
  std::size_t scan_string(const char* data, std::size_t size, std::size_t i) {
    if (escape_) {
      escape_ = false;
      if (collecting_key_ && key_.size() < 16) key_ += data[i];
      return i + 1;
    }
    if (collecting_key_) {  // top-level keys are few and short: char by char
      const char c = data[i];
      if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        close_string(i);
      } else if (key_.size() < 16) {
        key_ += c;
      }
      return i + 1;
    }
    const char* begin = data + i;
    const char* end = data + size;
    const char* quote = static_cast<const char*>(std::memchr(begin, '"', end - begin));
    const char* limit = quote ? quote : end;
    const char* backslash = static_cast<const char*>(std::memchr(begin, '\\', limit - begin));
    if (backslash) {
      escape_ = true;
      return (backslash - data) + 1;
    }
    if (!quote) return size;
    close_string(quote - data);
    return (quote - data) + 1;
  }

  void close_string(std::size_t i) {
    in_string_ = false;
    if (collecting_key_) {
      collecting_key_ = false;
      last_key_ = key_;
    }
    if (string_unit_ && stack_.size() == capture_depth_) end_unit(i + 1);
  }

  void begin_value(std::size_t i, value_start start) {
    if (capture_ != capture::none) return;
    const std::size_t depth = stack_.size();
    if (depth == 0) {
      if (start == value_start::bracket && chunk_[i] == '[') {  // a JSON array of objects
        items_depth_ = 1;
        item_prefix_.clear();
        item_index_ = 0;
        ++stats_.lists;
        return;
      }
      start_capture(capture::top, i, start);
    } else if (depth == items_depth_) {
      start_capture(capture::item, i, start);
    }
  }

  void start_capture(capture kind, std::size_t i, value_start start) {
    capture_ = kind;
    capture_depth_ = stack_.size();
    cap_start_ = i;
    unit_line_ = line_;
    scalar_ = start == value_start::scalar;
    string_unit_ = start == value_start::string;
    oversize_ = false;
    unit_.clear();
  }

  // `"items": [` at the top of an object: from here on each element is an item, and what was
  // collected of the object so far (apiVersion, ...) is not needed.
  void begin_list() {
    capture_ = capture::none;
    unit_.clear();
    items_depth_ = 2;
    item_prefix_ = "items";
    item_index_ = 0;
    ++stats_.lists;
  }

  void append(const char* p, std::size_t n) {
    if (oversize_) return;
    if (unit_.size() + n > options_.max_item_bytes) {
      oversize_ = true;
      unit_.clear();
      unit_.shrink_to_fit();
      return;
    }
    unit_.append(p, n);
  }

  std::string where_of_item() const { return item_prefix_ + "[" + std::to_string(item_index_) + "]"; }

  // The unit ends before chunk_[end] (exclusive).
  void end_unit(std::size_t end) {
    append(chunk_ + cap_start_, end - cap_start_);
    cap_start_ = end;
    emit();
  }

  void end_unit_at_eof() { emit(); }

  // `value`: the item, already parsed (read_item_at_once).
  void emit(json::value* value = nullptr) {
    input_item item;
    item.line = unit_line_;
    if (capture_ == capture::item) {
      item.where = where_of_item();
      ++item_index_;
    }
    if (value != nullptr) {
      move_keeping_storage(item.value, std::move(*value));
    } else if (oversize_) {
      item.error = "item larger than " + std::to_string(options_.max_item_bytes) + " bytes: skipped";
    } else {
      parse(item);
    }
    capture_ = capture::none;
    scalar_ = string_unit_ = oversize_ = false;
    // One huge item must not keep its buffer for the rest of the input.
    if (unit_.capacity() > (4u << 20)) {
      unit_.clear();
      unit_.shrink_to_fit();
    }
    ++stats_.items;
    if (!item.error.empty()) ++stats_.unreadable;
    sink_(std::move(item));
  }

  void parse(input_item& item) {
    if (options_.item_shape != nullptr) {
      std::error_code pruned_error;
      move_keeping_storage(item.value, parse_pruned(unit_, *options_.item_shape, pruned_error, item_storage()));
      if (!pruned_error) return;
      // Refused, with the error the whole parser gives (the same tokenizer): that parser says
      // where, for the message. Only unreadable items pay for a second parse.
      move_keeping_storage(item.value, json::value());
    }
    parser_.reset();
    json::error_code ec;
    const std::size_t used = parser_.write(unit_.data(), unit_.size(), ec);
    if (!ec) {
      item.value = parser_.release();
      return;
    }
    // The line of the error, and the text around it, for a person looking at the file.
    std::uint64_t line = item.line;
    const std::size_t at = std::min(used, unit_.size());
    for (std::size_t k = 0; k < at; ++k) line += unit_[k] == '\n';
    std::size_t from = at > 24 ? at - 24 : 0, to = std::min(unit_.size(), at + 8);
    for (std::size_t k = at; k > from; --k)
      if (unit_[k - 1] == '\n') {
        from = k;
        break;
      }
    std::string near;
    for (std::size_t k = from; k < to && unit_[k] != '\n'; ++k)
      if (static_cast<unsigned char>(unit_[k]) >= 0x20) near += unit_[k];
    const auto first = near.find_first_not_of(' ');
    near = first == std::string::npos ? std::string() : near.substr(first);
    item.error = "invalid JSON at line " + std::to_string(line) + ": " + ec.message() +
                 (near.empty() ? std::string() : " near `" + near + "`");
  }

  // Where the next item's value is built: the arena, emptied first (stream_options::reuse_item_memory),
  // else the heap.
  json::storage_ptr item_storage() {
    if (!arena_) return {};
    arena_->release();
    return json::storage_ptr(&*arena_);
  }

  bool fail(std::string why) {
    if (stats_.fatal.empty()) stats_.fatal = std::move(why);
    return false;
  }

  const item_sink& sink_;
  const stream_options& options_;
  stream_stats& stats_;
  json::parser parser_;
  // stream_options::reuse_item_memory: the arena of the item being read, and its first block (a
  // pruned pod takes a few KiB; a larger item takes more blocks from the heap, freed by the next
  // release()).
  static constexpr std::size_t arena_block_size = 64 * 1024;
  std::unique_ptr<unsigned char[]> arena_block_;
  std::optional<json::monotonic_resource> arena_;

  const char* chunk_ = nullptr;
  std::vector<char> stack_;  // open brackets
  bool in_string_ = false;
  bool escape_ = false;
  std::uint64_t line_;

  capture capture_ = capture::none;
  std::size_t capture_depth_ = 0;  // stack depth where the captured value started
  std::size_t cap_start_ = 0;      // where the capture starts in the current chunk
  bool scalar_ = false;            // the captured value is a number or literal
  bool string_unit_ = false;       // the captured value is a string
  bool oversize_ = false;
  std::string unit_;
  std::uint64_t unit_line_ = 0;

  std::size_t items_depth_ = 0;  // depth whose elements are items (1: top array, 2: a List's items), 0: none
  std::string item_prefix_;
  std::uint64_t item_index_ = 0;

  bool expect_key_ = false;  // at the top object's level, the next string is a key
  bool collecting_key_ = false;
  bool items_value_pending_ = false;  // just read `"items":`
  std::string key_;
  std::string last_key_;
};

// A document separator: "---" alone or followed by a space and content; "..." ends a document.
bool is_document_start(std::string_view line, std::string_view& rest) {
  if (!line.starts_with("---")) return false;
  if (line.size() == 3) {
    rest = {};
    return true;
  }
  if (line[3] != ' ' && line[3] != '\t') return false;
  rest = line.substr(4);
  return true;
}

class yaml_splitter {
 public:
  yaml_splitter(const item_sink& sink, stream_stats& stats, std::uint64_t first_line)
      : sink_(sink), stats_(stats), line_(first_line - 1), doc_line_(first_line) {}

  void line(std::string_view text) {
    ++line_;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    std::string_view rest;
    if (is_document_start(text, rest)) {
      flush();
      doc_line_ = line_;
      if (!rest.empty()) {
        doc_.assign(rest);
        doc_ += '\n';
      } else {
        doc_line_ = line_ + 1;
      }
      return;
    }
    if (text == "...") {
      flush();
      doc_line_ = line_ + 1;
      return;
    }
    doc_.append(text);
    doc_ += '\n';
  }

  void finish() { flush(); }

 private:
  void flush() {
    std::string text;
    text.swap(doc_);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return;
    const std::uint64_t first_line = doc_line_;
    YAML::Node node;
    try {
      node = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      ++document_;
      emit_error(first_line + static_cast<std::uint64_t>(e.mark.line < 0 ? 0 : e.mark.line),
                 "document " + std::to_string(document_),
                 "invalid YAML at line " + std::to_string(first_line + (e.mark.line < 0 ? 0 : e.mark.line)) +
                     ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
      return;
    }
    if (node.IsNull()) return;  // comments only
    ++document_;
    const std::string where = "document " + std::to_string(document_);
    const YAML::Node* items = nullptr;
    YAML::Node list_items;
    if (node.IsMap()) {
      const YAML::Node kind = node["kind"];
      list_items = node["items"];
      if (kind && kind.IsScalar() && kind.Scalar().ends_with("List") && list_items && list_items.IsSequence())
        items = &list_items;
    } else if (node.IsSequence()) {
      items = &node;
    }
    if (!items) {
      emit(line_of(node, first_line), where, node);
      return;
    }
    ++stats_.lists;
    const std::string prefix = where + (items == &node ? " " : " items");
    std::size_t index = 0;
    for (const auto& item : *items) emit(line_of(item, first_line), prefix + "[" + std::to_string(index++) + "]", item);
  }

  static std::uint64_t line_of(const YAML::Node& node, std::uint64_t first_line) {
    const int l = node.Mark().line;
    return first_line + static_cast<std::uint64_t>(l < 0 ? 0 : l);
  }

  void emit(std::uint64_t line, std::string where, const YAML::Node& node) {
    input_item item;
    item.line = line;
    item.where = std::move(where);
    try {
      item.value = yaml_to_json(node);
    } catch (const YAML::Exception& e) {
      item.error = "invalid YAML: " + e.msg;
    }
    ++stats_.items;
    if (!item.error.empty()) ++stats_.unreadable;
    sink_(std::move(item));
  }

  void emit_error(std::uint64_t line, std::string where, std::string error) {
    input_item item;
    item.line = line;
    item.where = std::move(where);
    item.error = std::move(error);
    ++stats_.items;
    ++stats_.unreadable;
    sink_(std::move(item));
  }

  const item_sink& sink_;
  stream_stats& stats_;
  std::string doc_;
  std::uint64_t line_;
  std::uint64_t doc_line_;
  std::uint64_t document_ = 0;
};

// Reads the rest of a YAML input, `head` being what was already read of it.
void read_yaml(std::string head, std::istream& in, const item_sink& sink, stream_stats& stats,
               std::uint64_t first_line) {
  yaml_splitter splitter(sink, stats, first_line);
  std::string pending = std::move(head);
  std::vector<char> buffer(64 * 1024);
  bool eof = false;
  while (true) {
    std::size_t from = 0;
    for (std::size_t nl; (nl = pending.find('\n', from)) != std::string::npos; from = nl + 1)
      splitter.line(std::string_view(pending).substr(from, nl - from));
    pending.erase(0, from);
    if (eof) break;
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    stats.bytes += got;
    pending.append(buffer.data(), got);
    if (got == 0) {
      eof = true;
      if (!pending.empty()) pending += '\n';
    }
  }
  splitter.finish();
}

}  // namespace

stream_stats read_objects(std::istream& in, const item_sink& sink, const stream_options& options) {
  stream_stats stats;
  // The padding after the bytes read: find_object_end() and simdjson read past an item's end.
  std::vector<char> buffer(options.chunk_bytes + in_place_padding);
  const auto chunk = static_cast<std::streamsize>(options.chunk_bytes);
  std::size_t got = 0;
  std::size_t start = 0;         // after a byte order mark
  std::size_t first = 0;         // the first significant character in buffer
  std::uint64_t first_line = 1;  // of the chunk that holds the first significant character
  // The chunks of whitespace before that chunk: JSON ignores them, YAML reads them (indentation,
  // and the first bytes decide its encoding).
  std::string leading;
  // Read until the first significant character tells the format.
  while (true) {
    in.read(buffer.data(), chunk);
    got = static_cast<std::size_t>(in.gcount());
    const bool first_read = stats.bytes == 0;
    // A byte order mark is told by the input's first three bytes: a smaller read buffer takes
    // them in several reads (the buffer's padding has room for them).
    while (first_read && got < 3 && in) {
      in.read(buffer.data() + got, 1);
      got += static_cast<std::size_t>(in.gcount());
    }
    stats.bytes += got;
    if (got == 0) return stats;  // empty input
    start = 0;
    if (first_read && got >= 3 && std::memcmp(buffer.data(), "\xEF\xBB\xBF", 3) == 0) start = 3;
    first = start;
    while (first < got && is_space(buffer[first])) ++first;
    if (first < got) break;
    for (std::size_t k = start; k < got; ++k) first_line += buffer[k] == '\n';
    leading.append(buffer.data() + start, got - start);
  }
  const char c = buffer[first];
  if (c != '{' && c != '[') {
    leading.append(buffer.data() + start, got - start);
    read_yaml(std::move(leading), in, sink, stats, 1);
  } else {
    json_splitter splitter(sink, options, stats, first_line);
    bool ok = splitter.feed(buffer.data() + start, got - start);
    while (ok) {
      in.read(buffer.data(), chunk);
      got = static_cast<std::size_t>(in.gcount());
      if (got == 0) break;
      stats.bytes += got;
      ok = splitter.feed(buffer.data(), got);
    }
    if (ok) splitter.finish();
  }
  if (stats.fatal.empty() && stats.items > 0 && stats.unreadable == stats.items && stats.lists == 0)
    stats.fatal = "nothing in it could be read as a Kubernetes object";
  return stats;
}

}  // namespace peergate::audit
