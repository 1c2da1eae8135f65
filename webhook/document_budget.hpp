#pragma once
// The memory budget of one review: the upstream of the review's arena and of the parser's
// temporary value stack. It counts the bytes it holds from the heap and refuses, by throwing
// document_too_large, the allocation that would take them past the cap. Without it one 8 MB body
// of small numbers decodes into ~200 MB (each number a 24-byte json::value, once on the parser's
// stack and once in the document).
//
// One review, one thread: the counts are plain integers.

#include <boost/json/memory_resource.hpp>
#include <cstddef>
#include <limits>
#include <new>

namespace peergate::webhook {

// Thrown by document_budget; a std::bad_alloc, so that code which only knows about running out
// of memory unwinds as it would then.
class document_too_large : public std::bad_alloc {
 public:
  const char* what() const noexcept override { return "the review's memory budget is exhausted"; }
};

class document_budget final : public boost::json::memory_resource {
 public:
  // cap 0: no cap (the bytes are still counted).
  explicit document_budget(std::size_t cap) noexcept : cap_(cap == 0 ? std::numeric_limits<std::size_t>::max() : cap) {}
  document_budget(const document_budget&) = delete;
  document_budget& operator=(const document_budget&) = delete;

  std::size_t held() const noexcept { return held_; }  // bytes taken from the heap now
  std::size_t peak() const noexcept { return peak_; }  // the most held at once

 private:
  void* do_allocate(std::size_t n, std::size_t align) override {
    if (n > cap_ - held_) throw document_too_large();
    void* p =
        align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__ ? ::operator new(n) : ::operator new(n, std::align_val_t(align));
    held_ += n;
    if (held_ > peak_) peak_ = held_;
    return p;
  }
  void do_deallocate(void* p, std::size_t n, std::size_t align) override {
    if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) ::operator delete(p);
    else ::operator delete(p, std::align_val_t(align));
    held_ -= n;
  }
  bool do_is_equal(const boost::json::memory_resource& other) const noexcept override { return this == &other; }

  std::size_t cap_;
  std::size_t held_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace peergate::webhook
