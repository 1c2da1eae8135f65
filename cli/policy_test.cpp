#include "cli/policy_test.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <ostream>

#include "cli/input.hpp"
#include "cli/result_expectations.hpp"
#include "cli/suite_source.hpp"
#include "engine/chain.hpp"
#include "engine/files_under.hpp"
#include "engine/json_fields.hpp"
#include "engine/json_patch.hpp"
#include "engine/policy/loader.hpp"
#include "webhook/digest_openssl.hpp"

namespace peergate::cli {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct suite_context {
  fs::path dir;  // paths in the suite are relative to its file
  std::string file;
  policy_snapshot policies;
  time_point now;  // --now, or the clock
};

// Reads the document a case points at, relative to the suite's folder.
std::optional<json::value> load_document(const suite_context& suite, const std::string& file, std::string& error) {
  auto text = read_input((suite.dir / file).string(), &error);
  if (!text) return std::nullopt;
  auto parsed = parse_documents(*text);
  if (!parsed.error.empty() || parsed.documents.size() != 1) {
    error = file + ": " + (parsed.error.empty() ? "expected exactly one document" : parsed.error);
    return std::nullopt;
  }
  return std::move(parsed.documents.front());
}

// Compares the decision with `expect`; each mismatch is one line of the diff. `results` is
// expect.results, read (and checked) with the suite.
std::vector<std::string> compare(const json::object& expect, const std::vector<result_expectation>& results,
                                 const admission_request& request, const decision& d) {
  std::vector<std::string> diff;
  auto mismatch = [&](const std::string& what, const std::string& want, const std::string& got) {
    diff.push_back(what + ": expected " + want + ", got " + got);
  };
  for (const auto& [key, want] : expect) {
    if (key == "allowed") {
      if (!want.is_bool() || want.get_bool() != d.allowed)
        mismatch("allowed", json::serialize(want), d.allowed ? "true" : "false");
    } else if (key == "code") {
      if (!want.is_int64() || want.get_int64() != d.code)
        mismatch("code", json::serialize(want), std::to_string(d.code));
    } else if (key == "messageContains") {
      json::array wanted = want.is_array() ? want.get_array() : json::array{want};
      for (const auto& w : wanted)
        if (!w.is_string() || d.message.find(std::string(w.get_string())) == std::string::npos)
          mismatch("message", "to contain " + json::serialize(w), json::serialize(json::value(d.message)));
    } else if (key == "warnings") {
      // Each listed text must be contained in one warning, and there are exactly as many.
      const json::array* wanted = want.if_array();
      json::array got;
      for (const auto& w : d.warnings) got.emplace_back(w);
      bool ok = wanted && wanted->size() == d.warnings.size();
      for (std::size_t i = 0; ok && i < wanted->size(); ++i)
        ok =
            (*wanted)[i].is_string() && d.warnings[i].find(std::string((*wanted)[i].get_string())) != std::string::npos;
      if (!ok) mismatch("warnings", json::serialize(want), json::serialize(got));
    } else if (key == "auditAnnotations") {
      const json::object* wanted = want.if_object();
      json::object got;
      for (const auto& [k, v] : d.audit_annotations) got[k] = v;
      bool ok = wanted && wanted->size() == got.size();
      if (ok)
        for (const auto& [k, v] : *wanted)
          ok = ok && got.contains(k) && v.is_string() &&
               std::string(got.at(k).get_string()).find(std::string(v.get_string())) != std::string::npos;
      if (!ok) mismatch("auditAnnotations", json::serialize(want), json::serialize(got));
    } else if (key == "results") {
      const std::vector<std::string> unmet = compare_results(results, d.findings);
      diff.insert(diff.end(), unmet.begin(), unmet.end());
    } else if (key == "mutated") {
      if (!want.is_bool() || want.get_bool() != !d.patch.empty())
        mismatch("mutated", json::serialize(want), d.patch.empty() ? "false" : "true");
    } else if (key == "patched") {
      json::value after = request.object;
      std::string error;
      if (!json_patch::apply(after, d.patch.operations(), &error)) {
        diff.push_back("patch does not apply: " + error);
        continue;
      }
      if (!want.is_object()) {
        diff.push_back("patched: expected a mapping of JSON pointers to values");
        continue;
      }
      for (const auto& [pointer, value] : want.get_object()) {
        const json::value* found = json_patch::find(after, pointer);
        if (value.is_null() ? found != nullptr : (!found || *found != value))
          mismatch("patched " + std::string(pointer), value.is_null() ? "absent" : json::serialize(value),
                   found ? json::serialize(*found) : "absent");
      }
    } else {
      diff.push_back(
          "unknown expectation \"" + std::string(key) +
          "\" (known: allowed, code, messageContains, warnings, auditAnnotations, results, mutated, patched)");
    }
  }
  return diff;
}

case_result run_case(const suite_context& suite, const json::object& c,
                     const std::vector<result_expectation>& results) {
  case_result out;
  object_context context;
  context.namespace_name = string_field(c, "namespace");
  if (auto op = string_field(c, "operation"); !op.empty()) context.operation = op;
  if (auto it = c.find("user"); it != c.end()) {
    if (it->value().is_string()) {
      context.username = std::string(it->value().get_string());
    } else if (it->value().is_object()) {
      if (auto name = string_field(it->value().get_object(), "username"); !name.empty()) context.username = name;
      if (auto g = it->value().get_object().find("groups");
          g != it->value().get_object().end() && g->value().is_array())
        for (const auto& group : g->value().get_array())
          if (group.is_string()) context.groups.emplace_back(group.get_string());
    }
  }
  json::value document;
  std::string error;
  if (auto it = c.find("object"); it != c.end()) {
    document = it->value();
  } else if (auto file = string_field(c, "objectFile"); !file.empty()) {
    if (auto d = load_document(suite, file, error)) document = std::move(*d);
  } else if (auto file = string_field(c, "reviewFile"); !file.empty()) {
    if (auto d = load_document(suite, file, error)) document = std::move(*d);
  } else {
    error = "the case has no object, objectFile or reviewFile";
  }
  if (!error.empty()) {
    out.diff.push_back(error);
    return out;
  }
  auto decoded = review_from_document(document, context);
  if (!decoded.review) {
    out.diff.push_back("not a review or object: " + decoded.error);
    return out;
  }
  const std::string step_name = string_field(c, "step");
  if (!step_name.empty() && step_name != "admit" && step_name != "mutate" && step_name != "validate") {
    out.diff.push_back("unknown step \"" + step_name + "\" (expected admit, mutate or validate)");
    return out;
  }
  const step_kind step = step_name == "mutate"     ? step_kind::mutate
                         : step_name == "validate" ? step_kind::validate
                                                   : step_kind::admit;
  // A case may set its own time (exceptions that are active, expiring or expired).
  time_point now = suite.now;
  if (auto it = c.find("now"); it != c.end()) {
    std::string problem;
    const std::optional<time_point> at =
        it->value().is_string() ? parse_rfc3339(it->value().get_string(), &problem) : std::nullopt;
    if (!at) {
      out.diff.push_back("now: " + (problem.empty() ? std::string("must be an RFC 3339 time as a string") : problem));
      return out;
    }
    now = *at;
  }
  const evaluation_context evaluation{webhook::openssl_digests(), now};
  const decision d = run_step(step, decoded.review->request, *suite.policies, evaluation);
  auto expect = c.find("expect");
  if (expect == c.end() || !expect->value().is_object()) {
    out.diff.push_back("the case has no expect mapping");
    return out;
  }
  out.diff = compare(expect->value().get_object(), results, decoded.review->request, d);
  out.passed = out.diff.empty();
  return out;
}

// The expect.results of every case, read before any case runs: a misspelt word or a policy that
// is not loaded is a mistake of the suite, reported with its place. Returns false after printing
// the errors; warnings (ignored keys) are kept as the suite's notes and the suite runs.
bool read_suite_results(const suite_context& suite, const json::array& cases, const value_locator& where,
                        std::vector<std::vector<result_expectation>>& results, suite_result& out) {
  diagnostics problems;
  results.assign(cases.size(), {});
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const json::object* expect = object_field(cases[i].if_object(), "expect");
    const json::value* listed = expect != nullptr ? expect->if_contains("results") : nullptr;
    if (listed == nullptr) continue;
    results[i] =
        read_result_expectations(*listed, where["spec"]["cases"][i]["expect"]["results"],
                                 "spec.cases[" + std::to_string(i) + "].expect.results", *suite.policies, problems);
  }
  if (problems.has_errors()) {
    out.error = suite.file + ": its expected results have errors:";
    out.error_details = problems.render_text();
    return false;
  }
  out.notes = problems.render_text();
  return true;
}

