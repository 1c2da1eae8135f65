#include "engine/json_patch.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "engine/json_serialize.hpp"

namespace peergate::json_patch {

namespace {

namespace json = boost::json;

// RFC 6901: '~' is written "~0" and '/' "~1" (a "~1" in a key becomes "~01"). The one escaping
// loop of escape_token and append_token.
// The next `c` in [from, end), or end.
const char* next_of(char c, const char* from, const char* end) {
  const void* found = std::memchr(from, c, static_cast<std::size_t>(end - from));
  return found != nullptr ? static_cast<const char*>(found) : end;
}

template <typename String>
void append_escaped_token(String& out, std::string_view token) {
  // The runs between the characters to escape are appended whole. memchr finds each of the two
  // faster than a loop testing every byte for both (most tokens have neither); each is searched
  // again only past the one just escaped, so every byte is scanned once per character.
  const char* at = token.data();
  const char* const end = at + token.size();
  const char* tilde = next_of('~', at, end);
  const char* slash = next_of('/', at, end);
  while (tilde != end || slash != end) {
    const char* special = std::min(tilde, slash);
    out.append(at, static_cast<std::size_t>(special - at));
    out.append(special == tilde ? "~0" : "~1", 2);
    at = special + 1;
    if (special == tilde) tilde = next_of('~', at, end);
    else slash = next_of('/', at, end);
  }
  out.append(at, static_cast<std::size_t>(end - at));
}

// `path` is the pointer of `from`/`to`; children extend it in place and restore it, so an
// unchanged subtree costs one visit per node and no allocation. Containers are recursed into
// rather than compared whole first, which would visit deep subtrees once per level.
void diff_into(const json::value& from, const json::value& to, std::pmr::string& path, operation_sink& ops) {
  const std::size_t length = path.size();
  if (from.is_object() && to.is_object()) {
    const json::object& a = from.get_object();
    const json::object& b = to.get_object();
    for (const auto& entry : a) {
      append_token(path, entry.key());
      const json::value* other = b.if_contains(entry.key());
      if (other == nullptr) {
        ops.append("remove", path, nullptr);
      } else {
        diff_into(entry.value(), *other, path, ops);
      }
      path.resize(length);
    }
    for (const auto& entry : b) {
      if (a.contains(entry.key())) continue;
      append_token(path, entry.key());
      ops.append("add", path, &entry.value());
      path.resize(length);
    }
    return;
  }
  if (from.is_array() && to.is_array() && from.get_array().size() == to.get_array().size()) {
    const json::array& a = from.get_array();
    const json::array& b = to.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      append_index(path, i);
      diff_into(a[i], b[i], path, ops);
      path.resize(length);
    }
    return;
  }
  if (from == to) return;
  ops.append("replace", path, &to);
}

// Splits an RFC 6901 pointer into unescaped tokens; nullopt when it is malformed.
std::optional<std::vector<std::string>> parse_pointer(std::string_view pointer, std::string* error) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') {
    *error = "pointer must be empty or start with \"/\"";
    return std::nullopt;
  }
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] != '~') {
      token += pointer[i];
      continue;
    }
    if (i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      token += pointer[i + 1] == '0' ? '~' : '/';
      ++i;
      continue;
    }
    *error = "bad escape in pointer: \"~\" must be followed by 0 or 1";
    return std::nullopt;
  }
  return tokens;
}

// RFC 6901 array index: "0" or a digit string without leading zeros.
std::optional<std::size_t> parse_index(std::string_view token) {
  if (token.empty() || token.size() > 18) return std::nullopt;
  if (token.size() > 1 && token.front() == '0') return std::nullopt;
  std::size_t index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return index;
}

json::value* resolve(json::value& doc, const std::vector<std::string>& tokens, std::size_t count) {
  json::value* current = &doc;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& token = tokens[i];
    if (json::object* obj = current->if_object()) {
      current = obj->if_contains(token);
    } else if (json::array* arr = current->if_array()) {
      const auto index = parse_index(token);
      current = index && *index < arr->size() ? &(*arr)[*index] : nullptr;
    } else {
      current = nullptr;
    }
    if (current == nullptr) return nullptr;
  }
  return current;
}

// JSON equality as RFC 6902 "test" defines it: numbers compare by value, so 1 equals 1.0.
bool json_equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    return a == b;
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_object()) {
    const json::object& x = a.get_object();
    const json::object& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& entry : x) {
      const json::value* other = y.if_contains(entry.key());
      if (other == nullptr || !json_equal(entry.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    const json::array& x = a.get_array();
    const json::array& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!json_equal(x[i], y[i])) return false;
    }
    return true;
  }
  return a == b;
}

