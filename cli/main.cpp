// The peergate executable: wires the engine and the review codec to the command line.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <iostream>

#include "cli/audit_command.hpp"
#include "cli/deploy_commands.hpp"
#include "cli/input.hpp"
#include "cli/policy_test.hpp"
#include "engine/chain.hpp"
#include "engine/policy/loader.hpp"
#include "engine/policy/schema.hpp"
#include "webhook/review_codec.hpp"
#ifdef PEERGATE_HAVE_SERVER
#include "cli/serve_command.hpp"
#endif

namespace {

using namespace peergate;
namespace json = boost::json;

// Exit codes shared by every command.
constexpr int exit_ok = 0;
constexpr int exit_denied_or_errors = 1;
constexpr int exit_usage = 2;

policy_snapshot load_or_report(const std::vector<std::string>& paths) {
  load_result loaded = load_policies(paths);
  if (!loaded.problems.items().empty()) std::cerr << loaded.problems.render_text();
  if (!loaded.ok()) std::cerr << "peergate: policies not loaded: " << loaded.problems.summary() << "\n";
  return loaded.policies;
}

// A few lines a person reads: the verdict, the message, warnings, audit annotations and the
// patch operations.
void print_summary(const std::string& label, const decision& d) {
  std::cout << (d.allowed ? "ALLOWED " : "DENIED  ") << label;
  if (!d.allowed) std::cout << " (" << d.code << ")\n  message: " << d.message;
  std::cout << "\n";
  for (const auto& w : d.warnings) std::cout << "  warning: " << w << "\n";
  for (const auto& [k, v] : d.audit_annotations) std::cout << "  audit: " << k << ": " << v << "\n";
  for (const auto& op : d.patch) std::cout << "  patch: " << json::serialize(op) << "\n";
}

struct review_options {
  std::vector<std::string> policies;
  std::string step = "admit";
  std::string output = "json";
  cli::object_context context;
  std::vector<std::string> files;
};

int run_review(const review_options& o) {
  policy_snapshot policies = load_or_report(o.policies);
  if (!policies) return exit_usage;
  const step_kind step = o.step == "mutate" ? step_kind::mutate : o.step == "validate" ? step_kind::validate : step_kind::admit;
  int status = exit_ok;
  for (const auto& file : o.files) {
    std::string error;
    auto text = cli::read_input(file, &error);
    if (!text) {
      std::cerr << "peergate review: " << error << "\n";
      return exit_usage;
    }
    auto parsed = cli::parse_documents(*text);
    if (!parsed.error.empty()) {
      std::cerr << "peergate review: " << file << ":" << parsed.error << "\n";
      return exit_usage;
    }
    for (std::size_t i = 0; i < parsed.documents.size(); ++i) {
      auto decoded = cli::review_from_document(parsed.documents[i], o.context);
      const std::string label = file + (parsed.documents.size() > 1 ? " #" + std::to_string(i + 1) : "");
      if (!decoded.review) {
        std::cerr << "peergate review: " << label << ": " << decoded.error << "\n";
        return exit_usage;
      }
      const decision d = run_step(step, decoded.review->request, *policies);
      if (o.output == "text")
        print_summary(label, d);
      else
        std::cout << webhook::encode_response(decoded.review->api_version, decoded.review->request.uid, d) << "\n";
      if (!d.allowed) status = exit_denied_or_errors;
    }
  }
  return status;
}

int run_check(const std::vector<std::string>& paths, const std::string& format) {
  load_result loaded = load_policies(paths);
  if (format == "json") {
    std::cout << loaded.problems.render_json() << "\n";
  } else {
    std::cout << loaded.problems.render_text();
    std::cout << loaded.problems.summary();
    if (loaded.ok()) {
      const std::size_t policies = loaded.policies->policies.size();
      // The implicit default mutation has no file: count only the ones written down.
      const auto mutations = std::count_if(loaded.policies->mutations.begin(), loaded.policies->mutations.end(),
                                           [](const mutation_settings& m) { return !m.where.file.empty(); });
      std::cout << "; loaded " << policies << (policies == 1 ? " policy" : " policies") << " and " << mutations
                << (mutations == 1 ? " mutation" : " mutations");
    }
    std::cout << "\n";
  }
  return loaded.problems.has_errors() ? exit_denied_or_errors : exit_ok;
}

// The command line as a person would type it again (arguments with spaces or quotes quoted).
std::string command_line(int argc, char** argv) {
  std::string out = "peergate";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_of(" \t'\"$`\\;&|<>*?()") == std::string::npos;
    out += " " + (plain ? arg : "'" + arg + "'");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"peergate: admission policies and mutation for peer pods (kata-remote)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", PEERGATE_VERSION);

