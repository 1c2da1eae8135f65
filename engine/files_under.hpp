#pragma once
// The one directory walk used for policies, test suites and audit manifests.

#include <filesystem>
#include <initializer_list>
#include <string_view>
#include <system_error>
#include <vector>

namespace peergate {

// Regular files under `dir` whose extension is one of `extensions` (".yaml", ...), recursively,
// following directory symlinks, in path order. Hidden entries are skipped: a Kubernetes
// ConfigMap mount keeps its real files in hidden "..<timestamp>" directories and links to them,
// so reading hidden entries would read every file twice. `ec` is set when the walk fails.
std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir,
                                               std::initializer_list<std::string_view> extensions, std::error_code& ec);

}  // namespace peergate
