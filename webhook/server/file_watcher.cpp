#include "webhook/server/file_watcher.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <set>

#include "webhook/server/logging.hpp"

namespace peergate::webhook::server {

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t watch_mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY |
                                     IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
constexpr std::size_t max_entries = 10000;  // bounds the work for a path that points at a huge tree

std::string stat_text(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path + ":missing\n";
  return path + ":" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) +
         ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
         std::to_string(st.st_mode) + "\n";
}

// Directories to watch for `path`: its parent, and itself with every subdirectory when it is one.
void directories_for(const std::string& path, std::set<std::string>& out) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec).lexically_normal();
  if (ec) return;
  if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();  // "dir/" -> "dir"
  if (p.has_parent_path()) out.insert(p.parent_path().string());
  if (!fs::is_directory(p, ec)) return;
  out.insert(p.lexically_normal().string());
  fs::recursive_directory_iterator it(
      p, fs::directory_options::follow_directory_symlink | fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator() && out.size() < max_entries; it.increment(ec)) {
    if (it.depth() > 16) {
      it.disable_recursion_pending();
      continue;
    }
    std::error_code dir_ec;
    if (it->is_directory(dir_ec)) out.insert(it->path().lexically_normal().string());
  }
}

}  // namespace

file_watcher::file_watcher() : file_watcher(options{}) {}

file_watcher::file_watcher(options opts) : options_(opts) {}

file_watcher::~file_watcher() {
  stop();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void file_watcher::add_group(std::string name, std::vector<std::string> paths, callback on_change) {
  groups_.push_back(group{std::move(name), std::move(paths), std::move(on_change), {}});
}

std::string file_watcher::fingerprint(const std::vector<std::string>& paths) {
  std::string out;
  for (const std::string& path : paths) {
    out += stat_text(path);
    std::error_code ec;
    if (!fs::is_directory(path, ec)) continue;
    std::vector<std::string> files;
    fs::recursive_directory_iterator it(
        path, fs::directory_options::follow_directory_symlink | fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator() && files.size() < max_entries; it.increment(ec)) {
      if (it.depth() > 16) {
        it.disable_recursion_pending();
        continue;
      }
      std::error_code file_ec;
      if (it->is_regular_file(file_ec)) files.push_back(stat_text(it->path().string()));
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) out += f;
  }
  return out;
}

void file_watcher::start() {
  if (thread_.joinable() || groups_.empty()) return;
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0) {
    if (options_.poll_interval.count() == 0 || options_.poll_interval > std::chrono::seconds(2))
      options_.poll_interval = std::chrono::seconds(2);
    log_line(log_level::warn, "inotify unavailable, polling for file changes")
        .field("interval_ms", static_cast<std::int64_t>(options_.poll_interval.count()));
  }
  for (group& g : groups_) g.fingerprint = fingerprint(g.paths);
  refresh_watches();
  thread_ = std::thread([this] { run(); });
}

void file_watcher::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
  thread_.join();
}

void file_watcher::trigger_all() {
  triggered_.store(true);
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

void file_watcher::refresh_watches() {
  if (inotify_fd_ < 0) return;
  std::set<std::string> directories;
  for (const group& g : groups_) {
    for (const std::string& p : g.paths) directories_for(p, directories);
  }
  std::map<int, std::string> next;
  for (const std::string& dir : directories) {
    const int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), watch_mask | IN_ONLYDIR);
    if (wd >= 0) next.emplace(wd, dir);
  }
  for (const auto& [wd, dir] : watches_) {
    if (next.find(wd) == next.end()) ::inotify_rm_watch(inotify_fd_, wd);
  }
  watches_ = std::move(next);
}

void file_watcher::check_groups(const char* cause, bool force) {
  for (group& g : groups_) {
    std::string fp = fingerprint(g.paths);
    if (!force && fp == g.fingerprint) continue;
    g.fingerprint = std::move(fp);
    log_line(log_level::debug, "watched files changed").field("group", g.name).field("cause", cause);
    try {
      g.on_change(cause);
    } catch (const std::exception& e) {
      log_line(log_level::error, "reload callback failed").field("group", g.name).field("error", e.what());
    } catch (...) {
      log_line(log_level::error, "reload callback failed").field("group", g.name);
    }
  }
}

void file_watcher::run() {
  using clock = std::chrono::steady_clock;
  bool pending = false;
  clock::time_point first_event{}, last_event{};
  const bool polling = options_.poll_interval.count() > 0;
  clock::time_point next_poll = clock::now() + options_.poll_interval;
  alignas(struct inotify_event) std::array<char, 16384> events{};

  while (!stopping_.load()) {
    const clock::time_point now = clock::now();
    int timeout_ms = -1;
    auto consider = [&](clock::time_point at) {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(at - now).count();
      const int t = static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
      timeout_ms = timeout_ms < 0 ? t : std::min(timeout_ms, t);
    };
    if (pending) consider(std::min(last_event + options_.debounce, first_event + options_.max_delay));
    if (polling) consider(next_poll);

    std::array<pollfd, 2> fds{pollfd{wake_fd_, POLLIN, 0}, pollfd{inotify_fd_, POLLIN, 0}};
    const int n = ::poll(fds.data(), inotify_fd_ >= 0 ? 2 : 1, timeout_ms);
    if (stopping_.load()) break;
    if (n > 0 && (fds[0].revents & POLLIN) != 0) {
      std::uint64_t value = 0;
      [[maybe_unused]] auto r = ::read(wake_fd_, &value, sizeof value);
      if (triggered_.exchange(false)) {
        refresh_watches();
        check_groups("signal", true);
      }
    }
    if (n > 0 && inotify_fd_ >= 0 && (fds[1].revents & POLLIN) != 0) {
      bool relevant = false;
      while (true) {
        const ssize_t len = ::read(inotify_fd_, events.data(), events.size());
        if (len <= 0) break;
        for (ssize_t off = 0; off < len;) {
          const auto* ev = reinterpret_cast<const struct inotify_event*>(events.data() + off);
          if ((ev->mask & IN_IGNORED) == 0) relevant = true;  // IN_IGNORED: a watch we removed
          off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
        }
      }
      if (relevant) {
        const clock::time_point t = clock::now();
        if (!pending) first_event = t;
        pending = true;
        last_event = t;
      }
    }
    const clock::time_point after = clock::now();
    if (pending && (after >= last_event + options_.debounce || after >= first_event + options_.max_delay)) {
      pending = false;
      refresh_watches();
      check_groups("change", false);
    }
    if (polling && after >= next_poll) {
      refresh_watches();
      check_groups("poll", false);
      next_poll = clock::now() + options_.poll_interval;
    }
  }
}

}  // namespace peergate::webhook::server
