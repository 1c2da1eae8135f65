#include "engine/policy/loader.hpp"

#include <catch2/catch.hpp>

#include "tests/support/policies.hpp"

using namespace peergate;
using peergate::testing::load_inline_policies;

namespace {

load_result load(const std::string& yaml) { return load_inline_policies({{"p.yaml", yaml}}); }

// The first diagnostic with `code`, which must exist.
const diagnostic& find(const load_result& r, diagnostic_code code) {
  for (const auto& d : r.problems.items())
    if (d.code == code) return d;
  FAIL("no diagnostic " << to_string(code) << " in:\n" << r.problems.render_text());
  throw;
}

std::size_t count(const load_result& r, diagnostic_code code) {
  std::size_t n = 0;
  for (const auto& d : r.problems.items()) n += d.code == code;
  return n;
}

const char* good_policy = R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  name: allowed
spec:
  allowedNamespaces:
    - confidential-ai
    - "team-*"
    - regex: "ml-[a-z0-9-]+"
)";

}  // namespace

TEST_CASE("a good policy loads with defaults filled in") {
  auto r = load(good_policy);
  REQUIRE(r.ok());
  CHECK(r.problems.items().empty());
  REQUIRE(r.policies->policies.size() == 1);
  const auto& p = r.policies->policies[0];
  CHECK(p.name == "allowed");
  CHECK(p.runtime_class_names == std::vector<std::string>{"kata-remote"});
  CHECK(p.actions.deny);
  CHECK_FALSE(p.actions.warn);
  CHECK(p.allowed_namespaces.matches("confidential-ai"));
  CHECK(p.allowed_namespaces.matches("team-x"));
  CHECK(p.allowed_namespaces.matches("ml-7"));
  CHECK_FALSE(p.allowed_namespaces.matches("default"));
  CHECK(p.allowed_summary == "confidential-ai, team-*, /ml-[a-z0-9-]+/");
  CHECK(p.where.line == 4);
  // No PeerPodMutation: the implicit default with the upstream preset.
  REQUIRE(r.policies->mutations.size() == 1);
  const auto& m = r.policies->mutations[0];
  CHECK(m.runtime_class_name == "kata-remote");
  CHECK(m.extended_resource == "kata.peerpods.io/vm");
  CHECK(m.excluded_namespaces.matches("kube-system"));
  CHECK(m.excluded_namespaces.matches("peer-pods-webhook-system"));
  CHECK_FALSE(m.excluded_namespaces.matches("openshift-monitoring"));
}

TEST_CASE("mutation defaults come from the caller (the environment in production)") {
  mutation_defaults d;
  d.runtime_class_name = "kata-cc";
  d.extended_resource = "example.com/vm";
  auto r = load_policy_texts({{{"p.yaml", good_policy}}, {}}, d);
  REQUIRE(r.ok());
  CHECK(r.policies->policies[0].runtime_class_names == std::vector<std::string>{"kata-cc"});
  CHECK(r.policies->mutations[0].runtime_class_name == "kata-cc");
  CHECK(r.policies->mutations[0].extended_resource == "example.com/vm");
}

TEST_CASE("a YAML syntax error is located") {
  auto r = load("kind: PeerPodPolicy\nspec: [a, b\n");
  REQUIRE_FALSE(r.ok());
  const auto& d = find(r, diagnostic_code::yaml_syntax);
  CHECK(d.where.file == "p.yaml");
  CHECK(d.where.line >= 2);
}

TEST_CASE("duplicate keys are errors at the second key, naming the first line") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  name: dup
spec:
  allowedNamespaces: [a]
  allowedNamespaces: [b]
)");
  REQUIRE_FALSE(r.ok());
  const auto& d = find(r, diagnostic_code::duplicate_key);
  CHECK(d.where.line == 7);
  CHECK(d.where.column == 3);
  CHECK_THAT(d.message, Catch::Contains("line 6"));
  CHECK(d.source_line == "  allowedNamespaces: [b]");
}

TEST_CASE("unknown fields are warnings and do not stop loading") {
  auto r = load(std::string(good_policy) + "  allowedNamspaces: [x]\n");
  REQUIRE(r.ok());
  const auto& d = find(r, diagnostic_code::unknown_field);
  CHECK(d.level == severity::warning);
  CHECK(d.where.line == 10);
  CHECK_THAT(d.message, Catch::Contains("allowedNamspaces"));
}

TEST_CASE("wrong types, unknown enum words and Deny with Warn are all reported together") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  name: many
spec:
  validationActions: [Deny, Warn, Block]
  allowedNamespaces: team-a
  runtimeClassNames: []
)");
  REQUIRE_FALSE(r.ok());
  CHECK(find(r, diagnostic_code::unknown_enum).where.line == 6);
  CHECK(find(r, diagnostic_code::unknown_enum).where.column == 35);
  CHECK(find(r, diagnostic_code::deny_with_warn).where.line == 6);
  CHECK(find(r, diagnostic_code::wrong_type).where.line == 7);
  CHECK(find(r, diagnostic_code::empty_list).where.line == 8);
  CHECK(r.problems.error_count() == 4);
}

