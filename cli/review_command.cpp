#include "cli/review_command.hpp"

#include <boost/json.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/input.hpp"
#include "engine/chain.hpp"
#include "webhook/digest_openssl.hpp"
#include "webhook/review_codec.hpp"

namespace peergate::cli {

namespace {

namespace json = boost::json;

struct review_options {
  std::vector<std::string> policies;
  std::string step = "admit";
  std::string output = "json";
  object_context context;
  std::string now;  // --now; "" = the clock
  std::vector<std::string> files;
};

// A few lines a person reads: the verdict, the message, warnings, audit annotations and the
// patch operations.
void print_summary(const std::string& label, const decision& d) {
  std::cout << (d.allowed ? "ALLOWED " : "DENIED  ") << label;
  if (!d.allowed) std::cout << " (" << d.code << ")\n  message: " << d.message;
  std::cout << "\n";
  for (const auto& w : d.warnings) std::cout << "  warning: " << w << "\n";
  for (const auto& [k, v] : d.audit_annotations) std::cout << "  audit: " << k << ": " << v << "\n";
  for (const auto& op : d.patch.operations()) std::cout << "  patch: " << json::serialize(op) << "\n";
}

int run_review(const review_options& o) {
  const time_point now = now_or_clock(o.now);
  policy_snapshot policies = load_or_report(o.policies, now);
  if (!policies) return exit_usage;
  const evaluation_context evaluation{webhook::openssl_digests(), now};
  const step_kind step = o.step == "mutate"     ? step_kind::mutate
                         : o.step == "validate" ? step_kind::validate
                                                : step_kind::admit;
  int status = exit_ok;
  for (const auto& file : o.files) {
    std::string error;
    auto text = read_input(file, &error);
    if (!text) {
      std::cerr << "peergate review: " << error << "\n";
      return exit_usage;
    }
    auto parsed = parse_documents(*text);
    if (!parsed.error.empty()) {
      std::cerr << "peergate review: " << file << ":" << parsed.error << "\n";
      return exit_usage;
    }
    for (std::size_t i = 0; i < parsed.documents.size(); ++i) {
      auto decoded = review_from_document(parsed.documents[i], o.context);
      const std::string label = file + (parsed.documents.size() > 1 ? " #" + std::to_string(i + 1) : "");
      if (!decoded.review) {
        std::cerr << "peergate review: " << label << ": " << decoded.error << "\n";
        return exit_usage;
      }
      const decision d = run_step(step, decoded.review->request, *policies, evaluation);
      if (o.output == "text") print_summary(label, d);
      else std::cout << webhook::encode_response(decoded.review->api_version, decoded.review->request.uid, d) << "\n";
      if (!d.allowed) status = exit_failed;
    }
  }
  return status;
}

}  // namespace

command add_review_command(CLI::App& app) {
  auto o = std::make_shared<review_options>();
  CLI::App* cmd =
      app.add_subcommand("review", "Run the admission chain on an AdmissionReview or a bare object (JSON or YAML)");
  cmd->add_option("--policies", o->policies, "Policy file or directory (repeatable); default: the embedded policies");
  cmd->add_option("--step", o->step, "Which step to run")
      ->check(CLI::IsMember({"admit", "mutate", "validate"}))
      ->capture_default_str();
  cmd->add_option("--namespace,-n", o->context.namespace_name,
                  "Namespace for a bare object (default: its metadata.namespace, else default)");
  cmd->add_option("--user", o->context.username, "userInfo.username for a bare object")->capture_default_str();
  cmd->add_option("--group", o->context.groups, "userInfo.groups for a bare object (repeatable)");
  cmd->add_option("--operation", o->context.operation, "Operation for a bare object")
      ->check(CLI::IsMember({"CREATE", "UPDATE"}))
      ->capture_default_str();
  add_now_option(*cmd, o->now);
  cmd->add_option("--output,-o", o->output, "json: the AdmissionReview response; text: a summary")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  cmd->add_option("files", o->files, "AdmissionReview or object files, - for stdin")->required();
  cmd->footer("Exit status: 0 allowed, 1 denied, 2 bad input or usage.");
  return {cmd, [o] { return run_review(*o); }};
}

}  // namespace peergate::cli
