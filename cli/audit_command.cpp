#include "cli/audit_command.hpp"

#include <unistd.h>

#if defined(__GLIBC__) && defined(__linux__)
#include <malloc.h>
#include <sys/mman.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "audit/log_reader.hpp"
#include "audit/object_auditor.hpp"
#include "audit/object_stream.hpp"
#include "audit/render/render.hpp"
#include "engine/files_under.hpp"
#include "engine/policy/loader.hpp"
#include "webhook/digest_openssl.hpp"

namespace peergate::cli {

namespace {

namespace fs = std::filesystem;

struct audit_flags {
  std::vector<std::string> policies;
  std::vector<std::string> files;
  std::vector<std::string> logs;
  std::string format = "table";
  std::string output = "-";
  std::string fail_on = "never";
  std::string default_namespace = "default";
  std::string color = "auto";
  std::string now;  // --now; "" = the clock
  bool all = false;
};

// Thrown inside the command for bad input; the message is printed as is.
struct bad_input {
  std::string message;
};

std::string label_of(const std::string& path) { return path == "-" ? std::string("<stdin>") : path; }

// Manifests under a directory (files_under: recursive, path order, hidden entries skipped).
std::vector<fs::path> manifests_under(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> files = files_under(dir, {".json", ".yaml", ".yml"}, ec);
  if (ec) throw bad_input{dir + ": cannot read directory: " + ec.message()};
  return files;
}

// Reads one input into the auditor. An input named on the command line that cannot be read as
// a whole is bad input; one found in a directory becomes an error row and the audit goes on.
void read_input(audit::object_auditor& auditor, const std::string& path, bool named) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      if (named) throw bad_input{path + ": cannot read file"};
      auditor.add_unreadable(path, 0, "cannot read file");
      return;
    }
    in = &file;
  }
  const std::string label = label_of(path);
  auditor.begin_source(label);
  audit::stream_options options;
  options.reuse_item_memory = true;  // the auditor keeps nothing of an item's value
  const audit::stream_stats stats = audit::read_objects(
      *in, [&](audit::input_item&& item) { auditor.add(std::move(item)); }, options);
  if (in->bad()) {
    if (named) throw bad_input{label + ": read error"};
    auditor.add_unreadable(label, 0, "read error");
    return;
  }
  if (!stats.fatal.empty()) {
    if (named) throw bad_input{label + ": unreadable input: " + stats.fatal};
    auditor.add_unreadable(label, 0, "unreadable input: " + stats.fatal);
    return;
  }
  if (stats.empty() && named) throw bad_input{label + ": no Kubernetes objects found"};
}

// The report's rows fill tens of MiB of heap, page after page, and on a virtual machine each first
// touch of a 4 KiB page is an expensive fault (13 000 of them at 100 000 pods; with the TLB misses
// of small pages, about a fifth of the audit's CPU time). So the heap is grown by 80 MiB at once (glibc's main arena,
// by brk) and not given back during the audit, and that span is asked to be backed by transparent huge pages (used
// where the kernel's THP setting is `madvise` or `always`): one fault per 2 MiB. Only touched pages count in the
// resident set, as before (in steps of 2 MiB). Best effort: where it cannot be done, the heap grows as usual. Nothing
// here changes what is computed, only where memory comes from.
void tune_heap_for_rows() {
#if defined(__GLIBC__) && defined(__linux__)
  constexpr int span = 64 << 20;
  const auto before = reinterpret_cast<std::uintptr_t>(sbrk(0));
  mallopt(M_TRIM_THRESHOLD, 2 * span);  // what is freed stays in the heap, ready for the next rows
  // No fastbins (small chunks still go to the per-thread cache first): with a large free top, a
  // free that reaches it would consolidate every fastbin (malloc_consolidate, 2 % of the audit).
  mallopt(M_MXFAST, 0);
  mallopt(M_TOP_PAD, span);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: the allocation below comes from the heap
  {
    void* volatile grows_heap = std::malloc(16 << 20);
    std::free(grows_heap);
  }
  mallopt(M_MMAP_THRESHOLD, 128 << 10);  // glibc's default (now fixed: it no longer adapts)
  mallopt(M_TOP_PAD, 0);
  const std::uintptr_t huge_page = std::uintptr_t{2} << 20;
  const std::uintptr_t from = (before + huge_page - 1) & ~(huge_page - 1);
  const auto top = reinterpret_cast<std::uintptr_t>(sbrk(0));
  if (top > from) madvise(reinterpret_cast<void*>(from), top - from, MADV_HUGEPAGE);
#endif
}

audit::report audit_objects(const audit_flags& f, time_point now) {
  tune_heap_for_rows();
  load_result loaded = load_policies(f.policies, mutation_defaults::from_environment(), now);
  if (!loaded.problems.items().empty()) std::cerr << loaded.problems.render_text();
  if (!loaded.ok()) throw bad_input{"policies not loaded: " + loaded.problems.summary()};

  std::vector<std::string> files = f.files;
  if (files.empty()) {
    if (::isatty(STDIN_FILENO)) throw bad_input{"no input: give -f FILE or DIR, or -f - to read standard input"};
    files.push_back("-");
  }
  const evaluation_context evaluation{webhook::openssl_digests(), now};
  audit::object_auditor auditor(loaded.policies, evaluation, f.default_namespace);
  for (const std::string& path : files) {
    std::error_code ec;
    if (path != "-" && fs::is_directory(path, ec)) {
      const auto found = manifests_under(path);
      if (found.empty()) throw bad_input{path + ": no *.json, *.yaml or *.yml file in it"};
      for (const auto& p : found) read_input(auditor, p.string(), false);
    } else {
      read_input(auditor, path, true);
    }
  }
  return auditor.finish(std::chrono::system_clock::to_time_t(now));
}

