#include "engine/vm/vm_request.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/mutation.hpp"

namespace json = boost::json;
using peergate::evaluated_kind;
using peergate::vm::count_value;
using peergate::vm::parse_count;
using peergate::vm::read_template_vm_request;
using peergate::vm::read_vm_request;
using peergate::vm::size_source;
using peergate::vm::value_error;
using peergate::vm::vm_request;

namespace {

value_error count_error(std::string_view text, std::uint64_t cap = 4096) {
  const count_value v = parse_count(text, cap);
  REQUIRE(v.present);
  CHECK(v.text == text);
  return v.error;
}

vm_request read(std::string_view annotations_json) {
  static json::value keep;  // the request views into it; one per call is enough for these tests
  keep = json::parse(annotations_json);
  return read_vm_request(&keep.as_object());
}

}  // namespace

TEST_CASE("counts are read as Kata reads them: unsigned decimal integers", "[vm][request]") {
  CHECK(parse_count("4", 4096).value == 4);
  CHECK(parse_count("0", 4096).value == 0);
  CHECK(parse_count("0", 4096).error == value_error::none);
  CHECK(parse_count("007", 4096).value == 7);  // ParseUint takes leading zeros
  CHECK(parse_count("4096", 4096).value == 4096);
  CHECK(count_error("4") == value_error::none);

  CHECK(count_error("") == value_error::empty);
  CHECK(count_error("two") == value_error::not_an_integer);
  CHECK(count_error("-1") == value_error::has_sign);
  CHECK(count_error("+4") == value_error::has_sign);
  CHECK(count_error(" 4") == value_error::has_whitespace);
  CHECK(count_error("4 ") == value_error::has_whitespace);
  CHECK(count_error("4\n") == value_error::has_whitespace);
  CHECK(count_error("1.5") == value_error::not_an_integer);
  CHECK(count_error("4Gi") == value_error::not_an_integer);
  CHECK(count_error("1e3") == value_error::not_an_integer);
  CHECK(count_error("0x10") == value_error::not_an_integer);
  CHECK(count_error("4_000") == value_error::not_an_integer);
  CHECK(count_error("\xd9\xa4") == value_error::not_an_integer);  // ARABIC-INDIC DIGIT FOUR
  CHECK(count_error("4097") == value_error::too_large);
  CHECK(count_error("18446744073709551616") == value_error::too_large);  // 2^64: no wrap-around
  CHECK(count_error(std::string(5000, '9')) == value_error::too_large);
  // Not a number at all wins over "too large".
  CHECK(count_error("99999999999999999999x") == value_error::not_an_integer);
}

TEST_CASE("a pod's VM request is its annotations", "[vm][request]") {
  const vm_request r = read(R"({
    "team": "blue",
    "io.katacontainers.config.hypervisor.machine_type": "Standard_DC4as_v5",
    "io.katacontainers.config.hypervisor.default_vcpus": "8",
    "io.katacontainers.config.hypervisor.default_memory": "16384",
    "io.katacontainers.config.hypervisor.default_gpus": "1",
    "io.katacontainers.config.hypervisor.image": "/subscriptions/x/images/podvm",
    "io.katacontainers.config.hypervisor.cc_init_data": "H4sI"})");
  CHECK(r.machine_type.valid());
  CHECK(r.machine_type.text == "Standard_DC4as_v5");
  CHECK(r.vcpus.value == 8);
  CHECK(r.vcpus.source == size_source::annotation);
  CHECK(r.memory_mib.value == 16384);
  CHECK(r.gpus.value == 1);
  CHECK(r.image.text == "/subscriptions/x/images/podvm");
  CHECK(r.initdata.text == "H4sI");
  CHECK_FALSE(r.empty());
}

TEST_CASE("no VM annotation: an empty request", "[vm][request]") {
  CHECK(read_vm_request(nullptr).empty());
  CHECK(read(R"({})").empty());
  CHECK(read(R"({"team": "blue", "io.katacontainers.config.hypervisor.default_gpu_model": "a100"})").empty());
}

