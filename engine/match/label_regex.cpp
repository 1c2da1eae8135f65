#include "engine/match/label_regex.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <bitset>
#include <cctype>
#include <cstdint>
#include <optional>
#include <vector>

// RE2 has no public automaton API, so the pattern is parsed here (RE2's syntax) into a Thompson
// NFA, and the NFA is intersected with the DNS-1123 label automaton by a shortest-path search.
// Nothing is determinised: a label only tells "letter or digit" from "dash", so a product state is
// (NFA state, label position, lookahead) and the cost stays linear in the NFA size.
// RE2 remains the judge: the pattern must compile, and the example found is re-checked with it.

namespace peergate {
namespace {

using namespace std::literals;

constexpr int max_label_length = 63;
// Far beyond any hand-written namespace pattern; they bound the memory, stack and time spent at
// load time (RE2 itself accepts groups nested 100000 deep).
constexpr std::size_t max_nfa_states = 1 << 16;
constexpr int max_group_nesting = 200;

// Syntax the analysis does not model (or that RE2 rejects): the answer is "unknown", never a
// warning.
struct unsupported {};

// The code points an item matches, as far as a label can tell: ASCII, plus the two non-ASCII code
// points that (?i) folds onto ASCII letters, U+212A KELVIN SIGN ~ k and U+017F LONG S ~ s (bits
// 128 and 129), so that `(?i)[^\x{212A}]` correctly excludes `k`.
using char_set = std::bitset<130>;
constexpr std::size_t kelvin_sign = 128, long_s = 129;

char_set char_range(char32_t lo, char32_t hi) {
  char_set s;
  for (char32_t c = lo; c <= hi && c < 128; ++c) s.set(c);
  s[kelvin_sign] = lo <= 0x212A && 0x212A <= hi;
  s[long_s] = lo <= 0x17F && 0x17F <= hi;
  return s;
}

char_set fold_case(char_set s) {  // RE2's case folding orbits that touch ASCII
  for (char c = 'a'; c <= 'z'; ++c)
    if (s[c] || s[c - 32]) s.set(c).set(c - 32);
  for (auto [other, c] : {std::pair{kelvin_sign, 'k'}, {long_s, 's'}})
    if (s[other] || s[c]) s.set(other).set(c).set(c - 32);
  return s;
}

// Named classes as pairs of range bounds: POSIX [[:name:]] and Perl's \d \s \w.
// clang-format off
constexpr std::pair<std::string_view, std::string_view> named_classes[] = {
    {"alnum", "09AZaz"},  {"alpha", "AZaz"},  {"ascii", "\0\x7F"sv},  {"blank", "\t\t  "},
    {"cntrl", "\0\x1F\x7F\x7F"sv},          {"digit", "09"},        {"graph", "!~"},
    {"lower", "az"},      {"print", " ~"},    {"punct", "!/:@[`{~"},  {"space", "\t\r  "},
    {"upper", "AZ"},      {"word", "09AZaz__"},                      {"xdigit", "09AFaf"},
    {"d", "09"},          {"s", "\t\n\f\r  "},  {"w", "09AZaz__"}};
// clang-format on

std::optional<char_set> named_class(std::string_view name) {
  for (auto [n, ranges] : named_classes) {
    if (n != name) continue;
    char_set s;
    for (std::size_t i = 0; i < ranges.size(); i += 2) s |= char_range(ranges[i], ranges[i + 1]);
    return s;
  }
  return std::nullopt;
}

enum class assertion { begin_text, end_text, word_boundary, not_word_boundary };

// Parsed pattern. A character item keeps only what a label can use of it.
struct node {
  enum class kind { empty, chars, assert, concat, alternate, repeat } type = kind::empty;
  char alnum = 0;     // chars: a lowercase letter or digit it matches, 0 if none
  bool dash = false;  // chars: whether it matches '-'
  assertion what = assertion::begin_text;
  int min = 0, max = -1;  // repeat; max -1 is unbounded
  std::vector<node> children;
};

node chars_node(const char_set& s) {
  node n{node::kind::chars};
  for (char c : "abcdefghijklmnopqrstuvwxyz0123456789"sv)
    if (s[c] && !n.alnum) n.alnum = c;
  n.dash = s['-'];
  return n;
}

node assert_node(assertion a) {
  node n{node::kind::assert};
  n.what = a;
  return n;
}

// Whether the node can match the empty string whatever surrounds it (no assertion involved).
bool nullable(const node& n) {
  auto test = [](const node& c) { return nullable(c); };
  switch (n.type) {
    case node::kind::empty: return true;
    case node::kind::concat: return std::all_of(n.children.begin(), n.children.end(), test);
    case node::kind::alternate: return std::any_of(n.children.begin(), n.children.end(), test);
    case node::kind::repeat: return n.min == 0 || nullable(n.children[0]);
    default: return false;
  }
}

// The fewest characters the node consumes, saturated above the label length.
int min_width(const node& n) {
  int w = n.type == node::kind::chars ? 1 : n.type == node::kind::alternate ? max_label_length + 1 : 0;
  for (const node& c : n.children) {
    if (n.type == node::kind::concat) w = std::min(w + min_width(c), max_label_length + 1);
    if (n.type == node::kind::alternate) w = std::min(w, min_width(c));
    if (n.type == node::kind::repeat) w = std::min(n.min * min_width(c), max_label_length + 1);
  }
  return w;
}

// Recursive descent over RE2's syntax. Of the flags only `i` changes what a label can match: `m`
// moves ^ and $ to line ends (a label has no newline), `s` lets `.` match a newline, `U` changes
// greediness, not the language.
class parser {
 public:
  explicit parser(std::string_view pattern) : rest_(pattern) {}

