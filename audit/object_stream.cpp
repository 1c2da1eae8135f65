#include "audit/object_stream.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json/parser.hpp>
#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/json_parse.hpp"
#include "engine/json_pruned_parse.hpp"
#include "engine/yaml_json.hpp"

namespace peergate::audit {

namespace json = boost::json;

namespace {

constexpr std::size_t max_nesting = 10000;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Splits a JSON text into items without parsing it: tracks strings, escapes and brackets, and
// notices the "items" array of a top-level object (kubectl's List prints it before "kind").
// Each item's bytes are collected and parsed alone.
class json_splitter {
 public:
  json_splitter(const item_sink& sink, const stream_options& options, stream_stats& stats, std::uint64_t first_line)
      : sink_(sink), options_(options), stats_(stats), parser_({}, kubernetes_parse_options()), line_(first_line) {}

  // False once the input is known to be broken as a whole (stats_.fatal says why).
  bool feed(const char* data, std::size_t size) {
    chunk_ = data;
    cap_start_ = 0;
    std::size_t i = 0;
    while (i < size) {
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

  void emit() {
    input_item item;
    item.line = unit_line_;
    if (capture_ == capture::item) {
      item.where = where_of_item();
      ++item_index_;
    }
    if (oversize_) {
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
      item.value = parse_pruned(unit_, *options_.item_shape, pruned_error);
      if (!pruned_error) return;
      // Refused, with the error the whole parser gives (the same tokenizer): that parser says
      // where, for the message. Only unreadable items pay for a second parse.
      item.value = nullptr;
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

  bool fail(std::string why) {
    if (stats_.fatal.empty()) stats_.fatal = std::move(why);
    return false;
  }

  const item_sink& sink_;
  const stream_options& options_;
  stream_stats& stats_;
  json::parser parser_;

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
  std::vector<char> buffer(options.chunk_bytes);
  std::size_t got = 0;
  std::size_t start = 0;         // after a byte order mark
  std::uint64_t first_line = 1;  // of the chunk that holds the first significant character
  // Read until the first significant character tells the format.
  while (true) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    got = static_cast<std::size_t>(in.gcount());
    stats.bytes += got;
    if (got == 0) return stats;  // empty input
    start = 0;
    if (stats.bytes == got && got >= 3 && std::memcmp(buffer.data(), "\xEF\xBB\xBF", 3) == 0) start = 3;
    std::size_t first = start;
    while (first < got && is_space(buffer[first])) ++first;
    if (first < got) break;
    for (std::size_t k = start; k < got; ++k) first_line += buffer[k] == '\n';
  }
  std::size_t first = start;
  while (is_space(buffer[first])) ++first;
  const char c = buffer[first];
  if (c != '{' && c != '[') {
    read_yaml(std::string(buffer.data() + start, got - start), in, sink, stats, first_line);
  } else {
    json_splitter splitter(sink, options, stats, first_line);
    bool ok = splitter.feed(buffer.data() + start, got - start);
    while (ok) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
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
