#include "engine/match/name_matcher.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

namespace peergate {

struct name_matcher::compiled {
  explicit compiled(const RE2::Options& options) : set(options, RE2::ANCHOR_BOTH) {}
  RE2::Set set;
};

name_matcher::name_matcher() = default;
name_matcher::name_matcher(name_matcher&&) noexcept = default;
name_matcher& name_matcher::operator=(name_matcher&&) noexcept = default;
name_matcher::~name_matcher() = default;

std::string name_pattern::display() const {
  switch (type) {
    case kind::exact:
    case kind::glob:
      return text;
    case kind::regex:
      return "/" + text + "/";
  }
  return text;
}

std::string glob_to_regex(std::string_view glob) {
  std::string out;
  out.reserve(glob.size() * 2);
  for (char c : glob) {
    if (c == '*') {
      out += ".*";
    } else if (c == '?') {
      out += '.';
    } else {
      out += RE2::QuoteMeta(std::string_view(&c, 1));
    }
  }
  return out;
}

// RE2 bounds the memory of a compiled program and its DFA cache (8 MiB by default, which some
// 25 000 patterns exhaust). The budget grows with the number of patterns, so large allow-lists
// load, while small ones keep the default.
static RE2::Options matcher_options(std::size_t patterns = 0) {
  RE2::Options options;
  options.set_max_mem((std::int64_t{8} << 20) + static_cast<std::int64_t>(patterns) * 4096);
  options.set_log_errors(false);
  // Names are bytes to us: `.` and `?` must match one byte, never lean on UTF-8 decoding.
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_dot_nl(true);
  return options;
}

std::optional<std::string> name_matcher::add(name_pattern pattern) {
  switch (pattern.type) {
    case name_pattern::kind::exact:
      exact_.insert(pattern.text);
      break;
    case name_pattern::kind::glob:
      regexes_.push_back(glob_to_regex(pattern.text));
      set_index_.push_back(patterns_.size());
      break;
    case name_pattern::kind::regex: {
      // Parsed here, alone, so the author gets RE2's own reason for this very pattern; the set
      // is built from the sources in compile().
      RE2 probe(pattern.text, matcher_options());
      if (!probe.ok()) return probe.error();
      regexes_.push_back(pattern.text);
      set_index_.push_back(patterns_.size());
      break;
    }
  }
  patterns_.push_back(std::move(pattern));
  return std::nullopt;
}

std::optional<std::string> name_matcher::compile() {
  compiled_.reset();
  if (regexes_.empty()) return std::nullopt;
  auto built = std::make_unique<compiled>(matcher_options(regexes_.size()));
  for (const auto& source : regexes_) {
    std::string error;
    if (built->set.Add(source, &error) < 0) return "pattern " + source + ": " + error;
  }
  if (!built->set.Compile())
    return "the " + std::to_string(regexes_.size()) + " globs and regexes exceed RE2's memory budget";
  compiled_ = std::move(built);
  return std::nullopt;
}

std::vector<std::size_t> name_matcher::matching_patterns(std::string_view name) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < patterns_.size(); ++i)
    if (patterns_[i].type == name_pattern::kind::exact && patterns_[i].text == name) out.push_back(i);
  std::vector<int> hits;
  if (compiled_ && compiled_->set.Match(name, &hits))
    for (int h : hits) out.push_back(set_index_[static_cast<std::size_t>(h)]);
  std::sort(out.begin(), out.end());
  return out;
}

bool name_matcher::matches(std::string_view name) const {
  if (exact_.contains(name)) return true;
  if (!compiled_) return false;
  return compiled_->set.Match(name, nullptr);
}

}  // namespace peergate
