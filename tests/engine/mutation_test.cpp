#include "engine/mutation.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/json_patch.hpp"
#include "tests/support/mutation.hpp"

namespace json = boost::json;
using peergate::testing::mutate_peer_pod;
using peergate::testing::pod_mutation;

namespace {

constexpr std::string_view vm_resource = "kata.peerpods.io/vm";

// Mutates, requires success, and checks idempotence: a second pass over the output must give an
// identical document, so the patch upstream would send on reinvocation is empty.
json::value mutate_value(const json::value& pod, bool sizing = true) {
  const pod_mutation first = mutate_peer_pod(pod, vm_resource, sizing);
  INFO("refused: " << first.reason);
  REQUIRE_FALSE(first.refused);
  const pod_mutation second = mutate_peer_pod(first.pod, vm_resource, sizing);
  REQUIRE_FALSE(second.refused);
  INFO("second pass patch: " << json::serialize(peergate::json_patch::diff(first.pod, second.pod)));
  CHECK(peergate::json_patch::diff(first.pod, second.pod).empty());
  CHECK(second.pod == first.pod);
  return first.pod;
}

json::value mutate(std::string_view pod_text, bool sizing = true) {
  return mutate_value(json::parse(pod_text), sizing);
}

std::string refusal(std::string_view pod_text) {
  const pod_mutation result = mutate_peer_pod(json::parse(pod_text), vm_resource, true);
  REQUIRE(result.refused);
  return result.reason;
}

// The annotation value, or "<absent>".
std::string annotation(const json::value& pod, std::string_view key) {
  const std::string pointer = "/metadata/annotations/" + peergate::json_patch::escape_token(key);
  const json::value* v = peergate::json_patch::find(pod, pointer);
  if (v == nullptr) return "<absent>";
  REQUIRE(v->is_string());
  return std::string(v->get_string());
}

std::string vcpus(const json::value& pod) { return annotation(pod, peergate::vcpus_annotation); }
std::string memory(const json::value& pod) { return annotation(pod, peergate::memory_annotation); }
std::string gpus(const json::value& pod) { return annotation(pod, peergate::gpus_annotation); }

const json::value vm_resources =
    json::parse(R"({"requests":{"kata.peerpods.io/vm":"1"},"limits":{"kata.peerpods.io/vm":"1"}})");

// Every init container and every container but the first has empty resources; the first holds
// exactly the peer-pod VM.
void check_resources_replaced(const json::value& pod) {
  const json::array& containers = pod.at("spec").at("containers").as_array();
  REQUIRE_FALSE(containers.empty());
  CHECK(containers[0].at("resources") == vm_resources);
  for (std::size_t i = 1; i < containers.size(); ++i) CHECK(containers[i].at("resources") == json::object{});
  const json::value* init = pod.at("spec").as_object().if_contains("initContainers");
  if (init != nullptr && init->is_array()) {
    for (const json::value& c : init->as_array()) CHECK(c.at("resources") == json::object{});
  }
}

// The upstream webhook's own gate (mutatePod): only the target runtime class is touched. In
// peergate that decision belongs to the caller, so the tests reproduce it here.
json::value upstream_webhook(const json::value& pod) {
  const json::value* rc = peergate::json_patch::find(pod, "/spec/runtimeClassName");
  if (rc == nullptr || !rc->is_string() || rc->get_string() != "kata-remote") return pod;
  return mutate_value(pod);
}

// YAML to JSON the way kubectl reads a manifest: plain scalars that are integers become numbers
// (`cpu: 1`), quoted scalars and everything else stay strings.
json::value yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json::object out;
      for (const auto& entry : node) out[entry.first.as<std::string>()] = yaml_to_json(entry.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json::array out;
      for (const auto& item : node) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "?") {
        std::int64_t number = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec == std::errc{} && end == text.data() + text.size()) return number;
        if (text == "true" || text == "false") return text == "true";
      }
      return json::string(text);
    }
    default: return nullptr;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

// --- The eight upstream unit cases (REFERENCE section 2) ------------------------------------

