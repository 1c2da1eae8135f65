#include "audit/report.hpp"

#include <algorithm>
#include <charconv>
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

text_pool::text_pool() { intern(""); }

std::uint32_t text_pool::intern(std::string_view text) {
  if (auto it = ids_.find(text); it != ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(texts_.size());
  const std::string& stored = texts_.emplace_back(text);
  ids_.emplace(std::string_view(stored), id);
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
  const std::string_view stored = str(x.message);
  std::string out;
  out.reserve(stored.size() + r.name.size());
  for (char c : stored) {
    if (c == name_placeholder) out += r.name;
    else out += c;
  }
  return out;
}

std::uint32_t report::intern_message(std::string_view message, std::string_view name) {
  std::string stored(message);
  // A control character in a message is dropped by the apiserver anyway; this one would be
  // read back as the name.
  for (char& c : stored)
    if (c == name_placeholder) c = '?';
  if (name.size() >= 2) {
    // Every occurrence, left to right, found with find() rather than a compare at each byte: this
    // runs for every result of every object.
    std::string templ;
    templ.reserve(stored.size());
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

report_summary summarize(const report& rep) {
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

void sort_rows(report& rep) {
  auto& rows = rep.rows;
  auto key = [&](const row& r) {
    return std::make_tuple(rep.str(r.namespace_name), rep.str(r.kind), std::string_view(r.name), rep.str(r.source),
                           r.line, std::string_view(r.where), rep.str(r.user));
  };
  // Sorts indices, then moves the rows along the permutation's cycles: std::stable_sort on the
  // rows themselves would allocate a buffer as large as them.
  std::vector<std::uint32_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return key(rows[a]) < key(rows[b]); });
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
