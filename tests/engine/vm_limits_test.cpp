#include "engine/vm/vm_limits.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "engine/match/name_matcher.hpp"
#include "tests/support/vm_fixtures.hpp"

namespace json = boost::json;
using namespace peergate::vm;
using peergate::testing::coreutils_digest;
using peergate::testing::fixture_digests;
using peergate::testing::read_initdata_fixture;

namespace {

// Owns the annotations a request views into.
struct pod_annotations {
  json::value value;
  vm_request request;
  explicit pod_annotations(std::string_view text)
      : value(json::parse(text)), request(read_vm_request(&value.as_object())) {}
};

std::string annotations(std::initializer_list<std::pair<std::string_view, std::string_view>> items) {
  json::object out;
  for (const auto& [key, value] : items) out[std::string(annotation_prefix) + std::string(key)] = value;
  return json::serialize(out);
}

// A name_matcher compiled as the loader compiles one, wrapped in the predicate vm_limits takes.
allowed_names allowed(std::initializer_list<peergate::name_pattern> patterns) {
  std::string display;
  for (const auto& p : patterns) {
    if (!display.empty()) display += ", ";
    display += p.display();
  }
  peergate::name_matcher_build built = peergate::name_matcher::build(patterns);
  REQUIRE(built.errors.empty());
  auto matcher = std::make_shared<const peergate::name_matcher>(std::move(*built.matcher));
  return allowed_names::any_of([matcher](std::string_view name) { return matcher->matches(name); }, display);
}

allowed_digest digest(std::string_view text) {
  std::string error;
  auto parsed = parse_allowed_digest(text, &error);
  INFO(error);
  REQUIRE(parsed);
  return *parsed;
}

std::vector<vm_violation> run(std::string_view annotation_json, const vm_limits& limits,
                              vm_rule_set rules = vm_rule_set::all()) {
  const pod_annotations pod(annotation_json);
  return check(pod.request, limits, fixture_digests(), rules);
}

vm_violation only(const std::vector<vm_violation>& violations) {
  REQUIRE(violations.size() == 1);
  return violations.front();
}

using peergate::name_pattern;
constexpr auto exact = name_pattern::kind::exact;
constexpr auto glob = name_pattern::kind::glob;
constexpr auto regex = name_pattern::kind::regex;

}  // namespace

TEST_CASE("rule names", "[vm][limits]") {
  std::vector<std::string> names;
  for (vm_rule rule : all_vm_rules) names.emplace_back(to_string(rule));
  CHECK(names == std::vector<std::string>{"instance-type", "vcpus", "memory", "gpus", "image", "initdata"});
}

TEST_CASE("rule sets", "[vm][limits]") {
  vm_rule_set set;
  CHECK(set.empty());
  set.insert(vm_rule::memory);
  CHECK(set.contains(vm_rule::memory));
  CHECK_FALSE(set.contains(vm_rule::vcpus));
  for (vm_rule rule : all_vm_rules) CHECK(vm_rule_set::all().contains(rule));
  vm_limits limits;
  CHECK(limits.configured_rules().empty());
  limits.max_gpus = 0;
  limits.images = allowed_names::none();
  vm_rule_set expected;
  expected.insert(vm_rule::gpus);
  expected.insert(vm_rule::image);
  CHECK(limits.configured_rules() == expected);
}

TEST_CASE("vcpus, memory and gpus: at most the maximum", "[vm][limits]") {
  vm_limits limits;
  limits.max_vcpus = 4;
  limits.max_memory = memory_limit::parse("16Gi", nullptr);
  limits.max_gpus = 0;
  CHECK(run(annotations({{"default_vcpus", "4"}, {"default_memory", "16384"}, {"default_gpus", "0"}}), limits).empty());

  const vm_violation cpu = only(run(annotations({{"default_vcpus", "8"}}), limits));
  CHECK(cpu == vm_violation{vm_rule::vcpus, vm_violation_kind::over_limit, "8", "4", ""});
  const vm_violation memory = only(run(annotations({{"default_memory", "16385"}}), limits));
  CHECK(memory == vm_violation{vm_rule::memory, vm_violation_kind::over_limit, "16385Mi", "16Gi", ""});
  // Memory is asked in the unit of the limits: whole GiB as Gi.
  CHECK(only(run(annotations({{"default_memory", "32768"}}), limits)).requested == "32Gi");
  const vm_violation gpus = only(run(annotations({{"default_gpus", "1"}}), limits));
  CHECK(gpus == vm_violation{vm_rule::gpus, vm_violation_kind::over_limit, "1", "0", ""});

  // All three at once, in rule order.
  const auto all =
      run(annotations({{"default_gpus", "2"}, {"default_memory", "99999"}, {"default_vcpus", "64"}}), limits);
  REQUIRE(all.size() == 3);
  CHECK(all[0].rule == vm_rule::vcpus);
  CHECK(all[1].rule == vm_rule::memory);
  CHECK(all[2].rule == vm_rule::gpus);
}