TEST_CASE("mutation upstream 1: requests and limits, the limit wins") {
  const json::value pod = mutate(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {"runtimeClassName": "kata-remote", "containers": [
      {"name": "container1", "image": "busybox",
       "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "3", "memory": "5Gi"}}}]}})");
  CHECK(pod == json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "p", "annotations": {
      "io.katacontainers.config.hypervisor.default_vcpus": "3",
      "io.katacontainers.config.hypervisor.default_memory": "5120"}},
    "spec": {"runtimeClassName": "kata-remote", "containers": [
      {"name": "container1", "image": "busybox",
       "resources": {"requests": {"kata.peerpods.io/vm": "1"}, "limits": {"kata.peerpods.io/vm": "1"}}}]}})"));
  CHECK(gpus(pod) == "<absent>");
}

TEST_CASE("mutation upstream 2: no resources, no annotations, one VM") {
  const json::value pod = mutate(R"({
    "metadata": {"name": "p"},
    "spec": {"runtimeClassName": "kata-remote", "containers": [{"name": "container1", "image": "busybox"}]}})");
  CHECK(pod == json::parse(R"({
    "metadata": {"name": "p"},
    "spec": {"runtimeClassName": "kata-remote", "containers": [
      {"name": "container1", "image": "busybox",
       "resources": {"requests": {"kata.peerpods.io/vm": "1"}, "limits": {"kata.peerpods.io/vm": "1"}}}]}})"));
}

