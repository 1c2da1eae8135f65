#pragma once
// Random AdmissionReview bodies for the differential test of the review codec
// (tests/webhook/differential_test.cpp): Pods and workloads of every evaluated kind and some that
// are not evaluated, CREATE, UPDATE (with an oldObject that keeps or changes the runtime class,
// the resources, the VM annotations), DELETE and CONNECT, namespaces that policies allow, deny,
// exclude or except, runtime classes, containers with quantities valid and not, the VM
// annotations, fields no step reads; and, for part of the cases, hostile JSON: keys and strings
// written with escapes, unicode and invalid UTF-8, duplicate keys anywhere, wrong JSON types
// anywhere, odd numbers, nesting around the 512 limit, truncated bodies and trailing garbage.
//
// The body is written by hand from a small tree that, unlike a JSON value, keeps duplicate keys
// and raw number texts. Same seed, same bodies: a failure is reproduced from its seed.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace peergate::testing {

// A JSON text to be: raw text (numbers, literals, anything), a string (any bytes, escaped when
// written), an object (members in order, duplicates kept) or an array. A member of an object
// carries its own key.
struct gen_json {
  enum class type { raw, string, object, array };
  type kind = type::raw;
  std::string text;  // raw: the text itself; string: the content
  std::string key;   // the member's key, in an object's members
  std::vector<gen_json> members;
  std::vector<gen_json> elements;

  static gen_json raw(std::string text) { return {type::raw, std::move(text), {}, {}, {}}; }
  static gen_json str(std::string text) { return {type::string, std::move(text), {}, {}, {}}; }
  static gen_json object() { return {type::object, {}, {}, {}, {}}; }
  static gen_json array() { return {type::array, {}, {}, {}, {}}; }
  static gen_json null() { return raw("null"); }

  gen_json& set(std::string member_key, gen_json value) {
    value.key = std::move(member_key);
    members.push_back(std::move(value));
    return *this;
  }
  gen_json& push(gen_json value) {
    elements.push_back(std::move(value));
    return *this;
  }
  gen_json* find(std::string_view member_key) {
    for (gen_json& m : members)
      if (m.key == member_key) return &m;
    return nullptr;
  }
  // Another value in this one's place, under the same key.
  void replace(gen_json with) {
    with.key = std::move(key);
    *this = std::move(with);
  }
};