TEST_CASE("an omitted limit is not checked, not even parsed", "[vm][limits]") {
  vm_limits limits;
  limits.max_vcpus = 4;
  CHECK(run(annotations({{"default_memory", "not a number"},
                         {"default_gpus", "9"},
                         {"image", "x"},
                         {"machine_type", "huge"},
                         {"cc_init_data", "%%%"}}),
            limits)
            .empty());
}

TEST_CASE("maxMemory is compared in MiB rounded up, as the mutation rounds", "[vm][limits]") {
  std::string error;
  const auto limit = memory_limit::parse("1536Ki", &error);  // 1.5 MiB
  REQUIRE(limit);
  CHECK(limit->mebibytes == 2);
  CHECK(memory_limit::parse("16G", nullptr)->mebibytes == 15259);  // 16e9 bytes = 15258.79 MiB
  CHECK(memory_limit::parse("0", nullptr)->mebibytes == 0);
  vm_limits limits;
  limits.max_memory = limit;
  // A pod with 1.5Mi of memory is written as 2 MiB by the mutation and must pass a 1.5Mi limit.
  CHECK(run(annotations({{"default_memory", "2"}}), limits).empty());
  CHECK(only(run(annotations({{"default_memory", "3"}}), limits)).limit == "1536Ki");

  CHECK_FALSE(memory_limit::parse("-1Gi", &error));
  CHECK(error == "a memory limit cannot be negative: \"-1Gi\"");
  CHECK_FALSE(memory_limit::parse("16GB", &error));
  CHECK(error.find("invalid quantity \"16GB\"") == 0);
  CHECK_FALSE(memory_limit::parse("", &error));
}

TEST_CASE("bad size values are invalid violations with a reason, never a pass", "[vm][limits]") {
  vm_limits limits;
  limits.max_vcpus = 4096;
  limits.max_memory = memory_limit::parse("1Ti", nullptr);
  limits.max_gpus = 8;
  struct bad {
    std::string_view key, value, reason;
    vm_rule rule;
  };
  for (const bad& b : {
           bad{"default_vcpus", "two", "not an unsigned decimal integer", vm_rule::vcpus},
           bad{"default_vcpus", "-1", "not an unsigned decimal integer (it has a sign)", vm_rule::vcpus},
           bad{"default_vcpus", "+4", "not an unsigned decimal integer (it has a sign)", vm_rule::vcpus},
           bad{"default_vcpus", " 4", "not an unsigned decimal integer (it has white space)", vm_rule::vcpus},
           bad{"default_vcpus", "", "the value is empty (Kata reads that as an error, not as unset)", vm_rule::vcpus},
           bad{"default_vcpus", "4097", "too large to be a real VM size", vm_rule::vcpus},
           bad{"default_memory", "4Gi", "not an unsigned decimal integer", vm_rule::memory},
           bad{"default_memory", "99999999999", "too large to be a real VM size", vm_rule::memory},
           bad{"default_gpus", "1.0", "not an unsigned decimal integer", vm_rule::gpus},
           bad{"default_gpus", "1000", "too large to be a real VM size", vm_rule::gpus},
       }) {
    INFO(b.key << ": \"" << b.value << "\"");
    const vm_violation v = only(run(annotations({{b.key, b.value}}), limits));
    CHECK(v == vm_violation{b.rule, vm_violation_kind::invalid, std::string(b.value), "", std::string(b.reason)});
  }
  // A number instead of a string (a YAML manifest read by the CLI).
  const vm_violation number = only(run(R"({"io.katacontainers.config.hypervisor.default_vcpus": 2})", limits));
  CHECK(number.kind == vm_violation_kind::invalid);
  CHECK(number.reason == "an annotation value must be a string");
}

