// The audit reads JSON items pruned to audit_item_shape(), most of them in one pass of the parser
// straight from the read buffer (audit/object_stream.cpp). Its reference is the way it read them
// before: the splitter byte by byte and every item parsed whole (stream_options::item_shape =
// nullptr). Both must give the same reports, byte for byte, and the same stream statistics (items,
// unreadable ones, fatal errors with their lines): over every audit input of the repository, and
// over seeded random pod lists with what real dumps and hand-made files hold (owned pods, VM
// annotations, resources, unread fields, escaped and duplicate keys, wrong JSON types, broken items).

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "audit/object_auditor.hpp"
#include "audit/object_stream.hpp"
#include "audit/render/render.hpp"
#include "engine/policy/loader.hpp"
#include "tests/support/vm_fixtures.hpp"

using namespace peergate;
using namespace peergate::audit;
namespace fs = std::filesystem;

namespace {

struct named_input {
  std::string label;
  std::string text;
};

struct policy_case {
  std::string label;
  policy_snapshot policies;
};

// Everything the audit of `inputs` says: the reports (JSON, the table and the PolicyReports with
// every result), and per input what the stream reader counted and why it gave up.
std::string audit_everything(const std::vector<named_input>& inputs, const policy_snapshot& policies,
                             const json_shape* item_shape, std::size_t chunk_bytes, bool reuse_item_memory = false) {
  static const testing::table_digest_provider digests = testing::fixture_digests();
  const evaluation_context context{digests, testing::fixed_now};
  object_auditor auditor(policies, context);
  std::ostringstream out;
  for (const named_input& input : inputs) {
    auditor.begin_source(input.label);
    std::istringstream in(input.text);
    stream_options options;
    options.chunk_bytes = chunk_bytes;
    options.item_shape = item_shape;
    options.reuse_item_memory = reuse_item_memory;
    const stream_stats stats = read_objects(
        in, [&](input_item&& item) { auditor.add(std::move(item)); }, options);
    // After a fatal error the reading stops with the chunk that holds it: the bytes read depend on
    // the buffer's size.
    out << input.label << ": bytes " << (stats.fatal.empty() ? stats.bytes : 0) << " items " << stats.items
        << " unreadable " << stats.unreadable << " lists " << stats.lists << " fatal " << stats.fatal << "\n";
  }
  const report r = auditor.finish(1764547200);
  render_options all;
  all.all = true;
  for (report_format format : {report_format::json, report_format::table, report_format::policy_report}) {
    out << "---\n";
    render(format, r, out, all);
  }
  return out.str();
}

// The pruned reading, with the read buffer's default size and with small ones (items cut by the
// buffer's end are split first, then parsed), each item in its own memory or in the arena reused
// from item to item (as `peergate audit` reads), against the reference.
void require_same_reports(const std::vector<named_input>& inputs, const policy_case& policies) {
  const std::string reference = audit_everything(inputs, policies.policies, nullptr, 1 << 20);
  for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{97}})
    for (bool reuse : {false, true}) {
      INFO("policies " << policies.label << ", read buffer " << chunk << " bytes, reused memory " << reuse
                       << ", inputs " << inputs.front().label);
      const std::string pruned = audit_everything(inputs, policies.policies, &audit_item_shape(), chunk, reuse);
      REQUIRE(pruned == reference);
    }
}

std::string source_path(const std::string& relative) { return std::string(PEERGATE_SOURCE_DIR) + "/" + relative; }

policy_snapshot load_or_stop(const std::vector<std::string>& paths) {
  load_result loaded = load_policies(paths, mutation_defaults{}, testing::fixed_now);
  INFO(loaded.problems.render_text());
  REQUIRE(loaded.ok());
  return loaded.policies;
}

// The embedded policies, the samples', and VM limits with exceptions (every VM rule).
const std::vector<policy_case>& policy_cases() {
  static const std::vector<policy_case> cases = [] {
    std::vector<policy_case> out;
    out.push_back({"embedded", load_or_stop({})});
    out.push_back({"samples/audit/policies", load_or_stop({source_path("samples/audit/policies")})});
    out.push_back({"vm limits and exceptions", load_or_stop({source_path("tests/data/vm/limits.yaml"),
                                                             source_path("tests/data/exceptions/exceptions.yaml")})});
    out.push_back({"vm forbid-overrides", load_or_stop({source_path("tests/data/vm/forbid-overrides.yaml")})});
    return out;
  }();
  return cases;
}

