#include "audit/report.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>
#include <numeric>
#include <tuple>

namespace peergate::audit {

const char* to_string(result r) {
  switch (r) {
    case result::fail: return "fail";
    case result::error: return "error";
    case result::warn: return "warn";
    case result::pass: return "pass";
    case result::skip: return "skip";
  }
  return "error";
}

std::string actions_text(std::uint8_t actions) {
  std::string out;
  auto add = [&](std::uint8_t bit, const char* word) {
    if (!(actions & bit)) return;
    if (!out.empty()) out += ", ";
    out += word;
  };
  add(action_deny, "Deny");
  add(action_warn, "Warn");
  add(action_audit, "Audit");
  return out;
}

namespace {

// A 64-bit hash of a text, 8 bytes at a time (a multiply and a shift each): the pool's texts are
// short (names, kinds) or sentences (messages), and its table only needs them spread.
std::uint64_t text_hash(std::string_view text) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ text.size();
  const char* p = text.data();
  std::size_t n = text.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  std::uint64_t last = 0;
  if (n != 0) std::memcpy(&last, p, n);  // an empty view's data() may be null
  h = (h ^ last) * 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 29);
}

constexpr std::size_t text_block_bytes = 64 * 1024;

}  // namespace

text_pool::text_pool() : slots_(64, 0) {
  texts_.emplace_back();
  place(text_hash(""), 0);
}

std::string_view text_pool::store(std::string_view text) {
  if (text.empty()) return {};
  if (text.size() > block_left_) {
    const std::size_t bytes = std::max(text_block_bytes, text.size());
    blocks_.emplace_back(new char[bytes]);
    next_ = blocks_.back().get();
    block_left_ = bytes;
  }
  char* at = next_;
  std::memcpy(at, text.data(), text.size());
  next_ += text.size();
  block_left_ -= text.size();
  return {at, text.size()};
}

void text_pool::place(std::uint64_t hash, std::uint32_t id) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t slot = hash & mask;
  while (slots_[slot] != 0) slot = (slot + 1) & mask;
  slots_[slot] = (hash & 0xFFFFFFFF00000000ull) | (std::uint64_t{id} + 1);
}

std::uint32_t text_pool::intern(std::string_view text) {
  const std::uint64_t hash = text_hash(text);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t slot = hash & mask; slots_[slot] != 0; slot = (slot + 1) & mask) {
    const std::uint64_t entry = slots_[slot];
    if ((entry >> 32) != (hash >> 32)) continue;
    const auto id = static_cast<std::uint32_t>((entry & 0xFFFFFFFFull) - 1);
    if (texts_[id] == text) return id;
  }
  const auto id = static_cast<std::uint32_t>(texts_.size());
  texts_.push_back(store(text));
  if (2 * texts_.size() > slots_.size()) {  // at most half full: rebuilt twice as large
    std::vector<std::uint64_t>(2 * slots_.size(), 0).swap(slots_);
    for (std::uint32_t i = 0; i < texts_.size(); ++i) place(text_hash(texts_[i]), i);
  } else {
    place(hash, id);
  }
  return id;
}

result row::worst() const {
  result w = result::skip;
  for (const auto& r : results) w = worse(w, r.outcome);
  return w;
}

std::string report::object_label(const row& r) const {
  if (r.kind == 0 && r.name.empty()) return "(unreadable item)";
  std::string out(r.kind == 0 ? std::string_view("(no kind)") : str(r.kind));
  out += '/';
  out += r.name.empty() ? std::string("(unnamed)") : r.name;
  if (r.generated_name) out += '*';
  return out;
}

std::string report::message(const row& r, const row_result& x) const {
  std::string out;
  append_message(out, r, x);
  return out;
}

void report::append_message(std::string& out, const row& r, const row_result& x) const {
  std::string_view stored = str(x.message);
  for (std::size_t at; (at = stored.find(name_placeholder)) != std::string_view::npos; stored.remove_prefix(at + 1)) {
    out.append(stored.substr(0, at));
    out += r.name;
  }
  out.append(stored);
}

std::uint32_t report::intern_message(std::string_view message, std::string_view name) {
  // Every result of every object comes here: the texts are made in buffers kept for the next call.
  thread_local std::string stored, templ;
  stored.assign(message);
  // A control character in a message is dropped by the apiserver anyway; this one would be
  // read back as the name.
  for (char& c : stored)
    if (c == name_placeholder) c = '?';
  if (name.size() >= 2) {
    // Every occurrence, left to right, found with find() rather than a compare at each byte: this
    // runs for every result of every object.
    templ.clear();
    std::size_t from = 0;
    for (std::size_t at; (at = stored.find(name, from)) != std::string::npos; from = at + name.size()) {
      templ.append(stored, from, at - from);
      templ += name_placeholder;
    }
    templ.append(stored, from);
    stored.swap(templ);
  }
  return text.intern(stored);
}

