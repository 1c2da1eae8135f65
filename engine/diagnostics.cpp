#include "engine/diagnostics.hpp"

#include <algorithm>
#include <tuple>
#include <boost/json.hpp>

namespace peergate {

void diagnostics::add(severity level, std::string code, source_location where, std::string message,
                      std::string source_line) {
  items_.push_back({level, std::move(code), std::move(where), std::move(message), std::move(source_line)});
}

void diagnostics::append(const diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

void diagnostics::sort_from(std::size_t first) {
  if (first >= items_.size()) return;
  std::stable_sort(items_.begin() + static_cast<std::ptrdiff_t>(first), items_.end(),
                   [](const diagnostic& a, const diagnostic& b) {
                     return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
                   });
}

std::size_t diagnostics::error_count() const {
  return std::count_if(items_.begin(), items_.end(), [](const diagnostic& d) { return d.level == severity::error; });
}

std::size_t diagnostics::warning_count() const { return items_.size() - error_count(); }

static std::string location_prefix(const source_location& where) {
  std::string out = where.file.empty() ? std::string("<input>") : where.file;
  if (where.line > 0) {
    out += ':' + std::to_string(where.line);
    if (where.column > 0) out += ':' + std::to_string(where.column);
  }
  return out;
}

std::string render_diagnostic(const diagnostic& d) {
  std::string out = location_prefix(d.where);
  out += d.level == severity::error ? ": error: " : ": warning: ";
  out += d.message;
  if (!d.code.empty()) out += " [" + d.code + "]";
  out += '\n';
  if (!d.source_line.empty()) {
    out += "  " + d.source_line + "\n  ";
    // Keep tabs so the caret lines up under the same column as in the editor.
    const int col = std::max(1, d.where.column);
    for (int i = 1; i < col && i <= static_cast<int>(d.source_line.size()); ++i)
      out += d.source_line[i - 1] == '\t' ? '\t' : ' ';
    out += "^\n";
  }
  return out;
}

std::string diagnostics::render_text() const {
  std::string out;
  for (const auto& d : items_) out += render_diagnostic(d);
  return out;
}

std::string diagnostics::summary() const {
  auto plural = [](std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  return plural(error_count(), "error") + ", " + plural(warning_count(), "warning");
}

std::string diagnostics::render_json() const {
  boost::json::array list;
  for (const auto& d : items_) {
    list.push_back(boost::json::object{
        {"severity", d.level == severity::error ? "error" : "warning"},
        {"code", d.code},
        {"file", d.where.file},
        {"line", d.where.line},
        {"column", d.where.column},
        {"message", d.message},
    });
  }
  boost::json::object out{{"diagnostics", std::move(list)},
                          {"errors", error_count()},
                          {"warnings", warning_count()}};
  return boost::json::serialize(out);
}

}  // namespace peergate