audit::report audit_logs(const audit_flags& f, time_point now) {
  audit::log_auditor auditor;
  for (const std::string& path : f.logs) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (path != "-") {
      std::error_code ec;
      if (fs::is_directory(path, ec)) throw bad_input{path + ": a directory; give the log files (FILE FILE.1 ...)"};
      file.open(path, std::ios::binary);
      if (!file) throw bad_input{path + ": cannot read file"};
      in = &file;
    }
    auditor.begin_source(label_of(path));
    audit::read_log(*in, auditor);
    if (in->bad()) throw bad_input{label_of(path) + ": read error"};
  }
  return auditor.finish(std::chrono::system_clock::to_time_t(now));
}

bool wants_color(const audit_flags& f) {
  if (f.color == "always") return true;
  if (f.color == "never" || f.output != "-") return false;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return ::isatty(STDOUT_FILENO) && !(no_color && *no_color) && !(term && std::string(term) == "dumb");
}

// Runs the audit chosen by the flags and writes the report; the exit status says whether a result
// reached --fail-on.
int run_audit(const audit_flags& f) {
  try {
    const time_point now = now_or_clock(f.now);
    const audit::report rep = f.logs.empty() ? audit_objects(f, now) : audit_logs(f, now);
    audit::render_options options;
    options.color = wants_color(f);
    options.all = f.all;
    const auto format = *audit::parse_report_format(f.format);
    if (f.output == "-") {
      audit::render(format, rep, std::cout, options);
      std::cout.flush();
      if (!std::cout) throw bad_input{"cannot write the report to standard output"};
    } else {
      std::ofstream out(f.output, std::ios::binary | std::ios::trunc);
      if (!out) throw bad_input{f.output + ": cannot write the report"};
      audit::render(format, rep, out, options);
      out.close();
      if (!out) throw bad_input{f.output + ": cannot write the report"};
    }
    const audit::report_summary s = audit::summarize(rep);
    std::uint64_t reached = 0;
    if (f.fail_on != "never") reached = s.total[audit::result::fail] + s.total[audit::result::error];
    if (f.fail_on == "warn") reached += s.total[audit::result::warn];
    return reached ? exit_failed : exit_ok;
  } catch (const bad_input& e) {
    std::cerr << "peergate audit: " << e.message << "\n";
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << "peergate audit: " << e.what() << "\n";
    return exit_usage;
  }
}

}  // namespace

command add_audit_command(CLI::App& app) {
  auto flags = std::make_shared<audit_flags>();
  CLI::App* cmd = app.add_subcommand(
      "audit",
      "Report on objects that already exist (kubectl get ... -o json, manifests) or on the server's audit log");
  auto* policies = cmd->add_option("--policies", flags->policies,
                                   "Policy file or directory (repeatable); default: the embedded policies")
                       ->check(CLI::ExistingPath)
                       ->type_name("PATH");
  auto* files = cmd->add_option("-f,--filename", flags->files,
                                "Input (repeatable): a kubectl List in JSON, JSON lines, multi-document YAML, a "
                                "directory of manifests, or - for standard input (the default when it is not a "
                                "terminal)")
                    ->type_name("FILE|DIR|-");
  auto* logs = cmd->add_option("--from-log", flags->logs,
                               "Report on audit log files written by `peergate serve --audit-log` instead "
                               "(repeatable: FILE.2 FILE.1 FILE ...)")
                   ->type_name("FILE");
  files->excludes(logs);
  policies->excludes(logs);  // the log names the policies that decided
  cmd->add_option("--format", flags->format,
                  "table, json, policyreport (wgpolicyk8s.io/v1alpha2 YAML), openreports (openreports.io/v1alpha1 "
                  "YAML) or html")
      ->check(CLI::IsMember({"table", "json", "policyreport", "openreports", "html"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", flags->output, "Write the report to FILE (default: standard output)")
      ->type_name("FILE");
  cmd->add_option("--fail-on", flags->fail_on,
                  "Exit 1 when a result reaches this level: fail (fail or error), warn (fail, error or warn), "
                  "never")
      ->check(CLI::IsMember({"fail", "warn", "never"}))
      ->capture_default_str();
  cmd->add_option("-n,--namespace", flags->default_namespace,
                  "Namespace of objects that have no metadata.namespace (hand-written manifests)")
      ->capture_default_str()
      ->excludes(logs);
  cmd->add_flag("--all", flags->all, "List pass and skip results too (table, policyreport, openreports)");
  add_now_option(*cmd, flags->now);
  cmd->add_option("--color", flags->color, "Colours in the table: auto (on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  cmd->footer("Exit status: 0 nothing reached --fail-on (the default: never), 1 something did, 2 bad input or usage.\n"
              "Objects are evaluated as a CREATE in their namespace, without mutation and without a user (no "
              "exemption by user applies).");

  return {cmd, [flags] { return run_audit(*flags); }};
}

}  // namespace peergate::cli
