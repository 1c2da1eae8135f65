#pragma once
// RFC 6902 JSON Patch: producing the minimal patch between two documents, and applying one.
// Pointers follow RFC 6901 (`~` -> `~0`, `/` -> `~1`).

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstring>
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
// built in the storage of `ops`: a value moved into an array of another storage would be copied.
void append_operation(boost::json::array& ops, std::string_view op, std::string_view path,
                      const boost::json::value* value = nullptr);

// Where the operations of a patch go as they are made: the mutation and diff_at write them here,
// one call each, in order.
class operation_sink {
 public:
  // The operation {"op": op, "path": path, "value": *value}; no "value" when it is nullptr.
  virtual void append(std::string_view op, std::string_view path, const boost::json::value* value) = 0;

 protected:
  ~operation_sink() = default;
};

// The operations as Boost.JSON values, appended to an array (append_operation): what diff()
// returns, and the reference that patch_text is tested against.
class operation_array final : public operation_sink {
 public:
  explicit operation_array(boost::json::array& ops) : ops_(ops) {}
  void append(std::string_view op, std::string_view path, const boost::json::value* value) override {
    append_operation(ops_, op, path, value);
  }

 private:
  boost::json::array& ops_;
};

// The operations as the JSON text of their array, written as they come: byte for byte what
// boost::json::serialize writes for the operation_array of the same calls. The webhook sends the
// patch as text (base64-encoded), so it is never built as values first. The text lives in
// `storage` (the webhook's per-review arena): it must not outlive it.
class patch_text final : public operation_sink {
 public:
  patch_text() = default;
  explicit patch_text(boost::json::storage_ptr storage) : text_{std::move(storage)} {}

  void append(std::string_view op, std::string_view path, const boost::json::value* value) override;

  bool empty() const { return operations_ == 0; }
  std::size_t size() const { return operations_; }  // operations
  // "[{...},...]"; "[]" when empty.
  std::string_view text() const { return empty() ? std::string_view("[]") : text_.view(); }
  // The operations parsed back, for readers that apply or print them (the CLI, tests).
  boost::json::array operations() const;

 private:
  // Bytes in a Boost.JSON storage, grown by doubling; what append_serialized writes to
  // (engine/json_serialize.hpp).
  class buffer {
   public:
    buffer() = default;
    explicit buffer(boost::json::storage_ptr storage) : storage_(std::move(storage)) {}
    buffer(const buffer& other);
    buffer(buffer&& other) noexcept;
    buffer& operator=(buffer other) noexcept;
    ~buffer();

    void append(const char* text, std::size_t length) {
      if (length == 0) return;  // before the first byte, data_ is null: no memcpy from or to it
      if (capacity_ - size_ < length) grow(length);
      std::memcpy(data_ + size_, text, length);
      size_ += length;
    }
    void push_back(char c) {
      if (size_ == capacity_) grow(1);
      data_[size_++] = c;
    }
    void pop_back() { --size_; }
    std::string_view view() const { return {data_, size_}; }

   private:
    void grow(std::size_t more);

    boost::json::storage_ptr storage_;
    char* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
  };

  buffer text_;
  std::size_t operations_ = 0;
};

// Operations that turn `from` into `to`. Objects are compared key by key and recursed into, so
// only what changed is touched; arrays of equal length are compared element by element, others
// are replaced whole. Equal documents give an empty array.
boost::json::array diff(const boost::json::value& from, const boost::json::value& to);

// The same for two values that sit at pointer `path` in their documents; the operations are
// written to `ops`. `path` is extended while children are visited and is as it was on return:
// the caller's buffer is reused, not copied.
void diff_at(const boost::json::value& from, const boost::json::value& to, std::pmr::string& path, operation_sink& ops);

// Applies `ops` (add, remove, replace, move, copy, test) to `doc` in order. On failure returns
// false, sets *error ("op 2 (remove /spec/x): path does not exist") and leaves `doc` in an
// unspecified but valid state.
bool apply(boost::json::value& doc, const boost::json::array& ops, std::string* error);

// The value at an RFC 6901 pointer ("" is the whole document), or nullptr.
const boost::json::value* find(const boost::json::value& doc, std::string_view pointer);

}  // namespace peergate::json_patch
