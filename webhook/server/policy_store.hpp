#pragma once
// The policy set being served: an immutable snapshot behind a shared_ptr that a reload swaps
// (published<>, a mutex-guarded pointer). A request takes one snapshot for its whole life, so it
// always sees one consistent set. reload() builds a new set off the I/O threads and swaps it in only when it loaded
// with no errors; a broken reload keeps the last good set, logs every diagnostic and is counted.

#include <memory>
#include <string>
#include <vector>

#include "engine/policy/loader.hpp"
#include "engine/policy/model.hpp"
#include "webhook/server/published.hpp"

namespace peergate::webhook::server {

class metrics;

// A short, stable name for the content of a policy set: the first 12 hex digits of the SHA-256
// of its texts in load order, each preceded by its length (so that moving a line between two files
// changes it). Paths are left out: replicas mounting the same ConfigMap elsewhere agree.
std::string policy_content_hash(const std::vector<policy_source>& sources);

class policy_store {
 public:
  // `paths` empty: the embedded defaults (load_policies with no paths).
  policy_store(std::vector<std::string> paths, metrics& m);

  // Loads and, when clean, swaps in. Blocking (reads files): start-up and the watcher thread
  // only. `cause` is logged ("startup", "change", "signal", "poll"). Returns whether the new set
  // is now being served.
  bool reload(const char* cause);

  policy_snapshot current() const { return current_.load(); }
  bool loaded() const { return current() != nullptr; }
  const std::vector<std::string>& paths() const { return paths_; }

  // Installs a set directly, without reading files (tests).
  void install_for_test(policy_snapshot snapshot);

 private:
  std::vector<std::string> paths_;
  metrics& metrics_;
  published<const policy_set> current_;
};

}  // namespace peergate::webhook::server
