#pragma once
// What every `peergate` command shares: the shape it is wired in, its exit statuses, and the
// policy loading most of them start with.
//
// Each command lives in cli/<name>_command.{hpp,cpp} and exposes one function,
// `command add_<name>_command(CLI::App& app)`, that registers the subcommand and its options on
// the app and returns what runs it. cli/main.cpp registers them all, parses the command line and
// returns the exit status of the one that was chosen. Nothing runs during parsing, and no command
// throws to report its status.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "engine/policy/loader.hpp"
#include "engine/time_text.hpp"

namespace peergate::cli {

// The exit statuses of every command (each command's help footer says what they mean for it).
// The command ran and the answer is yes: allowed, no errors, all cases passed.
constexpr int exit_ok = 0;
// The command ran and the answer is no: a review denied, policies with errors, a test case that
// failed, an audit result at --fail-on.
constexpr int exit_failed = 1;
// Nothing was decided: bad input (unreadable files, policies that do not load) or usage.
constexpr int exit_usage = 2;

// A registered subcommand and what runs it once the command line has been parsed. The options
// live in the closure of `run`, so a command carries its own state.
struct command {
  CLI::App* subcommand = nullptr;  // true (operator bool) when it was chosen
  std::function<int()> run;        // returns the exit status
};

// Reports a usage problem found after parsing (options that do not go together) the way CLI11
// reports its own: the text and a pointer to --help, on stderr. Returns exit_usage.
int report_usage_error(const CLI::App& subcommand, const std::string& problem);

// Loads the policy files and directories in `paths`, or the embedded policies when there are
// none, at `now` (exceptions' expiry warnings), printing every diagnostic to stderr. Null (after
// saying why) when they did not load.
policy_snapshot load_or_report(const std::vector<std::string>& paths, time_point now);

// --now of review, check, test and audit: the time requests are decided and exceptions judged
// at, as RFC 3339 with a zone. Without it, the clock: read here, never in the engine.
extern const CLI::Validator rfc3339_check;
void add_now_option(CLI::App& subcommand, std::string& now);
// The time --now names (checked by rfc3339_check), or the clock when it was not given.
time_point now_or_clock(const std::string& now);

// Kubernetes names as options: a Service name (DNS-1035 label) and a namespace (DNS-1123
// label), for `certs` and `manifests`.
extern const CLI::Validator service_name_check;
extern const CLI::Validator namespace_name_check;

}  // namespace peergate::cli