  review_options review;
  auto* review_cmd = app.add_subcommand("review", "Run the admission chain on an AdmissionReview or a bare object (JSON or YAML)");
  review_cmd->add_option("--policies", review.policies, "Policy file or directory (repeatable); default: the embedded policies");
  review_cmd->add_option("--step", review.step, "Which step to run")->check(CLI::IsMember({"admit", "mutate", "validate"}))->capture_default_str();
  review_cmd->add_option("--namespace,-n", review.context.namespace_name, "Namespace for a bare object (default: its metadata.namespace, else default)");
  review_cmd->add_option("--user", review.context.username, "userInfo.username for a bare object")->capture_default_str();
  review_cmd->add_option("--group", review.context.groups, "userInfo.groups for a bare object (repeatable)");
  review_cmd->add_option("--operation", review.context.operation, "Operation for a bare object")->check(CLI::IsMember({"CREATE", "UPDATE"}))->capture_default_str();
  review_cmd->add_option("--output,-o", review.output, "json: the AdmissionReview response; text: a summary")->check(CLI::IsMember({"json", "text"}))->capture_default_str();
  review_cmd->add_option("files", review.files, "AdmissionReview or object files, - for stdin")->required();
  review_cmd->footer("Exit status: 0 allowed, 1 denied, 2 bad input or usage.");

  std::vector<std::string> check_paths;
  std::string check_format = "text";
  auto* check_cmd = app.add_subcommand("check", "Check policy files and print every problem with its location");
  check_cmd->add_option("--format", check_format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  check_cmd->add_option("paths", check_paths, "Policy files or directories")->required();
  check_cmd->footer("Exit status: 0 no errors, 1 errors, 2 usage.");

  std::vector<std::string> test_paths;
  auto* test_cmd = app.add_subcommand("test", "Run policy test suites (kind PeerPodPolicyTest)");
  test_cmd->add_option("paths", test_paths, "Test suite files or directories")->required();
  test_cmd->footer("Exit status: 0 all cases passed, 1 a case failed, 2 a suite could not be read or usage.");

  auto* version_cmd = app.add_subcommand("version", "Print the version");
  auto* schema_cmd = app.add_subcommand("schema", "Print the JSON Schema of the policy and test documents");

  // audit runs inside app.parse() and leaves its exit status here (app.exit() would turn 1 into 2).
  int audit_exit = 0;
  CLI::App* audit_cmd = cli::add_audit_command(app, audit_exit);
  int certs_exit = 0;
  CLI::App* certs_cmd = cli::add_certs_command(app, certs_exit);
  int manifests_exit = 0;
  CLI::App* manifests_cmd = cli::add_manifests_command(app, manifests_exit, command_line(argc, argv));

#ifdef PEERGATE_HAVE_SERVER
  add_serve_command(app);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }

  if (*audit_cmd) return audit_exit;
  if (*certs_cmd) return certs_exit;
  if (*manifests_cmd) return manifests_exit;
  if (*review_cmd) return run_review(review);
  if (*check_cmd) return run_check(check_paths, check_format);
  if (*test_cmd) {
    auto totals = cli::run_policy_tests(test_paths, std::cout);
    if (totals.broken_suites) return exit_usage;
    return totals.failed ? exit_denied_or_errors : exit_ok;
  }
  if (*version_cmd) {
    std::cout << "peergate " << PEERGATE_VERSION << "\n";
    return exit_ok;
  }
  if (*schema_cmd) {
    std::cout << policy_schema();
    return exit_ok;
  }
  return exit_ok;
}
