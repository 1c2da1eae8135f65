#include "engine/policy/loader.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/files_under.hpp"
#include "engine/policy/compiler.hpp"
#include "engine/policy/embedded.hpp"

namespace peergate {

namespace fs = std::filesystem;

namespace {

policy_texts embedded_policy_texts() {
  policy_texts texts;
  for (const auto& f : embedded_policy_files())
    texts.sources.push_back({"<embedded>/policies/" + std::string(f.path), std::string(f.text)});
  return texts;
}

}  // namespace

policy_texts read_policy_texts(const std::vector<std::string>& paths) {
  if (paths.empty()) return embedded_policy_texts();
  policy_texts result;
  auto read_file = [&](const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      result.problems.add(diagnostic_code::unreadable_file, {file.string(), 0, 0}, "cannot read file");
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    result.sources.push_back({file.string(), text.str()});
  };
  for (const auto& path : paths) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      result.problems.add(diagnostic_code::unreadable_file, {path, 0, 0}, "no such file or directory");
      continue;
    }
    if (!fs::is_directory(status)) {
      read_file(path);
      continue;
    }
    const std::vector<fs::path> files = files_under(path, {".yaml", ".yml"}, ec);
    if (ec)
      result.problems.add(diagnostic_code::unreadable_file, {path, 0, 0}, "cannot read directory: " + ec.message());
    for (const auto& f : files) read_file(f);
  }
  return result;
}

load_result load_policy_texts(const policy_texts& texts, const mutation_defaults& defaults, load_time now) {
  source_lines lines;
  diagnostics problems;
  diagnostic_reporter out(problems, lines);
  policy_collector collector(defaults);
  std::vector<std::string> file_order;
  for (const auto& source : texts.sources) {
    lines.add(source.path, source.text);
    collector.collect(source.path, read_policy_file(source, out), out);
    file_order.push_back(source.path);
  }
  policy_set set = compile_policy_set(std::move(collector).finish(), out, now);
  // Each file's problems together and in line order, as an editor lists them, whichever step
  // found them; the files in load order, after the problems of reading them.
  problems.sort(file_order);

  load_result result;
  result.problems = texts.problems;
  result.problems.append(problems);
  if (!result.problems.has_errors()) result.policies = std::make_shared<const policy_set>(std::move(set));
  return result;
}

load_result load_policies(const std::vector<std::string>& paths, const mutation_defaults& defaults, load_time now) {
  return load_policy_texts(read_policy_texts(paths), defaults, now);
}

}  // namespace peergate