// Every file under tests/ and samples/ that `peergate audit -f` could be given: JSON, JSON lines,
// YAML, and the golden cases' standard inputs. Policies and fixtures that are not objects are
// inputs too: both readings must agree on them as well.
std::vector<named_input> repository_inputs() {
  std::vector<named_input> out;
  for (const char* top : {"tests", "samples"}) {
    for (const auto& entry : fs::recursive_directory_iterator(source_path(top))) {
      if (!entry.is_regular_file()) continue;
      const fs::path& p = entry.path();
      const std::string ext = p.extension().string();
      if (ext != ".json" && ext != ".jsonl" && ext != ".yaml" && ext != ".yml" && p.filename() != "stdin") continue;
      out.push_back({fs::relative(p, PEERGATE_SOURCE_DIR).string(), peergate::testing::file_bytes(p)});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.label < b.label; });
  return out;
}

// A JSON text written by hand, so that it can hold what a serializer never writes: duplicate
// keys, keys with escapes, broken syntax.
class pod_list_writer {
 public:
  explicit pod_list_writer(std::uint64_t seed) : rng_(seed) {}

  std::string list(std::size_t items) {
    indent_ = pick({0, 0, 2, 4});
    std::string out = "{" + nl(1) + key("\"apiVersion\"") + "\"v1\"," + nl(1) + key("\"items\"") + "[";
    for (std::size_t i = 0; i < items; ++i) {
      out += nl(2);
      out += item(i);
      if (i + 1 < items) out += ",";
    }
    out += nl(1) + "]," + nl(1) + key("\"kind\"") + "\"List\"," + nl(1) + key("\"metadata\"") +
           "{\"resourceVersion\": \"\"}" + nl(0) + "}\n";
    return out;
  }

 private:
  bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  int pick(std::initializer_list<int> values) {
    return *(values.begin() + std::uniform_int_distribution<std::size_t>(0, values.size() - 1)(rng_));
  }
  template <typename T>
  const T& pick_of(const std::vector<T>& values) {
    return values[std::uniform_int_distribution<std::size_t>(0, values.size() - 1)(rng_)];
  }
  std::string nl(int depth) const { return indent_ == 0 ? std::string() : "\n" + std::string(depth * indent_, ' '); }
  static std::string key(const std::string& quoted) { return quoted + ": "; }
  static std::string quote(const std::string& s) { return "\"" + s + "\""; }