TEST_CASE("mutation upstream 3: requests equal to limits") {
  const json::value pod = mutate(R"({
    "spec": {"runtimeClassName": "kata-remote", "containers": [
      {"name": "container1", "image": "busybox",
       "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}}]}})");
  CHECK(vcpus(pod) == "2");
  CHECK(memory(pod) == "4096");
  CHECK(gpus(pod) == "<absent>");
  check_resources_replaced(pod);
}

TEST_CASE("mutation upstream 4: init containers are added, GPUs counted, every container cleared") {
  const json::value pod = mutate(R"({
    "metadata": {"name": "p"},
    "spec": {"runtimeClassName": "kata-remote",
      "initContainers": [
        {"name": "init-container1", "image": "busybox",
         "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}}],
      "containers": [
        {"name": "container1", "image": "busybox",
         "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "3", "memory": "5Gi"}}},
        {"name": "container2", "image": "nginx",
         "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}},
        {"name": "container3",
         "resources": {"requests": {"cpu": "1", "nvidia.com/gpu": "1"}, "limits": {"cpu": "1", "nvidia.com/gpu": "1"}}}]}})");
  CHECK(vcpus(pod) == "6");
  CHECK(memory(pod) == "8192");
  CHECK(gpus(pod) == "1");
  check_resources_replaced(pod);
  CHECK(pod.at("spec").at("initContainers").at(0).at("resources") == json::object{});
  CHECK(pod.at("spec").at("containers").at(1).at("resources") == json::object{});
  CHECK(pod.at("spec").at("containers").at(2).at("resources") == json::object{});
}

TEST_CASE("mutation upstream 5: another runtime class is left unchanged") {
  const json::value original = json::parse(R"({
    "spec": {"runtimeClassName": "different-runtime", "containers": [
      {"name": "container1", "image": "busybox",
       "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "3", "memory": "5Gi"}}}]}})");
  const json::value out = upstream_webhook(original);
  CHECK(out == original);
  CHECK(peergate::json_patch::diff(original, out).empty());
}

TEST_CASE("mutation upstream 6: millicores round up to one vCPU") {
  const json::value pod = mutate(R"({
    "spec": {"runtimeClassName": "kata-remote", "containers": [
      {"name": "container1", "image": "busybox",
       "resources": {"requests": {"cpu": "200m", "memory": "4Gi"}, "limits": {"cpu": "500m", "memory": "4Gi"}}}]}})");
  CHECK(vcpus(pod) == "1");
  CHECK(memory(pod) == "4096");
  check_resources_replaced(pod);
}

TEST_CASE("mutation upstream 7: 1500m rounds up to two vCPUs") {
  const json::value pod = mutate(R"({
    "spec": {"runtimeClassName": "kata-remote", "containers": [
      {"name": "container1", "image": "busybox",
       "resources": {"requests": {"cpu": "200m"}, "limits": {"cpu": "1500m"}}}]}})");
  CHECK(vcpus(pod) == "2");
  CHECK(memory(pod) == "<absent>");
  check_resources_replaced(pod);
}

TEST_CASE("mutation upstream 8: fractional limits are summed before rounding") {
  const json::value pod = mutate(R"({
    "spec": {"runtimeClassName": "kata-remote",
      "initContainers": [{"name": "init", "image": "busybox",
        "resources": {"requests": {"cpu": "200m", "memory": "4Gi"}, "limits": {"cpu": "0.7", "memory": "4Gi"}}}],
      "containers": [{"name": "container1", "image": "busybox",
        "resources": {"requests": {"cpu": "200m", "memory": "4Gi"}, "limits": {"cpu": "0.5", "memory": "4Gi"}}}]}})");
  CHECK(vcpus(pod) == "2");
  CHECK(memory(pod) == "8192");
  check_resources_replaced(pod);
}

// --- The upstream hack/ fixture ----------------------------------------------------------------

TEST_CASE("mutation: upstream fixture caa-webhook-hack-pod.yaml") {
  const std::string path = std::string(PEERGATE_SHARED_DIR) + "/fixtures/upstream/caa-webhook-hack-pod.yaml";
  const json::value original = yaml_to_json(YAML::LoadFile(path));
  // The YAML says `cpu: 1`, so the quantity arrives as a JSON number.
  REQUIRE(original.at("spec").at("containers").at(0).at("resources").at("requests").at("cpu").is_int64());
  const json::value pod = mutate_value(original);
  CHECK(vcpus(pod) == "1");
  CHECK(memory(pod) == "2048");
  CHECK(gpus(pod) == "<absent>");
  const json::value expected = json::parse(
      read_file(std::string(PEERGATE_SOURCE_DIR) + "/tests/data/mutation/caa-webhook-hack-pod.expected.json"));
  CHECK(pod == expected);
}

// --- Sums, rounding and number forms -------------------------------------------------------------

TEST_CASE("mutation: JSON numbers are read as quantities") {
  const json::value pod = mutate(R"({"spec": {"containers": [
    {"name": "a", "resources": {"requests": {"cpu": 0.7, "memory": 1073741824}, "limits": {"cpu": 1}}},
    {"name": "b", "resources": {"requests": {"cpu": 0.5, "nvidia.com/gpu": 2}, "limits": {"cpu": 1.25}}}]}})");
  CHECK(vcpus(pod) == "3");  // limits 1 + 1.25 >= requests 1.2
  CHECK(memory(pod) == "1024");
  CHECK(gpus(pod) == "2");
  CHECK(vcpus(mutate(R"({"spec": {"containers": [{"resources": {"requests": {"cpu": 0.1}}}]}})")) == "1");
  CHECK(vcpus(mutate(R"({"spec": {"containers": [{"resources": {"requests": {"cpu": 1e2}}}]}})")) == "100");
  CHECK(refusal(R"({"spec": {"containers": [{"resources": {"requests": {"cpu": 18446744073709551615}}}]}})") ==
        "containers[0] resources.requests.cpu: invalid quantity \"18446744073709551615\": value too large");
}

TEST_CASE("mutation: a limit below the request falls back to the request") {
  const json::value pod = mutate(R"({"spec": {"containers": [
    {"resources": {"requests": {"cpu": "4", "memory": "2Gi"}, "limits": {"memory": "1Gi"}}},
    {"resources": {"limits": {"cpu": "1"}}}]}})");
  CHECK(vcpus(pod) == "4");
  CHECK(memory(pod) == "2048");
}

TEST_CASE("mutation: limits without requests give no annotation, as upstream") {
  const json::value pod =
      mutate(R"({"spec": {"containers": [{"resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}]}})");
  CHECK(vcpus(pod) == "<absent>");
  CHECK(memory(pod) == "<absent>");
}

TEST_CASE("mutation: memory is rounded up to whole MiB") {
  CHECK(memory(mutate(R"({"spec": {"containers": [{"resources": {"requests": {"memory": "1"}}}]}})")) == "1");
  CHECK(memory(mutate(R"({"spec": {"containers": [{"resources": {"requests": {"memory": "1M"}}}]}})")) == "1");
  CHECK(memory(mutate(R"({"spec": {"containers": [{"resources": {"requests": {"memory": "1G"}}}]}})")) == "954");
  CHECK(memory(mutate(R"({"spec": {"containers": [{"resources": {"requests": {"memory": "100Mi"}}},
                                                  {"resources": {"requests": {"memory": "100M"}}}]}})")) == "196");
}