// Runs one suite document; returns false when it is not readable as a suite at all.
bool run_suite(const fs::path& file, const json::object& suite_doc, const value_locator& where, time_point now,
               test_totals& totals, suite_result& out) {
  suite_context suite;
  suite.now = now;
  suite.dir = file.parent_path();
  suite.file = file.string();
  const json::object* spec = suite_doc.contains("spec") ? suite_doc.at("spec").if_object() : nullptr;
  if (!spec) {
    out.error = suite.file + ": a PeerPodPolicyTest needs a spec";
    return false;
  }
  std::vector<std::string> policy_paths;
  if (auto it = spec->find("policies"); it != spec->end() && it->value().is_array())
    for (const auto& p : it->value().get_array())
      if (p.is_string()) policy_paths.push_back((suite.dir / std::string(p.get_string())).lexically_normal().string());
  load_result loaded = load_policies(policy_paths, mutation_defaults::from_environment(), now);
  if (!loaded.ok()) {
    out.error = suite.file + ": its policies do not load:";
    out.error_details = loaded.problems.render_text();
    return false;
  }
  suite.policies = loaded.policies;
  const json::array* cases = spec->contains("cases") ? spec->at("cases").if_array() : nullptr;
  if (!cases || cases->empty()) {
    out.error = suite.file + ": spec.cases must be a non-empty list";
    return false;
  }
  std::vector<std::vector<result_expectation>> results;
  if (!read_suite_results(suite, *cases, where, results, out)) return false;
  for (std::size_t i = 0; i < cases->size(); ++i) {
    const json::object* case_obj = (*cases)[i].if_object();
    std::string name = case_obj ? string_field(*case_obj, "name") : std::string();
    if (name.empty()) name = "case " + std::to_string(i + 1);
    case_result result =
        case_obj ? run_case(suite, *case_obj, results[i]) : case_result{{}, false, {"a case must be a mapping"}};
    result.name = std::move(name);
    (result.passed ? totals.passed : totals.failed)++;
    out.cases.push_back(std::move(result));
  }
  return true;
}

}  // namespace