  node parse() {
    node n = parse_alternation();
    if (!rest_.empty()) throw unsupported{};  // an unbalanced ')'
    return n;
  }

 private:
  std::string_view rest_;
  bool fold_case_ = false;
  int depth_ = 0;

  bool next_is(std::string_view s) const { return rest_.substr(0, s.size()) == s; }
  bool eat(std::string_view s) {
    if (!next_is(s)) return false;
    rest_.remove_prefix(s.size());
    return true;
  }
  char take() {
    if (rest_.empty()) throw unsupported{};
    char c = rest_[0];
    rest_.remove_prefix(1);
    return c;
  }
  std::string_view take_until(std::string_view end) {
    std::size_t at = rest_.find(end);
    if (at == std::string_view::npos) throw unsupported{};
    std::string_view taken = rest_.substr(0, at);
    rest_.remove_prefix(at + end.size());
    return taken;
  }

  node parse_alternation() {
    node alt{node::kind::alternate};
    do alt.children.push_back(parse_concat());
    while (eat("|"));
    if (alt.children.size() == 1) return std::move(alt.children[0]);
    return alt;
  }

  node parse_concat() {
    node seq{node::kind::concat};
    while (!rest_.empty() && rest_[0] != '|' && rest_[0] != ')') {
      std::optional<node> atom;
      if (eat("\\Q")) {
        // Quoted text; a quantifier after \E applies to its last character only.
        while (!rest_.empty() && !eat("\\E")) {
          if (atom) seq.children.push_back(std::move(*atom));
          atom = literal(code_point());
        }
      } else {
        atom = parse_atom();
      }
      for (int lo, hi; parse_quantifier(lo, hi);) {
        if (!atom) throw unsupported{};  // a quantifier after (?i)
        eat("?");                        // non-greedy: same language
        node rep{node::kind::repeat};
        rep.min = lo;
        rep.max = hi;
        rep.children.push_back(std::move(*atom));
        atom = std::move(rep);
      }
      if (atom) seq.children.push_back(std::move(*atom));
    }
    return seq;
  }

  bool parse_quantifier(int& lo, int& hi) {
    if (eat("*")) return lo = 0, hi = -1, true;
    if (eat("+")) return lo = 1, hi = -1, true;
    if (eat("?")) return lo = 0, hi = 1, true;
    return next_is("{") && parse_count(lo, hi);
  }

  // {n} {n,} {n,m}; anything else leaves '{' to be read as a literal, as RE2 does.
  bool parse_count(int& lo, int& hi) {
    std::string_view s = rest_.substr(1);
    auto number = [&s](int& out) {
      std::size_t n = 0;
      for (out = 0; n < s.size() && std::isdigit(static_cast<unsigned char>(s[n])); ++n)
        out = std::min(out * 10 + (s[n] - '0'), 100000);
      s.remove_prefix(n);
      return n != 0;
    };
    if (!number(lo)) return false;
    hi = lo;
    if (!s.empty() && s[0] == ',') {
      s.remove_prefix(1);
      if (!number(hi)) hi = -1;
    }
    if (s.empty() || s[0] != '}') return false;
    if (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo)) throw unsupported{};
    rest_ = s.substr(1);
    return true;
  }