// Each operation returns an empty string on success, else the reason (without the op prefix).
std::string do_add(json::value& doc, const std::vector<std::string>& tokens, json::value value) {
  if (tokens.empty()) {
    doc = std::move(value);
    return {};
  }
  json::value* parent = resolve(doc, tokens, tokens.size() - 1);
  if (parent == nullptr) return "parent path does not exist";
  const std::string& last = tokens.back();
  if (json::object* obj = parent->if_object()) {
    (*obj)[last] = std::move(value);
    return {};
  }
  if (json::array* arr = parent->if_array()) {
    if (last == "-") {
      arr->push_back(std::move(value));
      return {};
    }
    const auto index = parse_index(last);
    if (!index) return "\"" + last + "\" is not an array index";
    if (*index > arr->size()) {
      return "index " + last + " is past the end of an array of " + std::to_string(arr->size());
    }
    arr->insert(arr->begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
    return {};
  }
  return "parent is neither an object nor an array";
}

// Removes the target and hands back its value.
std::string do_remove(json::value& doc, const std::vector<std::string>& tokens, json::value* removed) {
  if (tokens.empty()) return "cannot remove the whole document";
  json::value* parent = resolve(doc, tokens, tokens.size() - 1);
  if (parent == nullptr) return "path does not exist";
  const std::string& last = tokens.back();
  if (json::object* obj = parent->if_object()) {
    auto it = obj->find(last);
    if (it == obj->end()) return "path does not exist";
    if (removed != nullptr) *removed = std::move(it->value());
    obj->erase(it);
    return {};
  }
  if (json::array* arr = parent->if_array()) {
    const auto index = parse_index(last);
    if (!index) return "\"" + last + "\" is not an array index";
    if (*index >= arr->size()) {
      return "index " + last + " is out of range for an array of " + std::to_string(arr->size());
    }
    if (removed != nullptr) *removed = std::move((*arr)[*index]);
    arr->erase(arr->begin() + static_cast<std::ptrdiff_t>(*index));
    return {};
  }
  return "path does not exist";
}

bool is_proper_prefix(const std::vector<std::string>& prefix, const std::vector<std::string>& tokens) {
  if (prefix.size() >= tokens.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != tokens[i]) return false;
  }
  return true;
}

std::string apply_one(json::value& doc, const json::object& op) {
  const json::value* name_value = op.if_contains("op");
  if (name_value == nullptr || !name_value->is_string()) return "missing \"op\" string";
  const std::string_view name = name_value->get_string();

  std::string error;
  const json::value* path_value = op.if_contains("path");
  if (path_value == nullptr || !path_value->is_string()) return "missing \"path\" string";
  const auto tokens = parse_pointer(path_value->get_string(), &error);
  if (!tokens) return error;

  const json::value* value = op.if_contains("value");
  if ((name == "add" || name == "replace" || name == "test") && value == nullptr) return "missing \"value\"";

  if (name == "add") return do_add(doc, *tokens, *value);
  if (name == "remove") return do_remove(doc, *tokens, nullptr);
  if (name == "replace") {
    json::value* target = resolve(doc, *tokens, tokens->size());
    if (target == nullptr) return "path does not exist";
    *target = *value;
    return {};
  }
  if (name == "test") {
    const json::value* target = resolve(doc, *tokens, tokens->size());
    if (target == nullptr) return "path does not exist";
    if (!json_equal(*target, *value)) return "value differs";
    return {};
  }
  if (name == "move" || name == "copy") {
    const json::value* from_value = op.if_contains("from");
    if (from_value == nullptr || !from_value->is_string()) return "missing \"from\" string";
    const auto from = parse_pointer(from_value->get_string(), &error);
    if (!from) return "from: " + error;
    const json::value* source = resolve(doc, *from, from->size());
    if (source == nullptr) return "from " + std::string(from_value->get_string()) + " does not exist";
    if (name == "copy") return do_add(doc, *tokens, *source);
    if (*from == *tokens) return {};
    if (is_proper_prefix(*from, *tokens)) return "cannot move a value into one of its own children";
    json::value moved;
    error = do_remove(doc, *from, &moved);
    if (!error.empty()) return "from: " + error;
    return do_add(doc, *tokens, std::move(moved));
  }
  return "unknown op \"" + std::string(name) + "\"";
}

}  // namespace

void append_operation(json::array& ops, std::string_view op, std::string_view path, const json::value* value) {
  json::object operation(ops.storage());
  operation.reserve(value != nullptr ? 3 : 2);
  operation.emplace("op", op);
  operation.emplace("path", path);
  if (value != nullptr) operation.emplace("value", *value);
  ops.emplace_back(std::move(operation));
}

