#pragma once
// One value published by a writer (a reload on the watcher thread) and read by every I/O
// thread: a shared_ptr guarded by a mutex. A reader copies the pointer under the lock, so the
// copy and its reference count come from the same store, on every CPU.
//
// Not std::atomic<std::shared_ptr>: GCC 12's libstdc++ implements it with a lock bit whose
// unlock after load() is relaxed, so the reader's reference-count increment is not ordered
// before the next writer's swap (ThreadSanitizer reports it; on arm64 a reader can pair a new
// pointer with an old count). The mutex costs one uncontended lock per request (see
// docs/server.md, "Policy snapshots"), and it is correct by construction.

#include <memory>
#include <mutex>

namespace peergate::webhook::server {

template <class T>
class published {
 public:
  std::shared_ptr<T> load() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

  // The previous value is released outside the lock: its destructor (a whole policy set or an
  // SSL_CTX) never runs while readers wait.
  void store(std::shared_ptr<T> value) {
    {
      std::lock_guard lock(mutex_);
      value_.swap(value);
    }
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<T> value_;
};

}  // namespace peergate::webhook::server
