#include "engine/match/name_matcher.hpp"

#include <re2/re2.h>
#include <re2/set.h>

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

static RE2::Options matcher_options() {
  RE2::Options options;
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
      break;
    case name_pattern::kind::regex: {
      // Checked alone first so the author gets RE2's own reason for this very pattern.
      RE2 probe(pattern.text, matcher_options());
      if (!probe.ok()) return probe.error();
      regexes_.push_back(pattern.text);
      break;
    }
  }
  patterns_.push_back(std::move(pattern));
  return std::nullopt;
}

std::optional<std::string> name_matcher::compile() {
  compiled_.reset();
  if (regexes_.empty()) return std::nullopt;
  auto built = std::make_unique<compiled>(matcher_options());
  for (const auto& source : regexes_) {
    std::string error;
    if (built->set.Add(source, &error) < 0) return "pattern " + source + ": " + error;
  }
  if (!built->set.Compile()) return "the patterns exceed RE2's memory budget";
  compiled_ = std::move(built);
  return std::nullopt;
}

bool name_matcher::matches(std::string_view name) const {
  if (exact_.contains(name)) return true;
  if (!compiled_) return false;
  return compiled_->set.Match(name, nullptr);
}

}  // namespace peergate