TEST_CASE("an invalid regex is reported with RE2's reason") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  name: bad-regex
spec:
  allowedNamespaces:
    - regex: "ml-(a"
)");
  REQUIRE_FALSE(r.ok());
  const auto& d = find(r, diagnostic_code::invalid_regex);
  CHECK(d.where.line == 7);
  CHECK(d.where.column == 14);
  CHECK_THAT(d.message, Catch::Contains("missing )"));
}

TEST_CASE("a regex that can never match a namespace name is a warning") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  name: upper
spec:
  allowedNamespaces:
    - regex: "ML-.*"
)");
  REQUIRE(r.ok());
  CHECK(find(r, diagnostic_code::regex_never_matches).where.line == 7);
}

TEST_CASE("invalid globs point at the offending character") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  name: bad-glob
spec:
  allowedNamespaces:
    - "team_*"
    - Team
)");
  REQUIRE_FALSE(r.ok());
  const auto& glob = find(r, diagnostic_code::invalid_glob);
  CHECK(glob.where.line == 7);
  CHECK(glob.where.column == 12);  // the '_' inside the quotes
  CHECK(find(r, diagnostic_code::invalid_namespace_name).where.line == 8);
}

TEST_CASE("duplicate policy names across files are errors naming the first place") {
  auto r = load_inline_policies({{"a.yaml", good_policy}, {"b.yaml", good_policy}});
  REQUIRE_FALSE(r.ok());
  const auto& d = find(r, diagnostic_code::duplicate_name);
  CHECK(d.where.file == "b.yaml");
  CHECK_THAT(d.message, Catch::Contains("a.yaml:4"));
}

TEST_CASE("an allowed entry that is also excluded from mutation is a warning") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  name: allows-system
spec:
  allowedNamespaces: ["kube-*", openshift-monitoring, apps]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata:
  name: peer-pods
spec:
  excludedNamespaces:
    presets: [openshift]
)");
  REQUIRE(r.ok());
  CHECK(count(r, diagnostic_code::allowed_but_excluded) == 2);
  CHECK_THAT(r.problems.render_text(), Catch::Contains("kube-system") && Catch::Contains("openshift-monitoring"));
}

TEST_CASE("allowed-but-excluded points at the allowed entry, shows its line, and reads naturally for an exact name") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  name: gpu
spec:
  allowedNamespaces:
    - apps
    - infra-gpu
    - "team-*"
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata:
  name: peer-pods
spec:
  excludedNamespaces:
    names: [infra-gpu, team-ops]
)");
  REQUIRE(r.ok());
  REQUIRE(count(r, diagnostic_code::allowed_but_excluded) == 2);
  const diagnostic& exact = r.problems.items().at(0);
  CHECK(exact.code == diagnostic_code::allowed_but_excluded);
  CHECK(exact.where.line == 8);
  CHECK(exact.where.column == 7);
  CHECK(exact.source_line == "    - infra-gpu");
  CHECK(exact.message ==
        "policy \"gpu\" allows \"infra-gpu\", which the mutation \"peer-pods\" excludes, so peer pods there are not "
        "counted against kata.peerpods.io/vm");
  const diagnostic& glob = r.problems.items().at(1);
  CHECK(glob.where.line == 9);
  CHECK(glob.source_line == "    - \"team-*\"");
  CHECK(glob.message ==
        "policy \"gpu\" allows team-*, which covers team-ops: the mutation \"peer-pods\" skips that namespace, so "
        "peer pods there are not counted against kata.peerpods.io/vm");
  CHECK_THAT(r.problems.render_text(), Catch::Contains("p.yaml:8:7: warning: policy \"gpu\" allows \"infra-gpu\"") &&
                                           Catch::Contains("\n      - infra-gpu\n        ^\n"));
}

TEST_CASE("an unknown field names the nearest known field when it is a likely typo") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  nmae: typo
  name: typos
spec:
  validationAction: [Warn]
  allowedNamespaces: [apps]
  exemptions: {users: [alice], groupz: [ops]}
)");
  REQUIRE(r.ok());
  std::vector<std::string> messages;
  for (const auto& d : r.problems.items()) messages.push_back(d.message);
  REQUIRE(messages.size() == 4);
  CHECK_THAT(messages[0], Catch::StartsWith("unknown field \"nmae\" in metadata") &&
                              Catch::EndsWith("(did you mean \"name\"?); it is ignored"));
  CHECK_THAT(messages[1], Catch::EndsWith("(did you mean \"validationActions\"?); it is ignored"));
  // "users" is four edits from "usernames": too far to guess.
  CHECK_THAT(messages[2], Catch::StartsWith("unknown field \"users\"") && !Catch::Contains("did you mean"));
  CHECK_THAT(messages[3], Catch::EndsWith("(did you mean \"groups\"?); it is ignored"));
}

TEST_CASE("PeerPodMutation: presets, names, enum values, and at most one per runtime class") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata:
  name: m1