  // nullopt for a flags-only group such as (?i), which changes how the rest is read.
  std::optional<node> parse_atom() {
    if (eat(".")) return chars_node(char_set{}.set());
    if (eat("^")) return assert_node(assertion::begin_text);
    if (eat("$")) return assert_node(assertion::end_text);
    if (next_is("(")) return parse_group();
    if (next_is("[")) return parse_class();
    if (next_is("*") || next_is("+") || next_is("?")) throw unsupported{};  // nothing to repeat
    bool approximate = false;
    if (std::optional<char_set> s = perl_or_unicode_class(approximate)) return chars_node(*s);
    if (!eat("\\")) return literal(code_point());
    if (eat("A")) return assert_node(assertion::begin_text);
    if (eat("z")) return assert_node(assertion::end_text);
    if (eat("b")) return assert_node(assertion::word_boundary);
    if (eat("B")) return assert_node(assertion::not_word_boundary);
    if (eat("C")) return chars_node(char_set{}.set());  // any byte; a label is ASCII
    return literal(escaped_char());
  }

  node literal(char32_t c) { return chars_node(with_flags(char_range(c, c), false)); }

  // RE2 folds a class before negating it, so (?i)\W excludes both k and U+212A.
  char_set with_flags(char_set s, bool negated) const {
    if (fold_case_) s = fold_case(s);
    return negated ? ~s : s;
  }

  std::optional<node> parse_group() {
    rest_.remove_prefix(1);  // '('
    if (++depth_ > max_group_nesting) throw unsupported{};
    bool saved = fold_case_;
    if (eat("?P<")) {
      take_until(">");
    } else if (eat("?")) {
      bool on = true, any = false;
      for (char f; (f = take()) != ':';) {
        if (f == ')') {
          if (!any) throw unsupported{};
          return std::nullopt;  // in force until the enclosing group closes, across '|'
        }
        if (f == '-' && on) on = false;
        else if (f == 'i') fold_case_ = on;
        else if (f != 'm' && f != 's' && f != 'U') throw unsupported{};  // lookaround, (?P=name)
        any = any || f != '-';
      }
    }
    node inner = parse_alternation();
    if (take() != ')') throw unsupported{};
    fold_case_ = saved;
    --depth_;
    return inner;
  }

  // \d \s \w and their negations, or \p \P Unicode classes, which are read as "any character"
  // (`approximate`). nullopt, consuming nothing, for any other input.
  std::optional<char_set> perl_or_unicode_class(bool& approximate) {
    char c = rest_.size() >= 2 && rest_[0] == '\\' ? rest_[1] : 0;
    if (c == 'p' || c == 'P') {
      rest_.remove_prefix(2);
      if (eat("{")) take_until("}");
      else code_point();
      approximate = true;
      return char_set{}.set();
    }
    if (!c || "dDsSwW"sv.find(c) == std::string_view::npos) return std::nullopt;
    rest_.remove_prefix(2);
    char name = static_cast<char>(std::tolower(c));
    return with_flags(*named_class({&name, 1}), std::isupper(c));
  }

  node parse_class() {
    rest_.remove_prefix(1);  // '['
    bool negated = eat("^");
    char_set set;
    bool approximate = false;
    for (bool first = true; first || !eat("]"); first = false) {
      if (next_is("[:") && rest_.find(":]") != std::string_view::npos) {
        rest_.remove_prefix(2);
        std::string_view name = take_until(":]");
        bool neg = name.substr(0, 1) == "^";
        std::optional<char_set> s = named_class(name.substr(neg ? 1 : 0));
        if (!s) throw unsupported{};
        set |= with_flags(*s, neg);
        continue;
      }
      if (std::optional<char_set> s = perl_or_unicode_class(approximate)) {
        set |= *s;
        continue;
      }
      char32_t lo = class_char(), hi = lo;
      if (rest_.size() >= 2 && rest_[0] == '-' && rest_[1] != ']') {
        rest_.remove_prefix(1);
        hi = class_char();
        if (hi < lo) throw unsupported{};
      }
      set |= with_flags(char_range(lo, hi), false);
    }
    // Negating the over-approximation of \p would under-approximate: no longer safe.
    if (negated && approximate) throw unsupported{};
    return chars_node(negated ? ~set : set);
  }

  char32_t class_char() { return eat("\\") ? escaped_char() : code_point(); }