TEST_CASE("mutation: GPU limits are not counted, GPU requests round up") {
  CHECK(gpus(mutate(R"({"spec": {"containers": [{"resources": {"limits": {"nvidia.com/gpu": "2"}}}]}})")) ==
        "<absent>");
  CHECK(gpus(mutate(R"({"spec": {"containers": [{"resources": {"requests": {"nvidia.com/gpu": "1"}}},
                                                {"resources": {"requests": {"nvidia.com/gpu": "2"}}}]}})")) == "3");
  CHECK(gpus(mutate(R"({"spec": {"initContainers": [{"resources": {"requests": {"nvidia.com/gpu": "1"}}}],
                                 "containers": [{"name": "c"}]}})")) == "1");
}

TEST_CASE("mutation: overhead, pod-level resources and ephemeral containers are ignored and kept") {
  const json::value pod = mutate(R"({"metadata": {"labels": {"app": "x"}},
    "spec": {"overhead": {"cpu": "250m", "memory": "120Mi"},
      "resources": {"requests": {"cpu": "8"}},
      "nodeSelector": {"disk": "ssd"}, "tolerations": [{"key": "k", "operator": "Exists"}],
      "ephemeralContainers": [{"name": "debug", "resources": {"requests": {"cpu": "16"}}}],
      "containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}})");
  CHECK(vcpus(pod) == "1");
  const json::object& spec = pod.at("spec").as_object();
  CHECK(spec.at("overhead") == json::parse(R"({"cpu": "250m", "memory": "120Mi"})"));
  CHECK(spec.at("resources") == json::parse(R"({"requests": {"cpu": "8"}})"));
  CHECK(spec.at("nodeSelector") == json::parse(R"({"disk": "ssd"})"));
  CHECK(spec.at("tolerations") == json::parse(R"([{"key": "k", "operator": "Exists"}])"));
  CHECK(spec.at("ephemeralContainers") ==
        json::parse(R"([{"name": "debug", "resources": {"requests": {"cpu": "16"}}}])"));
  CHECK(pod.at("metadata").at("labels") == json::parse(R"({"app": "x"})"));
}

TEST_CASE("mutation: DRA claims and other resources are dropped with the rest") {
  const json::value pod = mutate(R"({"spec": {"containers": [
    {"name": "a", "resources": {"claims": [{"name": "gpu"}], "requests": {"ephemeral-storage": "1Gi", "cpu": "1"}}},
    {"name": "b", "resources": {"requests": {"kata.peerpods.io/vm": "1"}}}]}})");
  check_resources_replaced(pod);
}

// --- Annotations ---------------------------------------------------------------------------------

TEST_CASE("mutation: existing annotations are kept, computed ones overwrite user values") {
  const json::value pod = mutate(R"({"metadata": {"name": "p", "annotations": {
      "team": "blue",
      "io.katacontainers.config.hypervisor.default_vcpus": "16",
      "io.katacontainers.config.hypervisor.default_memory": "99999"}},
    "spec": {"containers": [{"resources": {"requests": {"cpu": "2", "memory": "1Gi"}}}]}})");
  CHECK(annotation(pod, "team") == "blue");
  CHECK(vcpus(pod) == "2");
  CHECK(memory(pod) == "1024");
}

TEST_CASE("mutation: a user annotation stays when nothing is computed for it") {
  const json::value pod = mutate(R"({"metadata": {"annotations": {
      "io.katacontainers.config.hypervisor.default_vcpus": "4",
      "io.katacontainers.config.hypervisor.default_gpus": "1"}},
    "spec": {"containers": [{"resources": {"requests": {"memory": "2Gi"}}}]}})");
  CHECK(vcpus(pod) == "4");
  CHECK(gpus(pod) == "1");
  CHECK(memory(pod) == "2048");
}