std::string report::position_label(const row& r) const {
  std::string out(str(r.source));
  if (r.line) out += ":" + std::to_string(r.line);
  if (!r.where.empty()) out += (out.empty() ? "" : " ") + r.where;
  return out;
}

std::string report::column_label(std::uint32_t c) const {
  const column& col = columns[c];
  if (col.rule == "allowed-namespaces") return col.policy;
  return col.policy + " (" + col.rule + ")";
}

std::uint64_t counts::total() const {
  std::uint64_t n = 0;
  for (auto v : by_result) n += v;
  return n;
}

result counts::worst() const {
  for (result r : all_results)
    if ((*this)[r]) return r;
  return result::skip;
}

namespace {

// Puts rows[order[k]] at k: moves the rows along the permutation's cycles, where a sorted copy
// would need as much memory again as the rows.
void apply_order(std::deque<row>& rows, const std::vector<std::uint32_t>& order) {
  std::vector<bool> placed(rows.size(), false);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (placed[i] || order[i] == i) continue;
    row held = std::move(rows[i]);
    std::size_t j = i;
    while (true) {
      placed[j] = true;
      const std::size_t from = order[j];
      if (from == i) {
        rows[j] = std::move(held);
        break;
      }
      rows[j] = std::move(rows[from]);
      j = from;
    }
  }
}

// The rank of each text of the pool in the order of the texts (rank[id]): as the pool holds each
// text once, comparing two ranks compares the two texts.
std::vector<std::uint32_t> text_ranks(const text_pool& pool) {
  std::vector<std::uint32_t> ids(pool.size());
  std::iota(ids.begin(), ids.end(), 0u);
  std::sort(ids.begin(), ids.end(), [&](std::uint32_t a, std::uint32_t b) { return pool.at(a) < pool.at(b); });
  std::vector<std::uint32_t> rank(ids.size());
  for (std::uint32_t r = 0; r < ids.size(); ++r) rank[ids[r]] = r;
  return rank;
}

// Counts per interned text (a namespace, a user), then listed in the texts' order, as a map by
// name would list them.
class counts_by_text {
 public:
  explicit counts_by_text(std::size_t texts) : counts_(texts), seen_(texts, false) {}
  counts& operator[](std::uint32_t id) {
    if (!seen_[id]) {
      seen_[id] = true;
      ids_.push_back(id);
    }
    return counts_[id];
  }
  std::vector<std::pair<std::string, counts>> by_name(const report& rep) {
    std::sort(ids_.begin(), ids_.end(), [&](std::uint32_t a, std::uint32_t b) { return rep.str(a) < rep.str(b); });
    std::vector<std::pair<std::string, counts>> out;
    out.reserve(ids_.size());
    for (std::uint32_t id : ids_) out.emplace_back(std::string(rep.str(id)), counts_[id]);
    return out;
  }

 private:
  std::vector<counts> counts_;
  std::vector<bool> seen_;
  std::vector<std::uint32_t> ids_;  // in the order first seen
};

}  // namespace

// Namespaces and users are counted by their interned id, not looked up by name: a row costs two
// indexings. summarize_reference() is the plain way, kept for the tests.
report_summary summarize(const report& rep) {
  report_summary s;
  s.by_column.resize(rep.columns.size());
  const bool log = rep.origin == report_origin::log;
  counts_by_text namespaces(rep.text.size()), users(log ? rep.text.size() : 0);
  for (const row& r : rep.rows) {
    ++s.rows;
    s.pods += r.pods;
    counts& ns = namespaces[r.namespace_name];
    counts* user = log ? &users[r.user] : nullptr;
    for (const row_result& res : r.results) {
      s.total.add(res.outcome, res.count);
      s.by_column[res.column].add(res.outcome, res.count);
      ns.add(res.outcome, res.count);
      if (user) user->add(res.outcome, res.count);
    }
  }
  s.by_namespace = namespaces.by_name(rep);
  for (const auto& [name, c] : s.by_namespace)
    if (!name.empty()) ++s.namespaces;
  s.by_user = users.by_name(rep);
  return s;
}