  // An object from members written already ("key": value), maybe with one of them twice.
  std::string object(std::vector<std::string> members, int depth) {
    if (!members.empty() && chance(5)) members.push_back(pick_of(members));  // a duplicate key
    if (chance(30)) std::shuffle(members.begin(), members.end(), rng_);
    std::string out = "{";
    for (std::size_t i = 0; i < members.size(); ++i) {
      out += nl(depth + 1) + members[i];
      if (i + 1 < members.size()) out += ",";
    }
    return out + nl(depth) + "}";
  }
  std::string array(const std::vector<std::string>& elements, int depth) {
    std::string out = "[";
    for (std::size_t i = 0; i < elements.size(); ++i) {
      out += nl(depth + 1) + elements[i];
      if (i + 1 < elements.size()) out += ",";
    }
    return out + nl(depth) + "]";
  }
  // A key as written: plain, or with one of its letters escaped (the same key to a JSON reader).
  std::string written_key(const std::string& name) {
    if (name.size() < 2 || !chance(4)) return quote(name);
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, name.size() - 1)(rng_);
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(name[at]));
    return quote(name.substr(0, at) + escaped + name.substr(at + 1));
  }
  std::string member(const std::string& name, const std::string& value) { return written_key(name) + ": " + value; }
  // A value of the wrong JSON type, now and then, instead of `value`.
  std::string or_wrong_type(const std::string& value) {
    if (!chance(3)) return value;
    return pick_of(std::vector<std::string>{"42", "\"text\"", "[]", "{}", "null", "true", "[1, \"a\"]", "-1.5e3"});
  }

  std::string quantity() {
    return quote(pick_of(std::vector<std::string>{"100m", "1", "2", "500Mi", "1Gi", "2G", "0", "1.5", "x", "-1"}));
  }
  std::string resources(int depth) {
    std::vector<std::string> members;
    for (const char* part : {"requests", "limits"}) {
      if (!chance(60)) continue;
      std::vector<std::string> quantities;
      if (chance(70)) quantities.push_back(member("cpu", quantity()));
      if (chance(70)) quantities.push_back(member("memory", quantity()));
      if (chance(40)) quantities.push_back(member("kata.peerpods.io/vm", quote("1")));
      if (chance(10)) quantities.push_back(member("nvidia.com/gpu", quantity()));
      members.push_back(member(part, or_wrong_type(object(quantities, depth + 1))));
    }
    return object(members, depth);
  }
  std::string container(int depth, int index) {
    std::vector<std::string> members{member("name", quote("c" + std::to_string(index))),
                                     member("image", quote("registry.example/app:1." + std::to_string(index)))};
    if (chance(85)) members.push_back(member("resources", or_wrong_type(resources(depth + 1))));
    if (chance(50))
      members.push_back(member(
          "ports",
          array({object({member("containerPort", "8080"), member("protocol", "\"TCP\"")}, depth + 2)}, depth + 1)));
    if (chance(30)) members.push_back(member("terminationMessagePath", "\"/dev/termination-log\""));
    return object(members, depth);
  }
  std::string containers(int depth) {
    std::vector<std::string> list;
    const int n = pick({0, 1, 1, 2, 3});
    for (int i = 0; i < n; ++i) list.push_back(or_wrong_type(container(depth + 1, i)));
    return array(list, depth);
  }
  std::string annotations(int depth) {
    std::vector<std::string> members;
    const std::string prefix = "io.katacontainers.config.hypervisor.";
    if (chance(50))
      members.push_back(member(prefix + "default_vcpus",
                               quote(pick_of(std::vector<std::string>{"1", "2", "4", "16", "two", "0", "-3"}))));
    if (chance(50))
      members.push_back(member(prefix + "default_memory",
                               quote(pick_of(std::vector<std::string>{"512", "2048", "8192", "64Gi", "lots"}))));
    if (chance(20)) members.push_back(member(prefix + "default_gpus", quote(pick({0, 1, 2, 8}) == 8 ? "x" : "1")));
    if (chance(20))
      members.push_back(member(prefix + "machine_type",
                               quote(pick_of(std::vector<std::string>{"Standard_DC4as_v5", "t3.large", "huge"}))));
    if (chance(10)) members.push_back(member(prefix + "image", quote("/images/podvm-" + std::to_string(pick({1, 2})))));
    if (chance(10)) members.push_back(member("io.katacontainers.config.runtime.cc_init_data", quote("not-gzip")));
    if (chance(30)) members.push_back(member("kubectl.kubernetes.io/restartedAt", "\"2024-05-01T10:00:00Z\""));
    return object(members, depth);
  }
  // What the audit never reads: labels, managedFields, status.
  std::string unread_fields(int depth) {
    return member(
        "managedFields",
        array({object({member("apiVersion", "\"v1\""), member("fieldsType", "\"FieldsV1\""),
                       member("fieldsV1", object({member("f:metadata", object({member("f:labels", "{}")}, depth + 4)),
                                                  member("k:{\\\"uid\\\":\\\"x\\\"}", "{}")},
                                                 depth + 3)),
                       member("time", "\"2024-05-01T10:00:00Z\"")},
                      depth + 2)},
              depth + 1));
  }
  std::string pod_spec(int depth) {
    std::vector<std::string> members;
    const int runtime = pick({0, 1, 2, 3, 4, 5});
    if (runtime <= 2) members.push_back(member("runtimeClassName", "\"kata-remote\""));
    else if (runtime == 3) members.push_back(member("runtimeClassName", "\"kata\""));
    else if (runtime == 4) members.push_back(member("runtimeClassName", or_wrong_type("null")));
    members.push_back(member("containers", or_wrong_type(containers(depth + 1))));
    if (chance(20)) members.push_back(member("initContainers", or_wrong_type(containers(depth + 1))));
    if (chance(40))
      members.push_back(member("nodeSelector", object({member("kubernetes.io/os", "\"linux\"")}, depth + 1)));
    if (chance(40)) members.push_back(member("dnsPolicy", "\"ClusterFirst\""));
    return object(members, depth);
  }
  std::string metadata(int depth, const std::string& name, const std::string& ns, const std::string& uid,
                       const std::vector<std::string>& owners) {
    std::vector<std::string> members;
    if (chance(90)) members.push_back(member("name", or_wrong_type(quote(name))));
    else members.push_back(member("generateName", quote(name + "-")));
    if (chance(90)) members.push_back(member("namespace", or_wrong_type(quote(ns))));
    if (!uid.empty()) members.push_back(member("uid", quote(uid)));
    if (chance(70)) members.push_back(member("annotations", or_wrong_type(annotations(depth + 1))));
    if (chance(60)) members.push_back(member("labels", object({member("app", quote(name))}, depth + 1)));
    if (!owners.empty()) members.push_back(member("ownerReferences", array(owners, depth + 1)));
    if (chance(50)) members.push_back(unread_fields(depth + 1));
    return object(members, depth);
  }
  std::string owner_reference(int depth, const std::string& kind, const std::string& name, const std::string& uid) {
    std::vector<std::string> members{member("apiVersion", "\"apps/v1\""), member("kind", quote(kind)),
                                     member("name", quote(name))};
    if (!uid.empty() && chance(80)) members.push_back(member("uid", quote(uid)));
    if (chance(70)) members.push_back(member("controller", chance(90) ? "true" : "false"));
    return object(members, depth);
  }

  std::string item(std::size_t index) {
    const int depth = 2;
    const std::string ns = pick_of(std::vector<std::string>{"team-a", "team-b", "peer-pods", "kube-system"});
    const std::string uid =
        chance(85) ? "uid-" + std::to_string(pick({0, 1, 2, 3, 4, 5, 6, 7})) + "-" + std::to_string(index % 7)
                   : std::string();
    const int shape = pick({0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    std::string text;
    if (shape == 9) {  // not an object, or not even JSON
      text = pick_of(std::vector<std::string>{"\"a string\"", "42", "null", "[]", "{}", "{\"kind\": \"Pod\"}"});
    } else if (shape == 8) {  // a kind without pods
      text = object({member("apiVersion", "\"v1\""), member("kind", "\"Service\""),
                     member("metadata", metadata(depth + 1, "svc", ns, uid, {}))},
                    depth);
    } else {
      static const std::vector<std::pair<std::string, std::string>> kinds{{"v1", "Pod"},
                                                                          {"apps/v1", "ReplicaSet"},
                                                                          {"apps/v1", "Deployment"},
                                                                          {"apps/v1", "StatefulSet"},
                                                                          {"apps/v1", "DaemonSet"},
                                                                          {"batch/v1", "Job"},
                                                                          {"batch/v1", "CronJob"},
                                                                          {"v1", "Pod"}};
      const auto& [api_version, kind] = kinds[static_cast<std::size_t>(shape)];
      const std::string name = "w" + std::to_string(pick({0, 1, 2, 3}));
      std::vector<std::string> owners;
      if (chance(60)) {
        const std::string owner_kind =
            pick_of(std::vector<std::string>{"ReplicaSet", "Deployment", "Job", "CronJob", "StatefulSet", "DaemonSet"});
        owners.push_back(owner_reference(
            depth + 3, owner_kind, "w" + std::to_string(pick({0, 1, 2, 3})),
            "uid-" + std::to_string(pick({0, 1, 2, 3})) + "-" + std::to_string(pick({0, 1, 2, 3, 4, 5, 6}))));
        if (chance(20)) owners.push_back(or_wrong_type(owner_reference(depth + 3, "Node", "n", "")));
      }
      std::vector<std::string> members{member("apiVersion", quote(api_version)),
                                       member("kind", or_wrong_type(quote(kind))),
                                       member("metadata", or_wrong_type(metadata(depth + 1, name, ns, uid, owners)))};
      std::string spec;
      if (kind == "Pod") {
        spec = pod_spec(depth + 1);
      } else {
        const std::string tmpl = object({member("metadata", metadata(depth + 3, name, ns, "", {})),
                                         member("spec", or_wrong_type(pod_spec(depth + 3)))},
                                        depth + 2);
        if (kind == "CronJob")
          spec = object({member("schedule", "\"* * * * *\""),
                         member("jobTemplate",
                                object({member("spec", object({member("template", tmpl)}, depth + 3))}, depth + 2))},
                        depth + 1);
        else spec = object({member("replicas", "2"), member("template", or_wrong_type(tmpl))}, depth + 1);
      }
      members.push_back(member("spec", or_wrong_type(spec)));
      if (chance(50)) members.push_back(member("status", object({member("phase", "\"Running\"")}, depth + 1)));
      text = object(members, depth);
    }
    if (chance(4)) text = broken(text);
    return text;
  }

  // The item with one syntax error: the reader must refuse it, with the same message either way.
  // A bracket is never removed or added, so the rest of the list stays readable.
  std::string broken(std::string text) {
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng_);
    switch (pick({0, 1, 2, 3, 4, 5})) {
      case 0: return text.insert(at, ",");
      case 1: return text.insert(at, "kata-remote");
      case 2: {  // a bad escape, a control character or invalid UTF-8 inside a string
        const std::size_t quote_at = text.find('"', at);
        if (quote_at == std::string::npos) return text + " x";
        return text.insert(quote_at + 1, pick_of(std::vector<std::string>{"\\q", "\x01", "\xff", "\\u12"}));
      }
      case 3: {
        const std::size_t colon = text.find(':', at);
        if (colon != std::string::npos) text[colon] = ';';
        return text;
      }
      case 4: return text.insert(at, "01");
      default: return text.insert(at, "\n\n");
    }
  }

  std::mt19937_64 rng_;
  int indent_ = 0;
};

}  // namespace