// Without a temporary string: diff visits every key.
void append_token(std::pmr::string& pointer, std::string_view token) {
  pointer += '/';
  append_escaped_token(pointer, token);
}

void append_index(std::pmr::string& pointer, std::size_t index) {
  std::array<char, 24> digits{};  // a 64-bit index has at most 20
  const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), index);
  pointer += '/';
  pointer.append(std::string_view(digits.data(), static_cast<std::size_t>(written.ptr - digits.data())));
}

std::string escape_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  append_escaped_token(out, token);
  return out;
}

void diff_at(const boost::json::value& from, const boost::json::value& to, std::pmr::string& path,
             operation_sink& ops) {
  diff_into(from, to, path, ops);
}

boost::json::array diff(const boost::json::value& from, const boost::json::value& to) {
  boost::json::array ops;
  operation_array sink(ops);
  std::pmr::string path;
  diff_into(from, to, path, sink);
  return ops;
}

void patch_text::append(std::string_view op, std::string_view path, const boost::json::value* value) {
  // The array stays closed between operations: its ']' gives way to the next one.
  if (operations_ == 0) {
    text_.push_back('[');
  } else {
    text_.pop_back();
    text_.push_back(',');
  }
  text_.append("{\"op\":", 6);
  append_serialized_string(text_, op);
  text_.append(",\"path\":", 8);
  append_serialized_string(text_, path);
  if (value != nullptr) {
    text_.append(",\"value\":", 9);
    append_serialized(text_, *value);
  }
  text_.append("}]", 2);
  ++operations_;
}

boost::json::array patch_text::operations() const {
  if (empty()) return {};
  // The text holds what the values held: a value of a document read without checking UTF-8 (the
  // CLI's YAML) can hold any bytes, and the operations must still be read back.
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;
  return boost::json::parse(text(), {}, options).as_array();
}

patch_text::buffer::buffer(const buffer& other) : storage_(other.storage_) {
  if (other.size_ == 0) return;
  data_ = static_cast<char*>(storage_->allocate(other.size_, 1));
  std::memcpy(data_, other.data_, other.size_);
  size_ = capacity_ = other.size_;
}

patch_text::buffer::buffer(buffer&& other) noexcept
    : storage_(std::move(other.storage_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

patch_text::buffer& patch_text::buffer::operator=(buffer other) noexcept {
  std::swap(storage_, other.storage_);
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
  std::swap(capacity_, other.capacity_);
  return *this;
}

patch_text::buffer::~buffer() {
  if (data_ != nullptr) storage_->deallocate(data_, capacity_, 1);
}

void patch_text::buffer::grow(std::size_t more) {
  // A mutation's patch is about a kilobyte: one allocation from the review's arena, mostly.
  const std::size_t capacity = std::max({std::size_t{1024}, 2 * capacity_, size_ + more});
  char* data = static_cast<char*>(storage_->allocate(capacity, 1));
  if (size_ > 0) std::memcpy(data, data_, size_);
  if (data_ != nullptr) storage_->deallocate(data_, capacity_, 1);
  data_ = data;
  capacity_ = capacity;
}

bool apply(boost::json::value& doc, const boost::json::array& ops, std::string* error) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const boost::json::object* op = ops[i].if_object();
    std::string reason;
    if (op == nullptr) {
      reason = "op " + std::to_string(i) + ": not an object";
    } else {
      reason = apply_one(doc, *op);
      if (!reason.empty()) {
        const auto* name = op->if_contains("op");
        const auto* path = op->if_contains("path");
        std::string label = name != nullptr && name->is_string() ? std::string(name->get_string()) : "?";
        // An empty path (the whole document) is shown as "" so the label does not look truncated.
        if (path != nullptr && path->is_string()) {
          label += path->get_string().empty() ? std::string(" \"\"") : " " + std::string(path->get_string());
        }
        reason = "op " + std::to_string(i) + " (" + label + "): " + reason;
      }
    }
    if (!reason.empty()) {
      if (error != nullptr) *error = std::move(reason);
      return false;
    }
  }
  return true;
}

const boost::json::value* find(const boost::json::value& doc, std::string_view pointer) {
  std::string error;
  const auto tokens = parse_pointer(pointer, &error);
  if (!tokens) return nullptr;
  // resolve() only reads through the pointer; the cast lets one walker serve both uses.
  return resolve(const_cast<boost::json::value&>(doc), *tokens, tokens->size());
}

}  // namespace peergate::json_patch