TEST_CASE("mutation: metadata and annotations are created when absent or null") {
  const json::value no_metadata = mutate(R"({"spec": {"containers": [{"resources": {"requests": {"cpu": "1"}}}]}})");
  CHECK(no_metadata.at("metadata") ==
        json::parse(R"({"annotations": {"io.katacontainers.config.hypervisor.default_vcpus": "1"}})"));
  const json::value null_annotations = mutate(
      R"({"metadata": {"name": "p", "annotations": null}, "spec": {"containers": [{"resources": {"requests": {"cpu": "1"}}}]}})");
  CHECK(vcpus(null_annotations) == "1");
  CHECK(null_annotations.at("metadata").at("name") == "p");
  // Nothing to write: no empty annotations map is added.
  const json::value nothing = mutate(R"({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}})");
  CHECK(nothing.at("metadata") == json::parse(R"({"name": "p"})"));
}

TEST_CASE("mutation: sizing_annotations=false writes no annotation but still strips resources") {
  const json::value pod = mutate(R"({"metadata": {"name": "p"}, "spec": {
      "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "1"}}}],
      "containers": [{"name": "c", "resources": {"requests": {"cpu": "2", "memory": "1Gi", "nvidia.com/gpu": "1"}}},
                     {"name": "d"}]}})",
                                 false);
  CHECK(pod.at("metadata") == json::parse(R"({"name": "p"})"));
  check_resources_replaced(pod);
  CHECK(pod.at("spec").at("containers").at(1).at("resources") == json::object{});
}

TEST_CASE("mutation: the extended resource name is configurable") {
  const pod_mutation result =
      mutate_peer_pod(json::parse(R"({"spec": {"containers": [{"name": "c"}]}})"), "example.com/peer-vm", true);
  REQUIRE_FALSE(result.refused);
  CHECK(result.pod.at("spec").at("containers").at(0).at("resources") ==
        json::parse(R"({"requests": {"example.com/peer-vm": "1"}, "limits": {"example.com/peer-vm": "1"}})"));
}

TEST_CASE("mutation: the input document is not modified") {
  const json::value original = json::parse(R"({"spec": {"containers": [{"resources": {"requests": {"cpu": "1"}}}]}})");
  const json::value copy = original;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the point
  (void)mutate_peer_pod(original, vm_resource, true);
  CHECK(original == copy);
}

// --- Refusals -------------------------------------------------------------------------------------

TEST_CASE("mutation refuses a pod without a usable spec or containers") {
  CHECK(refusal(R"([])") == "the pod is not a JSON object");
  CHECK(refusal(R"({"metadata": {}})") == "pod has no spec");
  CHECK(refusal(R"({"spec": null})") == "pod has no spec");
  CHECK(refusal(R"({"spec": "x"})") == "spec must be an object, got string");
  const std::string no_containers =
      "pod has no containers: a peer pod needs at least one container to carry kata.peerpods.io/vm";
  CHECK(refusal(R"({"spec": {}})") == no_containers);
  CHECK(refusal(R"({"spec": {"containers": []}})") == no_containers);
  CHECK(refusal(R"({"spec": {"containers": null}})") == no_containers);
  CHECK(refusal(R"({"spec": {"initContainers": [{"name": "i"}]}})") == no_containers);
  CHECK(refusal(R"({"spec": {"containers": {"name": "c"}}})") == "spec.containers must be an array, got object");
  CHECK(refusal(R"({"spec": {"containers": [{}], "initContainers": "x"}})") ==
        "spec.initContainers must be an array, got string");
  CHECK(refusal(R"({"spec": {"containers": [{}, "c"]}})") == "spec.containers[1] must be an object, got string");
  CHECK(refusal(R"({"spec": {"containers": [{}], "initContainers": [7]}})") ==
        "spec.initContainers[0] must be an object, got number");
}

TEST_CASE("mutation refuses resources of the wrong type") {
  CHECK(refusal(R"({"spec": {"containers": [{"name": "c", "resources": []}]}})") ==
        "spec.containers[0].resources must be an object, got array");
  CHECK(refusal(R"({"spec": {"containers": [{"name": "c", "resources": {"requests": "cpu"}}]}})") ==
        "spec.containers[0].resources.requests must be an object, got string");
  CHECK(refusal(R"({"spec": {"containers": [{}], "initContainers": [{"resources": {"limits": [1]}}]}})") ==
        "spec.initContainers[0].resources.limits must be an object, got array");
  CHECK(refusal(R"({"metadata": [], "spec": {"containers": [{}]}})") == "metadata must be an object, got array");
  CHECK(refusal(R"({"metadata": {"annotations": "a"}, "spec": {"containers": [{}]}})") ==
        "metadata.annotations must be an object, got string");
}

