#include "engine/files_under.hpp"

#include <algorithm>

namespace peergate {

namespace fs = std::filesystem;

std::vector<fs::path> files_under(const fs::path& dir, std::initializer_list<std::string_view> extensions,
                                  std::error_code& ec) {
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename().string().starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    const std::string ext = p.extension().string();
    if (it->is_regular_file() && std::find(extensions.begin(), extensions.end(), ext) != extensions.end())
      files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace peergate
