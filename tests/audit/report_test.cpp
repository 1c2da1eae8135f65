// The report model's fast paths against the plain ways they replaced: sort_rows (keys of ranks)
// against sort_rows_reference (a stable sort on tuples of texts), summarize (counts by interned
// id) against summarize_reference (maps by name), on random reports with many equal keys; and
// text_pool's table.

#include "audit/report.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

using namespace peergate::audit;

namespace {

// A report whose rows share namespaces, kinds, names, sources, lines, positions and users often
// enough that every level of the order decides some comparisons, and some rows are equal in all
// of them (their order must stay the order they were added in). Each row's uid says which it is.
report random_report(std::mt19937_64& rng, std::size_t rows, report_origin origin) {
  report r;
  r.origin = origin;
  r.columns = {{"p", "allowed-namespaces", action_deny}, {"m", "accounting", action_warn}};
  const auto pick = [&](std::initializer_list<const char*> words) { return *(words.begin() + rng() % words.size()); };
  for (std::size_t i = 0; i < rows; ++i) {
    row x;
    x.namespace_name = r.text.intern(pick({"", "a", "b", "team-1", "team-10", "team-2", "Z", "a\x01"}));
    x.kind = r.text.intern(pick({"", "Pod", "Deployment", "Job", "pod"}));
    x.api_version = r.text.intern(pick({"v1", "apps/v1"}));
    x.name = pick({"", "web", "web-1", "web-10", "web-2", "a-very-long-name-that-is-not-short-0",
                   "a-very-long-name-that-is-not-short-1"});
    x.source = r.text.intern(pick({"a.json", "b.json", "<stdin>"}));
    x.line = rng() % 3;
    x.where = pick({"", "items[1]", "items[10]", "items[2]"});
    x.user = r.text.intern(pick({"", "alice", "bob"}));
    x.uid = std::to_string(i);
    x.pods = static_cast<std::uint32_t>(rng() % 3);
    for (std::uint16_t c = 0; c < 2; ++c)
      if (rng() % 4 != 0)
        x.results.push_back({c, all_results[rng() % result_count], 0, r.text.intern(pick({"m1", "m2"})),
                             static_cast<std::uint32_t>(1 + rng() % 3)});
    r.rows.push_back(std::move(x));
  }
  return r;
}

std::vector<std::string> uids(const report& r) {
  std::vector<std::string> out;
  for (const row& x : r.rows) out.push_back(x.uid);
  return out;
}

bool same(const counts& a, const counts& b) { return a.by_result == b.by_result; }

void require_same(const report_summary& a, const report_summary& b) {
  REQUIRE(a.rows == b.rows);
  REQUIRE(a.pods == b.pods);
  REQUIRE(a.namespaces == b.namespaces);
  REQUIRE(same(a.total, b.total));
  REQUIRE(a.by_column.size() == b.by_column.size());
  for (std::size_t c = 0; c < a.by_column.size(); ++c) REQUIRE(same(a.by_column[c], b.by_column[c]));
  for (auto lists : {&report_summary::by_namespace, &report_summary::by_user}) {
    const auto& x = a.*lists;
    const auto& y = b.*lists;
    REQUIRE(x.size() == y.size());
    for (std::size_t k = 0; k < x.size(); ++k) {
      REQUIRE(x[k].first == y[k].first);
      REQUIRE(same(x[k].second, y[k].second));
    }
  }
}

}  // namespace

TEST_CASE("sort_rows and summarize give what their references give, on random reports", "[audit][report]") {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 300; ++round) {
    const std::size_t rows = rng() % 400;
    const report_origin origin = round % 2 ? report_origin::log : report_origin::objects;
    const std::uint64_t seed = rng();
    std::mt19937_64 a_rng(seed), b_rng(seed);
    report fast = random_report(a_rng, rows, origin);
    report reference = random_report(b_rng, rows, origin);
    INFO("round " << round << ", " << rows << " rows");
    require_same(summarize(fast), summarize_reference(reference));
    sort_rows(fast);
    sort_rows_reference(reference);
    REQUIRE(uids(fast) == uids(reference));
    require_same(summarize(fast), summarize_reference(reference));
  }
}

TEST_CASE("text_pool: one id per text, views that stay valid", "[audit][report]") {
  std::mt19937_64 rng(99);
  text_pool pool;
  REQUIRE(pool.intern("") == 0);
  REQUIRE(pool.at(0).empty());
  std::unordered_map<std::string, std::uint32_t> ids;
  std::vector<std::string> texts;
  for (int i = 0; i < 30000; ++i) {
    const std::size_t size = rng() % 1000 == 0 ? 70000 + rng() % 70000 : rng() % 40;  // some larger than a block
    std::string t(size, 'a');
    for (std::size_t k = 0; k < std::min<std::size_t>(size, 40); ++k) t[k] = "ab\x01\0"[rng() % 4];
    if (rng() % 3 == 0 && !texts.empty()) t = texts[rng() % texts.size()];
    const std::uint32_t id = pool.intern(t);
    const auto [it, added] = ids.emplace(t, id);
    REQUIRE(it->second == id);  // the same text, the same id
    if (added) texts.push_back(t);
    if (t.empty()) REQUIRE(id == 0);
  }
  REQUIRE(pool.size() == ids.size() + (ids.count("") ? 0 : 1));
  std::set<std::uint32_t> distinct;
  for (const auto& [text, id] : ids) {
    REQUIRE(pool.at(id) == text);  // every view still valid after the table grew
    distinct.insert(id);
  }
  REQUIRE(distinct.size() == ids.size());
  text_pool moved = std::move(pool);
  for (const auto& [text, id] : ids) REQUIRE(moved.at(id) == text);
}