TEST_CASE("bad annotation values are kept as errors, each on its own field", "[vm][request]") {
  const vm_request r = read(R"({
    "io.katacontainers.config.hypervisor.machine_type": 4,
    "io.katacontainers.config.hypervisor.default_vcpus": "two",
    "io.katacontainers.config.hypervisor.default_memory": "-1",
    "io.katacontainers.config.hypervisor.default_gpus": 1,
    "io.katacontainers.config.hypervisor.image": null,
    "io.katacontainers.config.hypervisor.cc_init_data": ""})");
  CHECK(r.machine_type.error == value_error::not_a_string);
  CHECK(r.vcpus.error == value_error::not_an_integer);
  CHECK(r.vcpus.text == "two");
  CHECK(r.memory_mib.error == value_error::has_sign);
  CHECK(r.gpus.error == value_error::not_a_string);
  CHECK(r.image.error == value_error::not_a_string);
  CHECK(r.initdata.valid());  // "" is decoded (and refused) by the initdata rule
  // The caps per field: memory in MiB allows far more than vCPUs.
  const vm_request big = read(R"({
    "io.katacontainers.config.hypervisor.default_vcpus": "5000",
    "io.katacontainers.config.hypervisor.default_memory": "5000",
    "io.katacontainers.config.hypervisor.default_gpus": "257"})");
  CHECK(big.vcpus.error == value_error::too_large);
  CHECK(big.memory_mib.valid());
  CHECK(big.gpus.error == value_error::too_large);
}

TEST_CASE("pod annotations are found for every evaluated kind", "[vm][request]") {
  const json::value annotations = json::parse(R"({"io.katacontainers.config.hypervisor.default_vcpus": "2"})");
  const json::value tmpl = json::object{{"metadata", json::object{{"annotations", annotations}}}};
  const json::value pod = json::object{{"metadata", json::object{{"annotations", annotations}}}};
  const json::value deployment = json::object{{"spec", json::object{{"template", tmpl}}}};
  const json::value cron =
      json::object{{"spec", json::object{{"jobTemplate", json::object{{"spec", json::object{{"template", tmpl}}}}}}}};
  CHECK(*peergate::vm::find_pod_annotations(evaluated_kind::pod, pod) == annotations.as_object());
  for (evaluated_kind kind : {evaluated_kind::deployment, evaluated_kind::replica_set, evaluated_kind::stateful_set,
                              evaluated_kind::daemon_set, evaluated_kind::job}) {
    CHECK(*peergate::vm::find_pod_annotations(kind, deployment) == annotations.as_object());
    CHECK(peergate::vm::find_pod_annotations(kind, pod) == nullptr);
  }
  CHECK(*peergate::vm::find_pod_annotations(evaluated_kind::cron_job, cron) == annotations.as_object());
  CHECK(peergate::vm::find_pod_annotations(evaluated_kind::cron_job, deployment) == nullptr);
  CHECK(peergate::vm::find_pod_annotations(evaluated_kind::pod, json::value("x")) == nullptr);
  CHECK(peergate::vm::find_pod_annotations(evaluated_kind::pod, json::parse(R"({"metadata": {"annotations": []}})")) ==
        nullptr);
}

TEST_CASE("a template asks for the sizes the mutation will write", "[vm][request]") {
  const json::value spec = json::parse(R"({"containers": [
      {"name": "a", "resources": {"requests": {"cpu": "200m", "memory": "3Gi", "nvidia.com/gpu": "2"},
                                  "limits": {"cpu": "3500m", "memory": "4Gi", "nvidia.com/gpu": "2"}}}],
    "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "1", "memory": "1Mi"}}}]})");
  const json::value annotations = json::parse(R"({
    "io.katacontainers.config.hypervisor.default_vcpus": "1",
    "io.katacontainers.config.hypervisor.default_memory": "two",
    "io.katacontainers.config.hypervisor.image": "img"})");
  const vm_request r = read_template_vm_request(&annotations.as_object(), spec.as_object(), true);
  CHECK(r.vcpus.value == 4);  // 3500m limit vs 1200m request: the limit sum 3.5, rounded up
  CHECK(r.vcpus.source == size_source::resources);
  CHECK(r.memory_mib.valid());        // the mutation's value replaces the bad annotation
  CHECK(r.memory_mib.value == 4096);  // request sum 3Gi+1Mi <= limit sum 4Gi: the limit
  CHECK(r.gpus.value == 2);
  CHECK(r.image.text == "img");

  // Without the mutation (no PeerPodMutation, sizing off, excluded namespace) the template's own
  // annotations are what the pods get.
  const vm_request own = read_template_vm_request(&annotations.as_object(), spec.as_object(), false);
  CHECK(own.vcpus.value == 1);
  CHECK(own.memory_mib.error == value_error::not_an_integer);
  CHECK_FALSE(own.gpus.present);

  // No resources: nothing computed, the annotations stay.
  const vm_request bare = read_template_vm_request(&annotations.as_object(),
                                                   json::parse(R"({"containers": [{"name": "a"}]})").as_object(), true);
  CHECK(bare.vcpus.value == 1);
  CHECK(bare.vcpus.source == size_source::annotation);
}