TEST_CASE("mutation refuses quantities that are not quantities") {
  CHECK(
      refusal(
          R"({"spec": {"containers": [{"name": "app"}, {"name": "sidecar", "resources": {"limits": {"cpu": "2x"}}}]}})") ==
      "containers[1] (name \"sidecar\") resources.limits.cpu: invalid quantity \"2x\": unknown suffix \"x\"");
  CHECK(refusal(R"({"spec": {"containers": [{"name": "c", "resources": {"requests": {"memory": "4GB"}}}]}})") ==
        "containers[0] (name \"c\") resources.requests.memory: invalid quantity \"4GB\": unknown suffix \"GB\"");
  CHECK(refusal(R"({"spec": {"containers": [{"name": "c", "resources": {"requests": {"memory": ""}}}]}})") ==
        "containers[0] (name \"c\") resources.requests.memory: invalid quantity \"\": empty quantity");
  CHECK(refusal(R"({"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": true}}}]}})") ==
        "containers[0] (name \"c\") resources.requests.cpu: a quantity must be a string such as \"500m\" or a number, "
        "not a boolean");
  CHECK(refusal(R"({"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": {"v": 1}}}}]}})") ==
        "containers[0] (name \"c\") resources.requests.cpu: a quantity must be a string such as \"500m\" or a number, "
        "not an object");
  CHECK(refusal(R"({"spec": {"containers": [{"resources": {"requests": {"nvidia.com/gpu": "one"}}}]}})") ==
        "containers[0] resources.requests.nvidia.com/gpu: invalid quantity \"one\": not a number: expected digits, as "
        "in \"500m\" or \"1.5Gi\"");
  CHECK(refusal(R"({"spec": {"containers": [{"resources": {"limits": {"nvidia.com/gpu": "1x"}}}]}})") ==
        "containers[0] resources.limits.nvidia.com/gpu: invalid quantity \"1x\": unknown suffix \"x\"");
  CHECK(refusal(R"({"spec": {"containers": [{"resources": {"requests": {"cpu": "1e400"}}}]}})") ==
        "containers[0] resources.requests.cpu: invalid quantity \"1e400\": value too large");
  CHECK(
      refusal(
          R"({"spec": {"containers": [{}], "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "1 "}}}]}})") ==
      "initContainers[0] (name \"i\") resources.requests.cpu: invalid quantity \"1 \": unexpected \" \" after \"1\"");
}

TEST_CASE("mutation refuses negative quantities") {
  CHECK(refusal(R"({"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "-1"}}}]}})") ==
        "containers[0] (name \"c\") resources.requests.cpu: negative quantity \"-1\" is not allowed");
  CHECK(refusal(R"({"spec": {"containers": [{"name": "c", "resources": {"limits": {"memory": -5}}}]}})") ==
        "containers[0] (name \"c\") resources.limits.memory: negative quantity \"-5\" is not allowed");
  CHECK(refusal(R"({"spec": {"containers": [{"resources": {"requests": {"nvidia.com/gpu": "-0.5"}}}]}})") ==
        "containers[0] resources.requests.nvidia.com/gpu: negative quantity \"-0.5\" is not allowed");
  // Minus zero is zero, not negative.
  CHECK(vcpus(mutate(R"({"spec": {"containers": [{"resources": {"requests": {"cpu": "-0"}}}]}})")) == "<absent>");
}

TEST_CASE("mutation: null values count as absent, as Go's decoder reads them") {
  const json::value pod = mutate(R"({"spec": {"initContainers": null, "containers": [
    {"resources": null}, {"resources": {"requests": null, "limits": {"cpu": null}}},
    {"resources": {"requests": {"cpu": "1", "memory": null}}}]}})");
  CHECK(vcpus(pod) == "1");
  CHECK(memory(pod) == "<absent>");
  check_resources_replaced(pod);
}