  // The character after a backslash: octal, hex, C escapes, escaped punctuation.
  char32_t escaped_char() {
    char c = take();
    if (c == '0' || ('1' <= c && c <= '7' && !rest_.empty() && '0' <= rest_[0] && rest_[0] <= '7')) {
      char32_t code = c - '0';
      for (int i = 0; i < 2 && !rest_.empty() && '0' <= rest_[0] && rest_[0] <= '7'; ++i)
        code = code * 8 + (take() - '0');
      return code;
    }
    if (c == 'x') {
      bool braced = eat("{");
      std::string_view digits = braced ? take_until("}") : rest_.substr(0, 2);
      if (!braced) rest_.remove_prefix(digits.size());
      if (digits.empty() || digits.size() > 8 || (!braced && digits.size() != 2)) throw unsupported{};
      char32_t code = 0;
      for (char h : digits) {
        if (!std::isxdigit(static_cast<unsigned char>(h))) throw unsupported{};
        code = code * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (h | 0x20) - 'a' + 10);
      }
      return code;
    }
    if (std::size_t at = "afnrtv"sv.find(c); at != std::string_view::npos) return "\a\f\n\r\t\v"[at];
    if (static_cast<unsigned char>(c) < 0x80 && !std::isalnum(static_cast<unsigned char>(c))) return c;
    throw unsupported{};  // RE2 rejects any other escape
  }

  // One UTF-8 encoded code point (RE2 accepted the pattern, so the encoding is valid).
  char32_t code_point() {
    auto lead = static_cast<unsigned char>(take());
    int extra = lead < 0x80 ? 0 : lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : 3;
    char32_t code = extra == 0 ? lead : lead & (0x3F >> extra);
    for (int i = 0; i < extra; ++i) code = (code << 6) | (static_cast<unsigned char>(take()) & 0x3F);
    return code;
  }
};

// Thompson NFA. Every fragment has one entry and one exit (an epsilon state with no edge yet).
struct nfa_state {
  enum class kind : std::uint8_t { epsilon, chars, assert, match } type = kind::epsilon;
  assertion what = assertion::begin_text;
  char alnum = 0;
  bool dash = false;
  std::vector<int> next;
};

struct nfa {
  std::vector<nfa_state> states;
  struct fragment {
    int in, out;
  };

  int add(nfa_state s) {
    if (states.size() >= max_nfa_states) throw unsupported{};
    states.push_back(std::move(s));
    return static_cast<int>(states.size()) - 1;
  }
  void link(int from, int to) { states[from].next.push_back(to); }
  void append(fragment& f, fragment g) {
    link(f.out, g.in);
    f.out = g.out;
  }

  fragment build(const node& n) {
    if (n.type == node::kind::chars || n.type == node::kind::assert) {
      int out = add({});
      auto type = n.type == node::kind::chars ? nfa_state::kind::chars : nfa_state::kind::assert;
      return {add({type, n.what, n.alnum, n.dash, {out}}), out};
    }
    if (n.type == node::kind::repeat) return build_repeat(n.children[0], n.min, n.max);
    int in = add({});
    fragment f{in, n.type == node::kind::alternate ? add({}) : in};
    for (const node& c : n.children) {
      fragment g = build(c);
      if (n.type == node::kind::concat) append(f, g);
      else link(f.in, g.in), link(g.out, f.out);
    }
    return f;
  }

  // Counted repetition is expanded, so first bound the copies by what fits in 63 characters:
  // a child that consumes input fits at most 63 times; a child that can always match empty
  // can drop every copy beyond the 63 that consume something.
  fragment build_repeat(const node& child, int min, int max) {
    if (min_width(child) > 0 && min > max_label_length) return build(chars_node(char_set{}));
    if (nullable(child)) min = 0;
    if (min_width(child) > 0 || nullable(child)) max = std::min(max, max_label_length);
    fragment f = build(node{});
    for (int i = 0; i < min; ++i) append(f, build(child));
    if (max < 0) {  // child*
      fragment body = build(child);
      fragment loop{add({}), add({})};
      link(loop.in, body.in), link(body.out, loop.in), link(loop.in, loop.out);
      append(f, loop);
    }
    for (int i = min; i < max; ++i) {  // child?
      fragment body = build(child), opt{add({}), add({})};
      link(opt.in, body.in), link(opt.in, opt.out), link(body.out, opt.out);
      append(f, opt);
    }
    return f;
  }
};