test_run run_policy_tests(const std::vector<std::string>& paths, time_point now) {
  test_run run;
  test_totals& totals = run.totals;
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      const std::vector<fs::path> found = files_under(p, {".yaml", ".yml"}, ec);
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.emplace_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  int suites = 0;
  for (const auto& file : files) {
    std::string error;
    auto text = read_input(file.string(), &error);
    if (!text) {
      run.suites.push_back(suite_result{.file = file.string(), .error = error});
      ++totals.broken_suites;
      continue;
    }
    auto parsed = parse_documents(*text);
    if (!parsed.error.empty()) {
      run.suites.push_back(suite_result{.file = file.string(), .error = file.string() + ":" + parsed.error});
      ++totals.broken_suites;
      continue;
    }
    const std::vector<value_locator> places = locate_documents(file.string(), *text, parsed.documents.size());
    for (std::size_t i = 0; i < parsed.documents.size(); ++i) {
      const json::object* obj = parsed.documents[i].if_object();
      if (!obj || string_field(*obj, "kind") != "PeerPodPolicyTest") continue;  // policies beside their tests
      ++suites;
      suite_result& result = run.suites.emplace_back();
      result.file = file.string();
      if (!run_suite(file, *obj, places[i], now, totals, result)) ++totals.broken_suites;
    }
  }
  if (suites == 0) {
    run.no_suite_found = true;
    ++totals.broken_suites;
  }
  return run;
}

void render_test_text(const test_run& run, std::ostream& out) {
  for (const suite_result& suite : run.suites) {
    if (!suite.error.empty()) {
      out << "ERROR " << suite.error << "\n" << suite.error_details;
      continue;
    }
    out << suite.notes;
    for (const case_result& c : suite.cases) {
      out << (c.passed ? "PASS  " : "FAIL  ") << suite.file << ": " << c.name << "\n";
      for (const auto& line : c.diff) out << "        " << line << "\n";
    }
  }
  if (run.no_suite_found) out << "ERROR " << no_suite_found_text << "\n";
  out << run.totals.passed << " passed, " << run.totals.failed << " failed\n";
}

}  // namespace peergate::cli