// Sorts keys that hold what most comparisons need: the ranks of the namespace and kind in one
// integer, and a view of the name; the rest is read from the rows only for equal names. The
// original index comes last, so the order is the stable one sort_rows_reference() gives.
void sort_rows(report& rep) {
  auto& rows = rep.rows;
  const std::vector<std::uint32_t> rank = text_ranks(rep.text);
  struct sort_key {
    std::uint64_t group;  // rank of the namespace, then of the kind
    std::string_view name;
    std::uint32_t index;
  };
  std::vector<std::uint32_t> order(rows.size());
  {
    std::vector<sort_key> keys;
    keys.reserve(rows.size());
    for (std::uint32_t i = 0; i < rows.size(); ++i) {
      const row& r = rows[i];
      keys.push_back({std::uint64_t{rank[r.namespace_name]} << 32 | rank[r.kind], r.name, i});
    }
    std::sort(keys.begin(), keys.end(), [&](const sort_key& a, const sort_key& b) {
      if (a.group != b.group) return a.group < b.group;
      if (const int c = a.name.compare(b.name); c != 0) return c < 0;
      const row& x = rows[a.index];
      const row& y = rows[b.index];
      return std::make_tuple(rank[x.source], x.line, std::string_view(x.where), rank[x.user], a.index) <
             std::make_tuple(rank[y.source], y.line, std::string_view(y.where), rank[y.user], b.index);
    });
    for (std::size_t k = 0; k < keys.size(); ++k) order[k] = keys[k].index;
  }
  apply_order(rows, order);
}

report_summary summarize_reference(const report& rep) {
  report_summary s;
  s.by_column.resize(rep.columns.size());
  std::map<std::string_view, counts> namespaces, users;
  for (const row& r : rep.rows) {
    ++s.rows;
    s.pods += r.pods;
    counts& ns = namespaces[rep.str(r.namespace_name)];
    counts* user = rep.origin == report_origin::log ? &users[rep.str(r.user)] : nullptr;
    for (const row_result& res : r.results) {
      s.total.add(res.outcome, res.count);
      s.by_column[res.column].add(res.outcome, res.count);
      ns.add(res.outcome, res.count);
      if (user) user->add(res.outcome, res.count);
    }
  }
  for (auto& [name, c] : namespaces) {
    if (!name.empty()) ++s.namespaces;
    s.by_namespace.emplace_back(std::string(name), c);
  }
  for (auto& [name, c] : users) s.by_user.emplace_back(std::string(name), c);
  return s;
}

void sort_rows_reference(report& rep) {
  auto& rows = rep.rows;
  auto key = [&](const row& r) {
    return std::make_tuple(rep.str(r.namespace_name), rep.str(r.kind), std::string_view(r.name), rep.str(r.source),
                           r.line, std::string_view(r.where), rep.str(r.user));
  };
  std::vector<std::uint32_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return key(rows[a]) < key(rows[b]); });
  apply_order(rows, order);
}

namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm): no time zone database,
// no dependence on TZ.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view text, std::size_t at, std::size_t n, int& out) {
  if (at + n > text.size()) return false;
  auto [p, ec] = std::from_chars(text.data() + at, text.data() + at + n, out);
  return ec == std::errc() && p == text.data() + at + n;
}

}  // namespace

std::string format_time_s(std::int64_t s) {
  std::time_t t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_time_us(std::int64_t us) {
  std::int64_t s = us / 1'000'000, frac = us % 1'000'000;
  if (frac < 0) frac += 1'000'000, --s;
  std::string out = format_time_s(s);
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06lldZ", static_cast<long long>(frac));
  out.replace(out.size() - 1, 1, buf);
  return out;
}

bool parse_time_us(std::string_view t, std::int64_t& us) {
  int year, month, day, hour, minute, second;
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' ||
      t[16] != ':')
    return false;
  if (!digits(t, 0, 4, year) || !digits(t, 5, 2, month) || !digits(t, 8, 2, day) || !digits(t, 11, 2, hour) ||
      !digits(t, 14, 2, minute) || !digits(t, 17, 2, second))
    return false;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  std::size_t i = 19;
  std::int64_t frac = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int n = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (n < 6) frac = frac * 10 + (t[i] - '0');
      ++n, ++i;
    }
    if (n == 0) return false;
    for (; n < 6; ++n) frac *= 10;
  }
  std::int64_t offset_s = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    int oh, om;
    if (!digits(t, i + 1, 2, oh) || !digits(t, i + 4, 2, om)) return false;
    offset_s = (oh * 3600 + om * 60) * (t[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return false;
  }
  if (i != t.size()) return false;
  const std::int64_t s = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                         hour * 3600 + minute * 60 + second - offset_s;
  us = s * 1'000'000 + frac;
  return true;
}

}  // namespace peergate::audit