// Where the label automaton is, and what an assertion already required of the next input
// (\b \B and $ look one character ahead).
enum position { at_start, after_alnum, after_dash };
enum lookahead { free, next_alnum, next_dash, next_end };
constexpr int position_count = 3, lookahead_count = 4;

bool assertion_holds(assertion a, int pos, int next) {
  bool prev_word = pos == after_alnum, next_word = next == next_alnum;
  switch (a) {
    case assertion::begin_text: return pos == at_start;
    case assertion::end_text: return next == next_end;
    case assertion::word_boundary: return prev_word != next_word;
    case assertion::not_word_boundary: return prev_word == next_word;
  }
  return false;
}

// Breadth-first by label length over (NFA state, position, lookahead): the first accepting
// product state gives a shortest label, and a product state reached at length n is never worth
// revisiting at a greater length.
std::optional<std::string> shortest_label(const std::vector<nfa_state>& states, int start, int accept) {
  auto id = [](int q, int pos, int la) { return (q * position_count + pos) * lookahead_count + la; };
  std::vector<int> parent(states.size() * position_count * lookahead_count, -2);  // -2: unseen
  std::vector<char> via(parent.size(), 0);  // the character that led here, 0 for none
  std::vector<int> layer, frontier{id(start, at_start, free)};
  parent[frontier[0]] = -1;
  auto visit = [&](std::vector<int>& into, int from, char c, int q, int pos, int la) {
    int v = id(q, pos, la);
    if (parent[v] != -2) return;
    parent[v] = from;
    via[v] = c;
    into.push_back(v);
  };
  for (int length = 0; !frontier.empty(); ++length) {
    layer.clear();
    for (std::vector<int> pending = std::move(frontier); !pending.empty();) {  // epsilon closure
      int u = pending.back();
      pending.pop_back();
      layer.push_back(u);
      int q = u / lookahead_count / position_count, pos = u / lookahead_count % position_count,
          la = u % lookahead_count;
      const nfa_state& s = states[q];
      if (q == accept && pos == after_alnum && (la == free || la == next_end)) {
        std::string label;
        for (int v = u; v >= 0; v = parent[v])
          if (via[v]) label.insert(label.begin(), via[v]);
        return label;
      }
      if (s.type == nfa_state::kind::epsilon) {
        for (int t : s.next) visit(pending, u, 0, t, pos, la);
      } else if (s.type == nfa_state::kind::assert && s.what == assertion::begin_text) {
        if (pos == at_start) visit(pending, u, 0, s.next[0], pos, la);
      } else if (s.type == nfa_state::kind::assert) {
        // Commit to each kind of next input that both the assertion and the lookahead allow.
        for (int n : {next_alnum, next_dash, next_end})
          if ((la == free || la == n) && assertion_holds(s.what, pos, n)) visit(pending, u, 0, s.next[0], pos, n);
      }
    }
    frontier.clear();
    if (length == max_label_length) break;
    for (int u : layer) {
      const nfa_state& s = states[u / lookahead_count / position_count];
      int pos = u / lookahead_count % position_count, la = u % lookahead_count;
      if (s.type != nfa_state::kind::chars) continue;
      if (s.alnum && (la == free || la == next_alnum)) visit(frontier, u, s.alnum, s.next[0], after_alnum, free);
      if (s.dash && pos != at_start && (la == free || la == next_dash))
        visit(frontier, u, '-', s.next[0], after_dash, free);
    }
  }
  return std::nullopt;
}

}  // namespace

label_match_analysis analyze_dns1123_label_match(std::string_view pattern) {
  using verdict = label_match_analysis::verdict;
  try {
    // Parsed before RE2 compiles it: the nesting bound also spares RE2 absurd patterns.
    nfa automaton;
    nfa::fragment f = automaton.build(parser(pattern).parse());
    int accept = automaton.add({nfa_state::kind::match});
    automaton.link(f.out, accept);
    RE2::Options options;
    options.set_log_errors(false);
    RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options);
    if (!re.ok()) return {};
    std::optional<std::string> example = shortest_label(automaton.states, f.in, accept);
    if (!example) return {verdict::never_matches, {}};
    // Our reading of the pattern disagrees with RE2's: trust RE2 and stay quiet.
    if (!RE2::FullMatch(*example, re)) return {};
    return {verdict::matches, std::move(*example)};
  } catch (const unsupported&) {
    return {};
  }
}

bool regex_can_match_dns1123_label(std::string_view pattern) {
  return analyze_dns1123_label_match(pattern).result != label_match_analysis::verdict::never_matches;
}

}  // namespace peergate