// splitmix64: one well-mixed seed per case from a run's seed and the case's index.
inline std::uint64_t case_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class review_generator {
 public:
  // `initdata`: cc_init_data values to choose from (the base64 fixtures of tests/data/initdata).
  review_generator(std::uint64_t seed, std::vector<std::string> initdata)
      : rng_(seed), initdata_(std::move(initdata)) {}

  // One body.
  std::string next() {
    hostile_ = chance(0.45);
    escape_rate_ = hostile_ && chance(0.35) ? pick<double>({0.05, 0.2, 1.0}) : 0.0;
    invalid_utf8_ = hostile_ && chance(0.08);
    gen_json review = make_review();
    if (hostile_) {
      if (chance(0.3)) wrong_types(review, pick<double>({0.01, 0.03, 0.1}));
      if (chance(0.3)) duplicates(review, pick<double>({0.02, 0.1, 0.3}));
      if (chance(0.25)) odd_numbers(review, pick<double>({0.02, 0.1}));
      if (chance(0.3)) odd_strings(review, pick<double>({0.02, 0.1}));
      if (chance(0.12)) deep_nesting(review);
    }
    std::string body;
    if (hostile_ && chance(0.02)) body += "\xEF\xBB\xBF";  // a byte order mark: not JSON
    write(body, review);
    if (hostile_ && chance(0.08)) body.resize(uniform(0, body.size() - 1));  // truncated
    if (hostile_ && chance(0.08))
      body += pick<std::string_view>({"x", "}", "{}", " ,", std::string_view("\0", 1), " \n\t", "null", "/*c*/", "]"});
    return body;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> initdata_;
  bool hostile_ = false;
  bool invalid_utf8_ = false;
  double escape_rate_ = 0;

  // ---- randomness

  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  // What makes a review malformed (a member missing, an invalid value) is rarer in the cases that
  // are not hostile, so that most of those reach the steps.
  bool odd(double p) { return chance(hostile_ ? p : p / 5); }
  std::size_t uniform(std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }
  template <typename T>
  T pick(std::initializer_list<T> items) {
    return *(items.begin() + uniform(0, items.size() - 1));
  }
  std::string pick_s(std::initializer_list<const char*> items) { return pick<const char*>(items); }
  std::string number_text() { return std::to_string(uniform(0, 99999)); }

  // ---- the review

  struct kind_entry {
    const char* group;
    const char* version;
    const char* kind;
  };

  gen_json make_review() {
    gen_json review = gen_json::object();
    const bool request_first = chance(0.1);
    const bool request_missing = !request_first && odd(0.01);
    if (!request_missing) review.set("request", make_request());
    if (!odd(0.02)) review.set("kind", gen_json::str(!odd(0.02) ? "AdmissionReview" : "AdmissionResponse"));
    if (!odd(0.02))
      review.set("apiVersion", gen_json::str(odd(0.03)      ? pick_s({"admission.k8s.io/v2", "v1", ""})
                                             : chance(0.85) ? "admission.k8s.io/v1"
                                                            : "admission.k8s.io/v1beta1"));
    if (chance(0.05)) review.set("response", gen_json::object().set("uid", gen_json::str("not read")));
    // The request first, as written by hand, or last, as the apiserver writes it.
    if (!request_first && !request_missing)
      std::rotate(review.members.begin(), review.members.begin() + 1, review.members.end());
    return review;
  }

  gen_json make_request() {
    static constexpr kind_entry kinds[] = {{"", "v1", "Pod"},
                                           {"", "v1", "Pod"},
                                           {"", "v1", "Pod"},
                                           {"", "v1", "Pod"},
                                           {"", "v1", "Pod"},
                                           {"", "v1", "Pod"},
                                           {"", "v1", "Pod"},
                                           {"", "v1", "Pod"},
                                           {"apps", "v1", "Deployment"},
                                           {"apps", "v1", "ReplicaSet"},
                                           {"apps", "v1", "StatefulSet"},
                                           {"apps", "v1", "DaemonSet"},
                                           {"extensions", "v1beta1", "Deployment"},
                                           {"batch", "v1", "Job"},
                                           {"batch", "v1", "CronJob"},
                                           {"", "v1", "ConfigMap"},
                                           {"", "v1", "Service"},
                                           {"apps", "v1", "ControllerRevision"},
                                           {"extensions", "v1beta1", "StatefulSet"},
                                           {"", "v1", "PodTemplate"}};
    const kind_entry& k = kinds[uniform(0, std::size(kinds) - 1)];
    gen_json request = gen_json::object();
    if (!odd(0.02)) request.set("uid", uid());
    gen_json gvk = gen_json::object();
    if (!chance(0.1)) gvk.set("group", gen_json::str(k.group));
    gvk.set("version", gen_json::str(k.version));
    if (!odd(0.01)) gvk.set("kind", gen_json::str(k.kind));
    request.set("kind", std::move(gvk));
    request.set("resource", gen_json::object()
                                .set("group", gen_json::str(k.group))
                                .set("version", gen_json::str(k.version))
                                .set("resource", gen_json::str("things")));
    if (chance(0.2)) request.set("requestKind", gen_json::object().set("kind", gen_json::str(k.kind)));
    const std::string op = chance(0.6)   ? "CREATE"
                           : chance(0.7) ? "UPDATE"
                           : chance(0.7) ? "DELETE"
                           : chance(0.7) ? "CONNECT"
                                         : pick_s({"create", "PATCH", ""});
    if (!odd(0.01)) request.set("operation", gen_json::str(op));
    if (chance(0.08))
      request.set("subResource", chance(0.3) ? gen_json::null()
                                             : gen_json::str(pick_s({"", "status", "binding", "ephemeralcontainers"})));

    const std::string ns = namespace_name();
    std::string name = object_name();
    if (chance(0.3) && !name.empty()) request.set("name", gen_json::str(name));
    if (!chance(0.05)) request.set("namespace", gen_json::str(ns));

    gen_json user = gen_json::object();
    user.set("username", gen_json::str(pick_s({"alice", "system:serviceaccount:kube-system:replicaset-controller",
                                               "bob", "admin", "m\xC3\xA9lanie"})));
    user.set("uid", gen_json::str("u-" + number_text()));
    gen_json groups = gen_json::array();
    groups.push(gen_json::str("system:authenticated"));
    if (chance(0.12)) groups.push(gen_json::str("system:masters"));
    if (chance(0.1)) groups.push(gen_json::str("team-a"));
    if (!odd(0.05)) user.set("groups", std::move(groups));
    if (chance(0.2)) user.set("extra", gen_json::object().set("scopes", gen_json::array().push(gen_json::str("x"))));
    if (!odd(0.03)) request.set("userInfo", std::move(user));

    const std::string object_ns = chance(0.85) ? ns : chance(0.5) ? std::string() : namespace_name();
    gen_json object = make_object(k, object_ns, name);
    if (op == "DELETE" || op == "CONNECT") {
      request.set("object", gen_json::null());
      if (!chance(0.2)) request.set("oldObject", std::move(object));
    } else if (op == "UPDATE") {
      gen_json old = object;
      change_for_update(old);
      if (chance(0.08)) request.set("oldObject", gen_json::null());
      else if (!chance(0.05)) request.set("oldObject", std::move(old));
      if (!odd(0.02)) request.set("object", std::move(object));
    } else {
      if (!odd(0.02)) request.set("object", std::move(object));
      if (chance(0.7)) request.set("oldObject", gen_json::null());
    }
    if (chance(0.8)) request.set("dryRun", gen_json::raw(chance(0.9) ? "false" : "true"));
    if (chance(0.3)) request.set("options", gen_json::object().set("kind", gen_json::str("CreateOptions")));
    if (chance(0.3)) std::shuffle(request.members.begin(), request.members.end(), rng_);
    return request;
  }

  gen_json uid() {
    if (odd(0.03)) return gen_json::str("");
    if (chance(0.05))
      return gen_json::str(pick_s({"u\"quoted\"", "back\\slash", "ctl\x01\x1f\x7f", "tab\tnl\n", "bs\b ff\f cr\r",
                                   "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80 smile"}));
    return gen_json::str("7f0e3a52-" + number_text() + "-4d7b");
  }

  std::string namespace_name() {
    return pick_s({"peer-pods", "peer-pods", "confidential-ml", "confidential-exempt", "coco-team1", "coco-audit-1",
                   "default", "team-a", "kube-system", "peer-pods-webhook-system", "trial-ml", "trial-x", "openshift",
                   "", "Peer-Pods", "n\xC3\xA9space"});
  }

  std::string object_name() {
    if (chance(0.35)) return {};  // generateName only
    return pick_s({"train", "trainer-0", "web", "inference", "p", "x\"y", "na\xC3\xAFve"});
  }

  // ---- objects

  gen_json make_object(const kind_entry& k, const std::string& ns, const std::string& name) {
    gen_json object = gen_json::object();
    object.set("apiVersion",
               gen_json::str(std::string(k.group).empty() ? k.version : std::string(k.group) + "/" + k.version));
    object.set("kind", gen_json::str(k.kind));
    object.set("metadata", metadata(ns, name, true));
    const std::string_view kind = k.kind;
    if (kind == "Pod") {
      object.set("spec", pod_spec());
      if (chance(0.5)) object.set("status", gen_json::object().set("phase", gen_json::str("Pending")));
    } else if (kind == "CronJob") {
      gen_json job_spec = gen_json::object();
      if (chance(0.3)) job_spec.set("backoffLimit", gen_json::raw("6"));
      job_spec.set("template", pod_template());
      gen_json job_template = gen_json::object();
      if (chance(0.3)) job_template.set("metadata", metadata("", "", false));
      job_template.set("spec", std::move(job_spec));
      object.set(
          "spec",
          gen_json::object().set("schedule", gen_json::str("*/5 * * * *")).set("jobTemplate", std::move(job_template)));
    } else if (kind == "ConfigMap" || kind == "Service") {
      if (chance(0.5)) object.set("spec", pod_spec());  // not evaluated, whatever it holds
      object.set("data", gen_json::object().set("k", gen_json::str("v")));
    } else if (kind == "PodTemplate") {
      object.set("template", pod_template());
    } else {
      gen_json spec = gen_json::object();
      spec.set("replicas", gen_json::raw(std::to_string(uniform(0, 5))));
      spec.set("selector", gen_json::object().set("matchLabels", gen_json::object().set("app", gen_json::str("a"))));
      spec.set("template", pod_template());
      if (chance(0.2)) spec.set("strategy", gen_json::object().set("type", gen_json::str("RollingUpdate")));
      object.set("spec", std::move(spec));
    }
    if (chance(0.3)) std::shuffle(object.members.begin(), object.members.end(), rng_);
    return object;
  }

  gen_json pod_template() {
    gen_json t = gen_json::object();
    if (!chance(0.1)) t.set("metadata", metadata("", "", false));
    if (!chance(0.03)) t.set("spec", pod_spec());
    return t;
  }

  gen_json metadata(const std::string& ns, const std::string& name, bool top) {
    gen_json m = gen_json::object();
    if (top) {
      if (!name.empty()) m.set("name", gen_json::str(name));
      if (name.empty() || chance(0.1))
        m.set("generateName", gen_json::str(pick_s({"trainer-7d9c5b8f6d-", "inference-", "web-", "x-"})));
      if (!ns.empty()) m.set("namespace", gen_json::str(ns));
      m.set("uid", gen_json::str("0000-" + number_text()));
      if (chance(0.4)) m.set("resourceVersion", gen_json::str(number_text()));
      if (chance(0.4))
        m.set("creationTimestamp", chance(0.5) ? gen_json::null() : gen_json::str("2026-11-30T10:00:00Z"));
    }
    if (chance(0.6)) m.set("labels", gen_json::object().set("app", gen_json::str("a")).set("tier", gen_json::str("b")));
    if (!chance(0.25)) m.set("annotations", annotations());
    if (top && chance(0.4)) m.set("managedFields", managed_fields());
    if (top && chance(0.3))
      m.set("ownerReferences", gen_json::array().push(gen_json::object()
                                                          .set("kind", gen_json::str("ReplicaSet"))
                                                          .set("name", gen_json::str("web-1"))
                                                          .set("controller", gen_json::raw("true"))));
    if (chance(0.2)) std::shuffle(m.members.begin(), m.members.end(), rng_);
    return m;
  }

  gen_json managed_fields() {
    gen_json fields = gen_json::object();
    gen_json* at = &fields;
    const std::size_t depth = uniform(1, 12);
    for (std::size_t i = 0; i < depth; ++i) {
      at->set("f:spec", gen_json::object());
      at = &at->members.back();
    }
    at->set(".", gen_json::object());
    return gen_json::array().push(gen_json::object()
                                      .set("manager", gen_json::str("kube-controller-manager"))
                                      .set("operation", gen_json::str("Update"))
                                      .set("fieldsV1", std::move(fields)));
  }

  gen_json annotations() {
    static constexpr const char* prefix = "io.katacontainers.config.hypervisor.";
    gen_json a = gen_json::object();
    if (chance(0.3)) a.set("kubectl.kubernetes.io/last-applied-configuration", gen_json::str("{\"kind\":\"Pod\"}"));
    if (chance(0.4))
      a.set(std::string(prefix) + "machine_type",
            text_or_odd({"m6a.xlarge", "m6a.large", "Standard_DC4as_v5", "Standard_DC2as_v5", "p4d.24xlarge",
                         "Standard_NC24ads_A100_v4", "", "m6a.\"x\""}));
    if (chance(0.35))
      a.set(std::string(prefix) + "default_vcpus", text_or_odd({"1", "2", "4", "8", "two", "", "+4", " 4", "4096",
                                                                "4097", "99999999999999999999", "1.5", "04"}));
    if (chance(0.35))
      a.set(std::string(prefix) + "default_memory",
            text_or_odd({"1024", "2048", "8192", "16384", "4Gi", "", "65536", "999999999"}));
    if (chance(0.2)) a.set(std::string(prefix) + "default_gpus", text_or_odd({"0", "1", "2", "-1", "x"}));
    if (chance(0.3))
      a.set(std::string(prefix) + "image", text_or_odd({"podvm-ubuntu-2204", "registry.example.com/podvm/ubuntu:2204",
                                                        "evil.example.com/podvm", "", "img\nwith\"ctl\x01"}));
    if (chance(0.25) && !initdata_.empty()) {
      if (chance(0.85))
        a.set(std::string(prefix) + "cc_init_data", gen_json::str(initdata_[uniform(0, initdata_.size() - 1)]));
      else a.set(std::string(prefix) + "cc_init_data", text_or_odd({"", "!!!", "aGVsbG8=", "H4sI"}));
    }
    if (chance(0.1)) a.set(std::string(prefix) + "default_maxvcpus", gen_json::str("64"));
    if (chance(0.1)) a.set("managedFields", gen_json::str("an annotation, kept"));
    return a;
  }

  gen_json text_or_odd(std::initializer_list<const char*> texts) {
    if (odd(0.05)) return gen_json::raw(pick_s({"4", "null", "true", "[]", "{}", "1e400"}));
    return gen_json::str(pick<const char*>(texts));
  }

  gen_json pod_spec() {
    gen_json spec = gen_json::object();
    const double rc = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (rc < 0.7) spec.set("runtimeClassName", gen_json::str("kata-remote"));
    else if (rc < 0.78)
      spec.set("runtimeClassName", gen_json::str(pick_s({"runc", "kata-qemu", "kata-remote ", "Kata-Remote", ""})));
    else if (rc < 0.8) spec.set("runtimeClassName", gen_json::null());
    if (!chance(0.08)) spec.set("containers", containers(uniform(chance(0.05) ? 0 : 1, 3), false));
    if (chance(0.35)) spec.set("initContainers", containers(uniform(0, 2), true));
    if (chance(0.4))
      spec.set("volumes", gen_json::array().push(
                              gen_json::object().set("name", gen_json::str("v")).set("emptyDir", gen_json::object())));
    if (chance(0.3)) spec.set("nodeSelector", gen_json::object().set("zone", gen_json::str("a")));
    if (chance(0.3)) spec.set("restartPolicy", gen_json::str("Always"));
    if (chance(0.2)) spec.set("overhead", gen_json::object().set("cpu", gen_json::str("250m")));
    if (chance(0.3)) std::shuffle(spec.members.begin(), spec.members.end(), rng_);
    return spec;
  }

  gen_json containers(std::size_t count, bool init) {
    gen_json list = gen_json::array();
    for (std::size_t i = 0; i < count; ++i) {
      gen_json c = gen_json::object();
      if (!chance(0.05))
        c.set("name", gen_json::str(init ? "init" : pick_s({"app", "sidecar", "c\"q\"", "\xE2\x98\x83"})));
      c.set("image", gen_json::str("registry.example.com/app:" + number_text()));
      if (chance(0.3))
        c.set("env", gen_json::array().push(
                         gen_json::object().set("name", gen_json::str("E")).set("value", gen_json::str("v"))));
      if (chance(0.2))
        c.set("ports", gen_json::array().push(gen_json::object().set("containerPort", gen_json::raw("8080"))));
      if (!chance(0.15)) c.set("resources", resources());
      if (chance(0.2)) std::shuffle(c.members.begin(), c.members.end(), rng_);
      list.push(std::move(c));
    }
    return list;
  }

  gen_json resources() {
    gen_json r = gen_json::object();
    if (chance(0.1)) return r;
    if (chance(0.75)) r.set("requests", quantities());
    if (chance(0.6)) r.set("limits", quantities());
    if (chance(0.03)) r.set("claims", gen_json::array());
    return r;
  }

  gen_json quantities() {
    gen_json q = gen_json::object();
    if (chance(0.8)) q.set("cpu", quantity("cpu"));
    if (chance(0.7)) q.set("memory", quantity("memory"));
    if (chance(0.15)) q.set("nvidia.com/gpu", quantity("gpu"));
    if (chance(0.1)) q.set("kata.peerpods.io/vm", gen_json::str("1"));
    if (chance(0.1)) q.set("ephemeral-storage", gen_json::str("1Gi"));
    return q;
  }

  gen_json quantity(std::string_view resource) {
    const double p = std::uniform_real_distribution<double>(0, 1)(rng_);
    const double rarity = hostile_ ? 1.0 : 0.25;
    if (p < 0.08 * rarity) {  // a number instead of a string, or an odd JSON value
      return gen_json::raw(
          pick_s({"1", "2", "0.5", "4", "1073741824", "-1", "0", "-0", "1e400", "-1e400", "18446744073709551616",
                  "-9223372036854775809", "1E-400", "0e400", "1.0", "true", "null", "[]", "{}"}));
    }
    if (p < 0.16 * rarity) {  // a string that is not a valid quantity, or a huge or negative one
      return gen_json::str(pick_s({"abc", "-1", "-500m", "1e3", "1E400", "99999999999999999999999", "", "1.5Ei",
                                   "9999999999Ei", "+1", " 1", "1x", "0x10", "1Gb", "Gi", ".5", "5.", "1e-3"}));
    }
    if (resource == "cpu")
      return gen_json::str(pick_s({"100m", "250m", "500m", "1", "2", "3", "4", "0.5", "1500m", "8"}));
    if (resource == "memory")
      return gen_json::str(
          pick_s({"64Mi", "128Mi", "512Mi", "1Gi", "2Gi", "4Gi", "8Gi", "16Gi", "1G", "500M", "1073741824"}));
    return gen_json::str(pick_s({"0", "1", "1", "2", "4"}));
  }

  // The oldObject of an UPDATE: the object, or one that did not have its runtime class, had
  // fewer resources or other VM annotations.
  void change_for_update(gen_json& old) {
    if (chance(0.4)) return;  // unchanged: an UPDATE that keeps everything
    gen_json* spec = pod_spec_of(old);
    if (spec != nullptr && chance(0.4)) {
      if (gen_json* rc = spec->find("runtimeClassName"); rc != nullptr)
        rc->replace(chance(0.5) ? gen_json::null() : gen_json::str("runc"));
      else spec->set("runtimeClassName", gen_json::str("kata-remote"));
    }
    if (spec != nullptr && chance(0.4)) {
      if (gen_json* list = spec->find("containers"); list != nullptr) list->replace(containers(1, false));
      else spec->set("containers", containers(1, false));
    }
    if (chance(0.3))
      if (gen_json* metadata = old.find("metadata"); metadata != nullptr) {
        if (gen_json* a = metadata->find("annotations"); a != nullptr) a->replace(annotations());
      }
  }

  // The pod spec of a generated object, wherever its kind keeps it; nullptr when it has none.
  static gen_json* pod_spec_of(gen_json& object) {
    gen_json* spec = object.find("spec");
    if (spec == nullptr || spec->kind != gen_json::type::object) return nullptr;
    if (gen_json* job_template = spec->find("jobTemplate"); job_template != nullptr) {
      spec = job_template->find("spec");
      if (spec == nullptr) return nullptr;
    }
    if (gen_json* t = spec->find("template"); t != nullptr) return t->find("spec");
    return spec;
  }

  // ---- hostile passes over the tree

  // Calls visit(value, depth) on every member value and element, depth-first; a visit that
  // returns false does not descend (it replaced the value).
  template <typename Visit>
  static void walk(gen_json& v, std::size_t depth, Visit& visit) {
    for (auto& child : v.members)
      if (visit(child, depth + 1)) walk(child, depth + 1, visit);
    for (auto& child : v.elements)
      if (visit(child, depth + 1)) walk(child, depth + 1, visit);
  }

  gen_json wrong_value(const gen_json& current) {
    for (;;) {
      gen_json v;
      switch (uniform(0, 6)) {
        case 0: v = gen_json::str(pick_s({"x", "", "kata-remote", "1"})); break;
        case 1: v = gen_json::raw(pick_s({"7", "-0", "1e400", "0.5"})); break;
        case 2: v = gen_json::raw(pick_s({"true", "false"})); break;
        case 3: v = gen_json::null(); break;
        case 4:
          v = gen_json::array();
          if (chance(0.5)) v.push(gen_json::raw("1"));
          break;
        case 5:
          v = gen_json::object();
          if (chance(0.5)) v.set("x", gen_json::str("y"));
          break;
        default: v = gen_json::array().push(gen_json::object()); break;
      }
      const bool same_type = v.kind == current.kind && (v.kind != gen_json::type::raw || v.text == current.text);
      if (!same_type) return v;
    }
  }

  void wrong_types(gen_json& root, double rate) {
    auto visit = [&](gen_json& v, std::size_t) {
      if (!chance(rate)) return true;
      v.replace(wrong_value(v));
      return false;
    };
    walk(root, 0, visit);
  }

  // Duplicates a member of objects: the same value again, another value, or a wrong type; after
  // the member, or before it (so that either copy is the last one).
  void duplicates(gen_json& v, double rate) {
    for (auto& child : v.members) duplicates(child, rate);
    for (auto& child : v.elements) duplicates(child, rate);
    if (v.kind != gen_json::type::object || v.members.empty() || !chance(rate)) return;
    const std::size_t at = uniform(0, v.members.size() - 1);
    gen_json copy = v.members[at];
    if (chance(0.5)) copy.replace(wrong_value(copy));
    const std::size_t where = chance(0.5) ? at + 1 : uniform(0, v.members.size());
    v.members.insert(v.members.begin() + static_cast<std::ptrdiff_t>(where), std::move(copy));
  }

  void odd_numbers(gen_json& root, double rate) {
    auto visit = [&](gen_json& v, std::size_t) {
      if (v.kind == gen_json::type::object || v.kind == gen_json::type::array || !chance(rate)) return true;
      v.replace(gen_json::raw(pick_s({"1e400", "-1e400", "-0", "0e400", "18446744073709551616", "18446744073709551615",
                                      "-9223372036854775808", "-9223372036854775809", "1E-400", "0.1e1",
                                      "1.7976931348623157e308", "123456789012345678901234567890", "-0.0"})));
      return false;
    };
    walk(root, 0, visit);
  }

  // Strings with unicode, escapes the writer must make (quotes, backslashes, controls), and
  // escapes written as they are (surrogate pairs, lone surrogates, \/).
  void odd_strings(gen_json& root, double rate) {
    auto visit = [&](gen_json& v, std::size_t) {
      if (v.kind != gen_json::type::string || !chance(rate)) return true;
      if (chance(0.25)) {
        v.replace(gen_json::raw(pick_s({"\"\\ud83d\\ude00\"", "\"kata-remot\\u0065\"", "\"\\ud800\"", "\"\\udc00x\"",
                                        "\"a\\/b\"", "\"\\u0000\"", "\"caf\\u00e9\"", "\"\\uD834\\uDD1E\""})));
        return false;
      }
      const std::string add = pick_s({"\xC3\xA9", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80", "\x7f", "\x01", "\n",
                                      "\b", "\f\r", "\"", "\\", "\xEF\xBF\xBD", "\xE2\x80\xA8"});
      v.text.insert(uniform(0, v.text.size()), add);
      return false;
    };
    walk(root, 0, visit);
  }

  // One value replaced by nested arrays and objects that end just under, at, or just over the
  // parser's depth limit of 512 counted from the top.
  void deep_nesting(gen_json& root) {
    std::size_t count = 0;
    auto counter = [&](gen_json&, std::size_t) {
      ++count;
      return true;
    };
    walk(root, 0, counter);
    if (count == 0) return;
    const std::size_t target = uniform(0, count - 1);
    std::size_t index = 0;
    auto replace = [&](gen_json& v, std::size_t depth) {
      if (index++ != target) return true;
      const long total = 512 + static_cast<long>(uniform(0, 6)) - 3;
      const long levels = std::max<long>(1, total - static_cast<long>(depth));
      std::string text;
      std::string close;
      for (long i = 0; i < levels; ++i) {
        if (chance(0.5)) {
          text += '[';
          close.insert(close.begin(), ']');
        } else {
          text += "{\"a\":";
          close.insert(close.begin(), '}');
        }
      }
      v.replace(gen_json::raw(text + (chance(0.5) ? "1" : "null") + close));
      return false;
    };
    walk(root, 0, replace);
  }

  // ---- writing

  void write(std::string& out, const gen_json& v) {
    switch (v.kind) {
      case gen_json::type::raw: out += v.text; break;
      case gen_json::type::string: write_string(out, v.text); break;
      case gen_json::type::object: {
        out += '{';
        bool first = true;
        for (const gen_json& child : v.members) {
          if (!first) out += ',';
          first = false;
          write_string(out, child.key);
          out += ':';
          write(out, child);
        }
        out += '}';
        break;
      }
      case gen_json::type::array: {
        out += '[';
        for (std::size_t i = 0; i < v.elements.size(); ++i) {
          if (i > 0) out += ',';
          write(out, v.elements[i]);
        }
        out += ']';
        break;
      }
    }
  }

  // The code point of the UTF-8 sequence at text[i] and its length, or length 0 when invalid.
  static std::pair<std::uint32_t, std::size_t> utf8_at(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    std::size_t n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (n == 0 || i + n > text.size()) return {0, 0};
    std::uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return {0, 0};
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return {0, 0};
    return {cp, n};
  }

  // A string literal: the escapes JSON needs, and at escape_rate_ any other character written as
  // an escape too (\u00XX, \/, \uXXXX and surrogate pairs for non-ASCII). With invalid_utf8_,
  // now and then a byte that makes the text invalid UTF-8.
  void write_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    const auto u_escape = [&](std::uint32_t unit) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += hex[(unit >> shift) & 15];
    };
    out += '"';
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (invalid_utf8_ && chance(0.01)) out += pick_s({"\xFF", "\xC3", "\xED\xA0\x80", "\xC0\xAF", "\x80"});
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        if (c == '\n' && chance(0.5)) out += "\\n";
        else u_escape(c);
      } else if (c < 0x80) {
        if (escape_rate_ > 0 && chance(escape_rate_)) {
          if (c == '/' && chance(0.5)) out += "\\/";
          else u_escape(c);
        } else {
          out += static_cast<char>(c);
        }
      } else {
        const auto [cp, n] = utf8_at(text, i);
        if (n == 0) {  // not UTF-8: as it is
          out += static_cast<char>(c);
        } else {
          if (escape_rate_ > 0 && chance(escape_rate_)) {
            if (cp >= 0x10000) {
              u_escape(0xD800 + ((cp - 0x10000) >> 10));
              u_escape(0xDC00 + ((cp - 0x10000) & 0x3FF));
            } else {
              u_escape(cp);
            }
          } else {
            out.append(text.substr(i, n));
          }
          i += n - 1;
        }
      }
    }
    out += '"';
  }
};

}  // namespace peergate::testing
