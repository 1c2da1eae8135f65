#pragma once
// The server-wide budget of request bytes in flight (--max-inflight-bytes): every request body
// being read or evaluated holds its size from here, taken when its headers arrive and before a
// byte of it is read. A request that does not fit is answered 503 with Retry-After (listener.cpp),
// so that a burst of large reviews is refused, and the apiserver applies the webhook's
// failurePolicy, instead of the kernel killing the pod for memory.

#include <atomic>
#include <cstddef>

namespace peergate::webhook::server {

class request_budget {
 public:
  explicit request_budget(std::size_t limit) noexcept : limit_(limit) {}
  request_budget(const request_budget&) = delete;
  request_budget& operator=(const request_budget&) = delete;

  // Takes `bytes` when they fit under the limit; otherwise takes nothing and says so.
  bool try_acquire(std::size_t bytes) noexcept {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void release(std::size_t bytes) noexcept { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  std::size_t in_use() const noexcept { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const noexcept { return limit_; }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

// What one request holds of a request_budget, given back by release() or the destructor.
class budget_lease {
 public:
  budget_lease() = default;
  ~budget_lease() { release(); }
  budget_lease(const budget_lease&) = delete;
  budget_lease& operator=(const budget_lease&) = delete;

  // Gives back what is held, then takes `bytes` (nothing to take for 0). False: they do not fit.
  bool acquire(request_budget& budget, std::size_t bytes) noexcept {
    release();
    if (bytes == 0) return true;
    if (!budget.try_acquire(bytes)) return false;
    budget_ = &budget;
    bytes_ = bytes;
    return true;
  }
  void release() noexcept {
    if (budget_ != nullptr) budget_->release(bytes_);
    budget_ = nullptr;
    bytes_ = 0;
  }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  request_budget* budget_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace peergate::webhook::server