TEST_CASE("a template whose resources cannot be summed asks for an unknown size", "[vm][request]") {
  const json::value spec = json::parse(R"({"containers": [{"name": "a", "resources": {"limits": {"cpu": "lots"}}}]})");
  const vm_request r = read_template_vm_request(nullptr, spec.as_object(), true);
  CHECK(r.vcpus.error == value_error::bad_resources);
  CHECK(r.memory_mib.error == value_error::bad_resources);
  CHECK(r.gpus.error == value_error::bad_resources);
  CHECK(r.resources_error.find("containers[0] (name \"a\") resources.limits.cpu: invalid quantity \"lots\"") == 0);
  CHECK(peergate::vm::compute_mutation_sizes(
            json::parse(R"({"containers": [{"resources": {"requests": {"memory": "-1Gi"}}}]})").as_object())
            .error == "containers[0] resources.requests.memory: negative quantity \"-1Gi\" is not allowed");
  CHECK_FALSE(peergate::vm::compute_mutation_sizes(json::parse(R"({"containers": 3})").as_object()).error.empty());
}

// The sizes computed here must be the ones engine/mutation.cpp writes: every case of the
// mutation's own table, mutated for real, read back as a pod, compared with the template reading
// of the original. Upstream's expected pods are compared too.
TEST_CASE("template sizes agree with the mutation on every patch case", "[vm][request]") {
  std::ifstream in(std::string(PEERGATE_SOURCE_DIR) + "/tests/data/mutation/patch_cases.json");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const json::value cases = json::parse(text.str());
  REQUIRE(cases.as_array().size() >= 8);
  int upstream_compared = 0;
  for (const json::value& c : cases.as_array()) {
    INFO(c.at("name").as_string().c_str());
    const json::value& original = c.at("original");
    const peergate::testing::pod_mutation mutated =
        peergate::testing::mutate_peer_pod(original, "kata.peerpods.io/vm", true);
    REQUIRE_FALSE(mutated.refused);
    const vm_request after = read_vm_request(peergate::vm::find_pod_annotations(evaluated_kind::pod, mutated.pod));
    const vm_request predicted = read_template_vm_request(
        peergate::vm::find_pod_annotations(evaluated_kind::pod, original), original.at("spec").as_object(), true);
    for (auto field : {&vm_request::vcpus, &vm_request::memory_mib, &vm_request::gpus}) {
      CHECK((after.*field).present == (predicted.*field).present);
      CHECK((after.*field).error == (predicted.*field).error);
      CHECK((after.*field).value == (predicted.*field).value);
    }
    const bool upstream = std::string_view(c.at("name").as_string()).starts_with("upstream") &&
                          original.at("spec").at("runtimeClassName") == "kata-remote";
    if (upstream) {
      ++upstream_compared;
      const vm_request expected =
          read_vm_request(peergate::vm::find_pod_annotations(evaluated_kind::pod, c.at("expected")));
      for (auto field : {&vm_request::vcpus, &vm_request::memory_mib, &vm_request::gpus}) {
        CHECK((expected.*field).present == (predicted.*field).present);
        CHECK((expected.*field).value == (predicted.*field).value);
      }
    }
  }
  CHECK(upstream_compared >= 7);
}