TEST_CASE("pruned items give the reports of whole items: every audit input of the repository", "[audit][pruned]") {
  const std::vector<named_input> inputs = repository_inputs();
  REQUIRE(inputs.size() > 20);
  for (const policy_case& policies : policy_cases())
    for (const named_input& input : inputs) require_same_reports({input}, policies);
  // All at once too: duplicates across inputs, owners in another input.
  require_same_reports(inputs, policy_cases()[1]);
}

TEST_CASE("pruned items give the reports of whole items: random pod lists", "[audit][pruned]") {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    pod_list_writer writer(seed);
    const std::string text = writer.list(1 + seed % 40);
    INFO("seed " << seed << ":\n" << text);
    require_same_reports({{"random-" + std::to_string(seed) + ".json", text}},
                         policy_cases()[seed % policy_cases().size()]);
  }
}

TEST_CASE("the random pod lists hold what they are meant to exercise", "[audit][pruned]") {
  // A generator that stopped writing broken items or peer pods would make the test above pass
  // without comparing anything interesting.
  std::string all;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) all += pod_list_writer(seed).list(1 + seed % 40);
  for (const char* needle : {"kata-remote", "ownerReferences", "default_vcpus", "managedFields", "\\u00", "CronJob",
                             "kata.peerpods.io/vm"}) {
    INFO(needle);
    CHECK(all.find(needle) != std::string::npos);
  }
  const report r = [&] {
    static const testing::table_digest_provider digests = testing::fixture_digests();
    object_auditor auditor(policy_cases()[1].policies, evaluation_context{digests, testing::fixed_now});
    auditor.begin_source("all");
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
      std::istringstream in(pod_list_writer(seed).list(1 + seed % 40));
      read_objects(in, [&](input_item&& item) { auditor.add(std::move(item)); });
    }
    return auditor.finish(0);
  }();
  std::size_t errors = 0, fails = 0, passes = 0;
  for (const row& audited : r.rows)
    for (const row_result& found : audited.results) {
      errors += found.outcome == result::error;
      fails += found.outcome == result::fail;
      passes += found.outcome == result::pass;
    }
  CHECK(errors > 0);
  CHECK(fails > 0);
  CHECK(passes > 0);
  CHECK(r.folded > 0);
}