TEST_CASE("a template's sizes are checked as the mutation computes them", "[vm][limits]") {
  vm_limits limits;
  limits.max_vcpus = 4;
  limits.max_memory = memory_limit::parse("8Gi", nullptr);
  const json::value spec = json::parse(R"({"containers": [
      {"name": "a", "resources": {"requests": {"cpu": "6", "memory": "4Gi"}}}]})");
  const vm_request r = read_template_vm_request(nullptr, spec.as_object(), true);
  CHECK(only(check(r, limits, fixture_digests())) ==
        vm_violation{vm_rule::vcpus, vm_violation_kind::over_limit, "6", "4", ""});

  const json::value bad = json::parse(R"({"containers": [{"name": "a", "resources": {"requests": {"cpu": "6x"}}}]})");
  const auto violations = check(read_template_vm_request(nullptr, bad.as_object(), true), limits, fixture_digests());
  REQUIRE(violations.size() == 2);  // vcpus and memory are both unknown
  CHECK(violations[0].kind == vm_violation_kind::invalid);
  CHECK(violations[0].requested.empty());
  CHECK(violations[0].reason.find("containers[0] (name \"a\") resources.requests.cpu: invalid quantity \"6x\"") == 0);
}

TEST_CASE("instance types and images: exact, glob and regex entries, [] forbids setting them", "[vm][limits]") {
  vm_limits limits;
  limits.instance_types =
      allowed({{exact, "Standard_DC2as_v5"}, {glob, "Standard_DC*as_v5"}, {regex, "m6a\\.(large|xlarge)"}});
  limits.images = allowed({{glob, "/subscriptions/*/images/podvm-*"}});
  for (std::string_view type : {"Standard_DC2as_v5", "Standard_DC16as_v5", "m6a.large", "m6a.xlarge"}) {
    INFO(type);
    CHECK(run(annotations({{"machine_type", type}}), limits).empty());
  }
  const vm_violation type = only(run(annotations({{"machine_type", "Standard_D64s_v5"}}), limits));
  CHECK(type == vm_violation{vm_rule::instance_type, vm_violation_kind::not_allowed, "Standard_D64s_v5",
                             "Standard_DC2as_v5, Standard_DC*as_v5, /m6a\\.(large|xlarge)/", ""});
  CHECK(only(run(annotations({{"machine_type", "m6a.largex"}}), limits)).rule == vm_rule::instance_type);
  CHECK(run(annotations({{"image", "/subscriptions/1/images/podvm-1"}}), limits).empty());
  CHECK(only(run(annotations({{"image", "/subscriptions/1/images/other"}}), limits)).rule == vm_rule::image);

  limits.instance_types = allowed_names::none();
  limits.images = allowed_names::none();
  CHECK(run(annotations({{"default_vcpus", "2"}}), limits).empty());  // nothing set: nothing to forbid
  const auto forbidden = run(annotations({{"machine_type", "m6a.large"}, {"image", "x"}}), limits);
  REQUIRE(forbidden.size() == 2);
  CHECK(forbidden[0] == vm_violation{vm_rule::instance_type, vm_violation_kind::forbidden, "m6a.large", "", ""});
  CHECK(forbidden[1] == vm_violation{vm_rule::image, vm_violation_kind::forbidden, "x", "", ""});
  // Setting it to "" is still setting it.
  CHECK(only(run(annotations({{"machine_type", ""}}), limits)).kind == vm_violation_kind::forbidden);
  const vm_violation not_string = only(run(R"({"io.katacontainers.config.hypervisor.image": ["a"]})", limits));
  CHECK(not_string ==
        vm_violation{vm_rule::image, vm_violation_kind::invalid, "", "", "an annotation value must be a string"});
}

TEST_CASE("machine_type and sizes are both checked", "[vm][limits]") {
  vm_limits limits;
  limits.instance_types = allowed({{exact, "Standard_DC2as_v5"}});
  limits.max_vcpus = 2;
  const auto both = run(annotations({{"machine_type", "Standard_DC2as_v5"}, {"default_vcpus", "8"}}), limits);
  CHECK(only(both).rule == vm_rule::vcpus);
  const auto two = run(annotations({{"machine_type", "Standard_DC8as_v5"}, {"default_vcpus", "8"}}), limits);
  REQUIRE(two.size() == 2);
  CHECK(two[0].rule == vm_rule::instance_type);
  CHECK(two[1].rule == vm_rule::vcpus);
}