spec:
  sizingAnnotations: false
  excludedNamespaces:
    presets: [openshift]
    names: ["my-infra-*", {regex: "sys-[0-9]+"}]
  unaccountedPeerPods: Deny
)");
  REQUIRE(r.ok());
  const auto& m = r.policies->mutations.at(0);
  CHECK_FALSE(m.sizing_annotations);
  CHECK(m.unaccounted == unaccounted_action::deny);
  CHECK(m.excluded_namespaces.matches("my-infra-a"));
  CHECK(m.excluded_namespaces.matches("sys-12"));
  CHECK(m.excluded_namespaces.matches("openshift-kube-proxy"));
  CHECK_FALSE(m.excluded_namespaces.matches("kube-public"));
  CHECK(m.excluded_exact_names.size() == 67);

  auto two = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: a}
spec: {}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: b}
spec: {runtimeClassName: kata-remote, unaccountedPeerPods: warn, excludedNamespaces: {presets: [rhel]}}
)");
  REQUIRE_FALSE(two.ok());
  CHECK(count(two, diagnostic_code::unknown_enum) == 2);
}

TEST_CASE("two mutations for one runtime class are refused") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: a}
spec: {}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: b}
spec: {runtimeClassName: kata-remote}
)");
  REQUIRE_FALSE(r.ok());
  CHECK(find(r, diagnostic_code::duplicate_mutation).where.line == 9);
}

TEST_CASE("documents need a known kind, the apiVersion, metadata.name and a spec") {
  auto r = load(R"(apiVersion: peergate.dev/v1
kind: PeerPodPolicy
metadata: {name: Bad_Name}
spec: {allowedNamespaces: []}
---
kind: Policy
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: no-spec}
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: no-allowed}
spec: {message: "{namespace} and {pod}"}
)");
  REQUIRE_FALSE(r.ok());
  CHECK(find(r, diagnostic_code::unknown_api_version).where.line == 1);
  CHECK(find(r, diagnostic_code::invalid_name).where.line == 3);
  CHECK(find(r, diagnostic_code::unknown_kind).where.line == 6);
  CHECK(count(r, diagnostic_code::missing_field) == 2);
  CHECK(find(r, diagnostic_code::unknown_placeholder).where.line == 15);
}

TEST_CASE("test suites beside policies and empty documents are skipped") {
  auto r = load(std::string("---\n") + good_policy + "---\nkind: PeerPodPolicyTest\n---\n");
  REQUIRE(r.ok());
  CHECK(r.policies->policies.size() == 1);
}

TEST_CASE("rendered diagnostics carry path:line:col, the line and a caret") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata:
  name: x
spec:
  allowedNamespaces: [ok, "b@d*"]
)");
  const std::string text = r.problems.render_text();
  CHECK_THAT(text, Catch::StartsWith("p.yaml:6:29: error: invalid glob"));
  CHECK_THAT(text, Catch::Contains("\n    allowedNamespaces: [ok, \"b@d*\"]\n                              ^\n"));
  CHECK(r.problems.summary() == "1 error, 0 warnings");
}

TEST_CASE("the embedded policies load cleanly") {
  auto r = load_policies({}, mutation_defaults{});
  INFO(r.problems.render_text());
  REQUIRE(r.ok());
  CHECK(r.problems.items().empty());
  CHECK(r.policies->policies.size() == 1);
  CHECK(r.policies->mutations.at(0).name == "peer-pods");
}

TEST_CASE("loading a directory reads *.yaml and *.yml recursively in path order, skipping hidden entries") {
  auto r = load_policies({PEERGATE_SOURCE_DIR "/policies"}, mutation_defaults{});
  REQUIRE(r.ok());
  REQUIRE(r.policies->sources.size() == 2);
  CHECK_THAT(r.policies->sources[0], Catch::EndsWith("peer-pods-allowed-namespaces.yaml"));
  auto missing = load_policies({"/nonexistent/peergate"}, mutation_defaults{});
  REQUIRE_FALSE(missing.ok());
  CHECK(find(missing, diagnostic_code::unreadable_file).where.file == "/nonexistent/peergate");
}

TEST_CASE("the implicit mutation's name is reserved, empty exemption entries are refused") {
  auto r = load(R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: peer-pods-default}
spec:
  allowedNamespaces: []
  exemptions: {usernames: [""]}
)");
  REQUIRE_FALSE(r.ok());
  CHECK(find(r, diagnostic_code::reserved_name).where.line == 3);
  CHECK(find(r, diagnostic_code::empty_entry).where.line == 6);
}

TEST_CASE("multi-document streams keep absolute line numbers, and a stray comma does not hang") {
  auto r = load(std::string(good_policy) + "---\n" + R"(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: second}
spec:
  allowedNamespaces: ["b@d"]
)");
  REQUIRE_FALSE(r.ok());
  CHECK(find(r, diagnostic_code::invalid_namespace_name).where.line == 15);
  // yaml-cpp's LoadAll never returned on these (found by fuzzing): each now ends with a problem.
  for (const char* text : {",", "---\n,", "- a\n,", "kind: x\n...\n,\n"}) {
    INFO(text);
    auto stray = load(text);
    CHECK_FALSE(stray.problems.items().empty());
  }
}
