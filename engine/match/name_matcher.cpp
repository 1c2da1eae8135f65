#include "engine/match/name_matcher.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <unordered_set>

namespace peergate {

namespace {

// Lets the exact-name set be probed with a string_view, without building a string per request.
struct transparent_string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

using exact_name_set = std::unordered_set<std::string, transparent_string_hash, std::equal_to<>>;

// RE2 bounds the memory of a compiled program and its DFA cache (8 MiB by default, which some
// 25 000 patterns exhaust). The budget grows with the number of patterns, so large allow-lists
// load, while small ones keep the default.
RE2::Options matcher_options(std::size_t patterns = 0) {
  RE2::Options options;
  options.set_max_mem((std::int64_t{8} << 20) + static_cast<std::int64_t>(patterns) * 4096);
  options.set_log_errors(false);
  // Names are bytes to us: `.` and `?` must match one byte, never lean on UTF-8 decoding.
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_dot_nl(true);
  return options;
}

// Past this many globs one RE2::Set pass is cheaper than trying each glob.
constexpr std::size_t direct_glob_limit = 8;

std::vector<std::string_view> direct_globs_of(const std::vector<name_pattern>& patterns) {
  std::vector<std::string_view> globs;
  for (const name_pattern& p : patterns)
    if (p.type == name_pattern::kind::glob) globs.push_back(p.text);
  if (globs.size() > direct_glob_limit) return {};
  return globs;
}

bool has_regex(const std::vector<name_pattern>& patterns) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [](const name_pattern& p) { return p.type == name_pattern::kind::regex; });
}

}  // namespace

struct name_matcher::compiled {
  compiled(std::vector<name_pattern> p, exact_name_set e, std::vector<std::size_t> s, std::unique_ptr<const RE2::Set> r)
      : patterns(std::move(p)), exact(std::move(e)), set_index(std::move(s)), regexes(std::move(r)) {}

  const std::vector<name_pattern> patterns;
  const exact_name_set exact;
  // The globs, when there are at most direct_glob_limit of them: tried one by one with
  // glob_matches before the set. The set is still built with them (for matching_patterns, for
  // the regexes, and so that a list loads or fails to load the same way); without a regex, a name
  // no direct glob matches needs no set.
  const std::vector<std::string_view> direct_globs = direct_globs_of(patterns);
  const bool set_after_globs = direct_globs.empty() || has_regex(patterns);
  const std::vector<std::size_t> set_index;       // regex i of the set is patterns[set_index[i]]
  const std::unique_ptr<const RE2::Set> regexes;  // null when there is no glob or regex
};

name_matcher::name_matcher() {
  static const std::shared_ptr<const compiled> nothing = build({}).matcher->state_;
  state_ = nothing;
}

name_matcher::name_matcher(std::shared_ptr<const compiled> state) : state_(std::move(state)) {}

const std::vector<name_pattern>& name_matcher::patterns() const { return state_->patterns; }

std::string name_pattern::display() const {
  switch (type) {
    case kind::exact:
    case kind::glob: return text;
    case kind::regex: return "/" + text + "/";
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

// The classic linear-time walk: on a mismatch after a '*', that star takes one more byte and the
// match resumes from there (only the last star needs revisiting: an earlier one can never do
// better than the later one already placed).
bool glob_matches(std::string_view glob, std::string_view name) {
  std::size_t g = 0;
  std::size_t n = 0;
  std::size_t star = std::string_view::npos;  // glob index after the last '*' seen
  std::size_t star_name = 0;                  // where that star's run ends in name so far
  while (n < name.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star = ++g;
      star_name = n;
    } else if (g < glob.size() && (glob[g] == '?' || glob[g] == name[n])) {
      ++g;
      ++n;
    } else if (star != std::string_view::npos) {
      g = star;
      n = ++star_name;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

std::optional<std::string> regex_syntax_error(std::string_view pattern) {
  RE2 probe(pattern, matcher_options());
  if (probe.ok()) return std::nullopt;
  return probe.error();
}

name_matcher_build name_matcher::build(std::vector<name_pattern> patterns) {
  name_matcher_build result;
  exact_name_set exact;
  std::vector<std::string> sources;  // RE2 sources of the globs and regexes, in order
  std::vector<std::size_t> set_index;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    const name_pattern& pattern = patterns[i];
    switch (pattern.type) {
      case name_pattern::kind::exact: exact.insert(pattern.text); continue;
      case name_pattern::kind::glob: sources.push_back(glob_to_regex(pattern.text)); break;
      case name_pattern::kind::regex: {
        // Parsed alone first, so the author gets RE2's own reason for this very pattern.
        if (auto error = regex_syntax_error(pattern.text)) {
          result.errors.push_back({i, std::move(*error)});
          continue;
        }
        sources.push_back(pattern.text);
        break;
      }
    }
    set_index.push_back(i);
  }
  if (!result.errors.empty()) return result;

  std::unique_ptr<RE2::Set> set;
  if (!sources.empty()) {
    set = std::make_unique<RE2::Set>(matcher_options(sources.size()), RE2::ANCHOR_BOTH);
    for (std::size_t k = 0; k < sources.size(); ++k) {
      std::string error;
      if (set->Add(sources[k], &error) < 0) result.errors.push_back({set_index[k], error});
    }
    if (!result.errors.empty()) return result;
    if (!set->Compile()) {
      result.errors.push_back(
          {std::nullopt, "the " + std::to_string(sources.size()) + " globs and regexes exceed RE2's memory budget"});
      return result;
    }
  }
  result.matcher = name_matcher(
      std::make_shared<const compiled>(std::move(patterns), std::move(exact), std::move(set_index), std::move(set)));
  return result;
}

std::vector<std::size_t> name_matcher::matching_patterns(std::string_view name) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < state_->patterns.size(); ++i)
    if (state_->patterns[i].type == name_pattern::kind::exact && state_->patterns[i].text == name) out.push_back(i);
  std::vector<int> hits;
  if (state_->regexes && state_->regexes->Match(name, &hits))
    for (int h : hits) out.push_back(state_->set_index[static_cast<std::size_t>(h)]);
  std::sort(out.begin(), out.end());
  return out;
}

bool name_matcher::matches(std::string_view name) const {
  // Most lists (exempt users and groups above all) are empty or hold no exact name: then the
  // name is not hashed. Every review asks them for the user and each of its groups.
  if (!state_->exact.empty() && state_->exact.contains(name)) return true;
  if (std::any_of(state_->direct_globs.begin(), state_->direct_globs.end(),
                  [name](std::string_view glob) { return glob_matches(glob, name); }))
    return true;
  return state_->set_after_globs && state_->regexes && state_->regexes->Match(name, nullptr);
}

}  // namespace peergate