TEST_CASE("initdata: the document's digest must be listed", "[vm][limits]") {
  const std::string annotation = read_initdata_fixture("initdata.b64");
  const std::string sha256 = "sha256:" + coreutils_digest("initdata.toml.sha256");
  const std::string sha384 = "sha384:" + coreutils_digest("initdata.toml.sha384");
  const std::string sha512 = "sha512:" + coreutils_digest("initdata.toml.sha512");
  const std::string other256 = "sha256:" + std::string(64, 'a');
  vm_limits limits;
  for (const std::string& listed : {sha256, sha384, sha512}) {
    INFO(listed);
    limits.initdata_digests = std::vector<allowed_digest>{digest(other256), digest(listed)};
    CHECK(run(annotations({{"cc_init_data", annotation}}), limits).empty());
    // The same document wrapped at 76 columns is the same document.
    CHECK(run(annotations({{"cc_init_data", read_initdata_fixture("initdata.wrapped.b64")}}), limits).empty());
  }

  limits.initdata_digests = std::vector<allowed_digest>{digest(other256), digest("sha384:" + std::string(96, 'b'))};
  const vm_violation v = only(run(annotations({{"cc_init_data", annotation}}), limits));
  // The allowed list is shown with each digest shortened to 12 hex digits.
  CHECK(v == vm_violation{vm_rule::initdata, vm_violation_kind::not_allowed, sha256,
                          "sha256:aaaaaaaaaaaa\xE2\x80\xA6, sha384:bbbbbbbbbbbb\xE2\x80\xA6", ""});

  // One digest per algorithm, however many entries use it.
  peergate::testing::table_digest_provider provider = fixture_digests();
  limits.initdata_digests =
      std::vector<allowed_digest>{digest(other256), digest("sha256:" + std::string(64, 'c')), digest(sha256)};
  const pod_annotations pod(annotations({{"cc_init_data", annotation}}));
  CHECK(check(pod.request, limits, provider).empty());
  CHECK(provider.calls == 1);
}

TEST_CASE("initdata: [] forbids it without decoding, bad initdata is invalid", "[vm][limits]") {
  vm_limits limits;
  limits.initdata_digests = std::vector<allowed_digest>{};
  peergate::testing::table_digest_provider provider;
  const pod_annotations pod(annotations({{"cc_init_data", "not even base64"}}));
  CHECK(only(check(pod.request, limits, provider)) ==
        vm_violation{vm_rule::initdata, vm_violation_kind::forbidden, "", "", ""});
  CHECK(provider.calls == 0);

  limits.initdata_digests = std::vector<allowed_digest>{digest("sha256:" + coreutils_digest("initdata.toml.sha256"))};
  struct bad {
    std::string value;
    std::string reason;
  };
  for (const bad& b :
       {bad{"", "the value is empty"}, bad{"not base64", "not base64"},
        bad{read_initdata_fixture("not-gzip.b64"), "not gzip data"},
        bad{read_initdata_fixture("truncated.b64"), "truncated gzip stream"},
        bad{read_initdata_fixture("trailing-garbage.b64"), "trailing data after the gzip stream (7 bytes)"}}) {
    INFO(b.reason);
    CHECK(only(run(annotations({{"cc_init_data", b.value}}), limits)) ==
          vm_violation{vm_rule::initdata, vm_violation_kind::invalid, "", "", b.reason});
  }
}

TEST_CASE("a digest provider that fails is an invalid violation, not a pass", "[vm][limits]") {
  struct failing : digest_provider {
    std::optional<std::string> hex_digest(digest_algorithm, std::string_view) const override { return std::nullopt; }
  };
  vm_limits limits;
  limits.initdata_digests = std::vector<allowed_digest>{digest("sha384:" + coreutils_digest("initdata.toml.sha384"))};
  const pod_annotations pod(annotations({{"cc_init_data", read_initdata_fixture("initdata.b64")}}));
  CHECK(only(check(pod.request, limits, failing{})) ==
        vm_violation{vm_rule::initdata, vm_violation_kind::invalid, "", "", "the sha384 digest could not be computed"});
}

TEST_CASE("allowed digests are validated for the loader", "[vm][limits]") {
  std::string error;
  const auto ok = parse_allowed_digest("sha512:" + std::string(128, 'f'), &error);
  REQUIRE(ok);
  CHECK(ok->algorithm == digest_algorithm::sha512);
  CHECK(ok->display() == "sha512:" + std::string(128, 'f'));
  struct bad {
    std::string text, error;
  };
  for (const bad& b : {
           bad{std::string(64, 'a'), "a digest is written <algorithm>:<hex>, as in \"sha256:<64 hex digits>\""},
           bad{"md5:" + std::string(32, 'a'), "unknown digest algorithm \"md5\": use sha256, sha384 or sha512"},
           bad{"SHA256:" + std::string(64, 'a'), "unknown digest algorithm \"SHA256\": use sha256, sha384 or sha512"},
           bad{"sha256:" + std::string(63, 'a'), "sha256 takes 64 hex digits, not 63"},
           bad{"sha384:" + std::string(64, 'a'), "sha384 takes 96 hex digits, not 64"},
           bad{"sha256:", "sha256 takes 64 hex digits, not 0"},
           bad{"sha256:" + std::string(63, 'a') + "A",
               "hex digits must be lowercase, as sha256sum prints them (character 64 of the digest)"},
           bad{"sha256:" + std::string(63, 'a') + "g", "not a hex digit at character 64 of the digest"},
           bad{"sha256: " + std::string(63, 'a'), "not a hex digit at character 1 of the digest"},
       }) {
    INFO(b.text);
    error.clear();
    CHECK_FALSE(parse_allowed_digest(b.text, &error));
    CHECK(error == b.error);
  }
}

