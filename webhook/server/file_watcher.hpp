#pragma once
// Watches files and directories on its own thread and calls back when their contents change:
// inotify on every watched directory (and on the parent of every watched path, so that atomic
// renames and Kubernetes' `..data` symlink swaps are seen), bursts of events debounced, and a
// periodic stat() poll as a safety net (and the only mechanism when inotify is unavailable).
// A change is confirmed by comparing a fingerprint (path, inode, size, mtime of every file)
// before calling back. Callbacks run on the watcher thread, one at a time: that is where file
// reads and reloads happen, never on an I/O thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace peergate::webhook::server {

class file_watcher {
 public:
  // Why a callback runs: "change" (inotify), "poll" (periodic check), "signal" (trigger_all()).
  using callback = std::function<void(const char* cause)>;

  struct options {
    std::chrono::milliseconds debounce{200};         // quiet time after the last event
    std::chrono::milliseconds max_delay{2000};       // reload at the latest this long after the first event
    std::chrono::milliseconds poll_interval{30000};  // 0 = no polling (unless inotify is unavailable)
  };

  file_watcher();
  explicit file_watcher(options opts);
  ~file_watcher();
  file_watcher(const file_watcher&) = delete;
  file_watcher& operator=(const file_watcher&) = delete;

  // Before start(): `paths` are files or directories (directories are watched recursively).
  void add_group(std::string name, std::vector<std::string> paths, callback on_change);

  void start();
  void stop();  // joins the thread; idempotent

  // Runs every group's callback on the watcher thread, changed or not (SIGHUP). Cheap and
  // non-blocking: callable from an I/O thread.
  void trigger_all();

  // Whether changes arrive by inotify rather than by polling alone (tests).
  bool using_inotify_for_test() const { return inotify_fd_ >= 0; }

 private:
  struct group {
    std::string name;
    std::vector<std::string> paths;
    callback on_change;
    std::string fingerprint;
  };

  void run();
  void refresh_watches();
  void check_groups(const char* cause, bool force);
  static std::string fingerprint(const std::vector<std::string>& paths);

  options options_;
  std::vector<group> groups_;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;                    // eventfd: trigger_all() and stop()
  std::map<int, std::string> watches_;  // watch descriptor -> directory
  std::atomic<bool> stopping_{false};
  std::atomic<bool> triggered_{false};
  std::thread thread_;
};

}  // namespace peergate::webhook::server