TEST_CASE("UPDATE: only what the update raises or changes is checked", "[vm][limits]") {
  auto rules = [](std::string_view before, std::string_view after) {
    const pod_annotations old_pod(before);
    const pod_annotations new_pod(after);
    return rules_to_check_on_update(old_pod.request, new_pod.request);
  };
  auto set_of = [](std::initializer_list<vm_rule> list) {
    vm_rule_set s;
    for (vm_rule r : list) s.insert(r);
    return s;
  };
  const std::string big = annotations({{"default_vcpus", "8"},
                                       {"default_memory", "8192"},
                                       {"default_gpus", "1"},
                                       {"machine_type", "a"},
                                       {"image", "i"},
                                       {"cc_init_data", "x"}});
  // Unchanged (a scale of a Deployment, a label edit): never blocked.
  CHECK(rules(big, big).empty());
  CHECK(rules("{}", "{}").empty());
  // Lower sizes, or removed values: never blocked.
  CHECK(rules(big, annotations({{"default_vcpus", "2"},
                                {"default_memory", "1024"},
                                {"default_gpus", "0"},
                                {"machine_type", "a"},
                                {"image", "i"},
                                {"cc_init_data", "x"}}))
            .empty());
  CHECK(rules(big, "{}").empty());
  // Raised or newly set sizes, changed names: checked.
  CHECK(rules(annotations({{"default_vcpus", "2"}}), annotations({{"default_vcpus", "3"}})) ==
        set_of({vm_rule::vcpus}));
  CHECK(rules("{}", annotations({{"default_memory", "1"}})) == set_of({vm_rule::memory}));
  CHECK(rules(annotations({{"default_gpus", "two"}}), annotations({{"default_gpus", "1"}})) == set_of({vm_rule::gpus}));
  CHECK(rules(annotations({{"default_gpus", "1"}}), annotations({{"default_gpus", "x"}})) == set_of({vm_rule::gpus}));
  CHECK(rules(annotations({{"default_gpus", "x"}}), annotations({{"default_gpus", "x"}})).empty());
  CHECK(rules(big, annotations({{"default_vcpus", "8"},
                                {"default_memory", "8192"},
                                {"default_gpus", "1"},
                                {"machine_type", "b"},
                                {"image", "j"},
                                {"cc_init_data", "y"}})) ==
        set_of({vm_rule::instance_type, vm_rule::image, vm_rule::initdata}));

  // A template whose resources grow raises the computed size.
  const json::value small_spec =
      json::parse(R"({"containers": [{"resources": {"limits": {"cpu": "2"}, "requests": {"cpu": "1"}}}]})");
  const json::value large_spec =
      json::parse(R"({"containers": [{"resources": {"limits": {"cpu": "4"}, "requests": {"cpu": "1"}}}]})");
  const json::value same_size =
      json::parse(R"({"containers": [{"resources": {"limits": {"cpu": "1500m"}, "requests": {"cpu": "1"}}}]})");
  const vm_request small = read_template_vm_request(nullptr, small_spec.as_object(), true);
  const vm_request large = read_template_vm_request(nullptr, large_spec.as_object(), true);
  CHECK(rules_to_check_on_update(small, large) == set_of({vm_rule::vcpus}));
  CHECK(rules_to_check_on_update(large, small).empty());
  // Resources that change but round to the same VM: not a change of the VM.
  CHECK(rules_to_check_on_update(small, read_template_vm_request(nullptr, same_size.as_object(), true)).empty());

  // check() honours the set.
  vm_limits limits;
  limits.max_vcpus = 1;
  limits.max_memory = memory_limit::parse("1Mi", nullptr);
  const pod_annotations pod(big);
  CHECK(only(check(pod.request, limits, fixture_digests(), set_of({vm_rule::memory}))).rule == vm_rule::memory);
  CHECK(check(pod.request, limits, fixture_digests(), vm_rule_set{}).empty());
}
