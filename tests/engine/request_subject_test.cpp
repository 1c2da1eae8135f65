// Issue 9: an object with a field of the wrong JSON type where a step reads (a string spec, a
// template, containers, resources, annotations) must be refused with 400 on every step, never
// read as "not a peer pod" and allowed.

#include "engine/request_subject.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "engine/chain.hpp"
#include "tests/support/policies.hpp"
#include "tests/support/vm_fixtures.hpp"

using namespace peergate;
namespace json = boost::json;

using peergate::testing::load_test_policies;
using peergate::testing::no_digests;

namespace {

const char* policies_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodPolicy
metadata: {name: peer-pods-only}
spec:
  allowedNamespaces: [peer-pods]
---
apiVersion: peergate.dev/v1alpha1
kind: PeerPodMutation
metadata: {name: peer-pods}
spec: {}
)yaml";

const policy_set& policies() {
  static const policy_snapshot loaded = load_test_policies("subject.yaml", policies_yaml);
  return *loaded;
}

admission_request request_for(const std::string& kind_json, const char* object_json, operation op = operation::create) {
  admission_request r;
  r.uid = "u1";
  const json::value kind = json::parse(kind_json);
  r.kind = {std::string(kind.at("group").as_string()), "v1", std::string(kind.at("kind").as_string())};
  r.namespace_name = "default";
  r.op = op;
  r.user = {"alice", {"system:authenticated"}};
  r.object = json::parse(object_json);
  return r;
}

const std::string pod_kind = R"({"group":"","kind":"Pod"})";
const std::string deployment_kind = R"({"group":"apps","kind":"Deployment"})";

// Every step, through both entry points, refuses the request with 400 and exactly `message`;
// the in-place entry point leaves the object as it was.
void check_refused_everywhere(const admission_request& request, const std::string& message) {
  const subject_read read = read_subject(request);
  CHECK(read.result == subject_read::status::invalid);
  CHECK(read.problem == message);
  for (step_kind step : {step_kind::admit, step_kind::mutate, step_kind::validate}) {
    INFO("step " << to_string(step));
    const decision d = run_step(step, request, policies(), no_digests);
    CHECK_FALSE(d.allowed);
    CHECK(d.code == 400);
    CHECK(d.message == message);
    CHECK(d.patch.empty());

    admission_request own = request;
    const decision in_place = run_step_in_place(step, own, policies(), no_digests);
    CHECK_FALSE(in_place.allowed);
    CHECK(in_place.code == 400);
    CHECK(in_place.message == message);
    CHECK(own.object == request.object);
  }
}

}  // namespace

TEST_CASE("a Pod whose spec is a string is refused on every step, not read as an ordinary pod") {
  // The issue's example: runtimeClassName is nowhere to be found, so nothing says it is no peer pod.
  auto r = request_for(pod_kind, R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
    "spec":"runtimeClassName: kata-remote"})");
  check_refused_everywhere(r, "spec must be an object, got string");
  r.op = operation::update;
  check_refused_everywhere(r, "spec must be an object, got string");
}

TEST_CASE("each field on the way to the pod spec, in every kind, must be an object") {
  struct shape {
    const char* kind;
    const char* object;
    const char* message;
  };
  const shape shapes[] = {
      {R"({"group":"","kind":"Pod"})", R"({"spec":["x"]})", "spec must be an object, got array"},
      {R"({"group":"apps","kind":"Deployment"})", R"({"spec":7})", "spec must be an object, got number"},
      {R"({"group":"apps","kind":"Deployment"})", R"({"spec":{"template":"x"}})",
       "spec.template must be an object, got string"},
      {R"({"group":"apps","kind":"ReplicaSet"})", R"({"spec":{"template":{"spec":true}}})",
       "spec.template.spec must be an object, got boolean"},
      {R"({"group":"extensions","kind":"DaemonSet"})", R"({"spec":{"template":[]}})",
       "spec.template must be an object, got array"},
      {R"({"group":"apps","kind":"StatefulSet"})", R"({"spec":{"template":{"spec":"x"}}})",
       "spec.template.spec must be an object, got string"},
      {R"({"group":"batch","kind":"Job"})", R"({"spec":{"template":1.5}})",
       "spec.template must be an object, got number"},
      {R"({"group":"batch","kind":"CronJob"})", R"({"spec":{"jobTemplate":"x"}})",
       "spec.jobTemplate must be an object, got string"},
      {R"({"group":"batch","kind":"CronJob"})", R"({"spec":{"jobTemplate":{"spec":[]}}})",
       "spec.jobTemplate.spec must be an object, got array"},
      {R"({"group":"batch","kind":"CronJob"})", R"({"spec":{"jobTemplate":{"spec":{"template":false}}}})",
       "spec.jobTemplate.spec.template must be an object, got boolean"},
      {R"({"group":"batch","kind":"CronJob"})", R"({"spec":{"jobTemplate":{"spec":{"template":{"spec":"x"}}}}})",
       "spec.jobTemplate.spec.template.spec must be an object, got string"},
  };
  for (const shape& s : shapes) {
    INFO(s.kind << " " << s.object);
    check_refused_everywhere(request_for(s.kind, s.object), s.message);
  }
}

TEST_CASE("containers, each container, resources, requests and limits of the wrong type are refused") {
  struct shape {
    const char* pod_spec;
    const char* message;
  };
  const shape shapes[] = {
      {R"({"containers":"app"})", "spec.template.spec.containers must be an array, got string"},
      {R"({"containers":{"name":"app"}})", "spec.template.spec.containers must be an array, got object"},
      {R"({"containers":[{"name":"a"}],"initContainers":7})",
       "spec.template.spec.initContainers must be an array, got number"},
      {R"({"containers":[{"name":"a"},"b"]})", "spec.template.spec.containers[1] must be an object, got string"},
      {R"({"containers":[{"name":"a"}],"initContainers":[null]})",
       "spec.template.spec.initContainers[0] must be an object, got null"},
      {R"({"containers":[{"name":"a"},{"name":"b","resources":"2 cpus"}]})",
       "spec.template.spec.containers[1].resources must be an object, got string"},
      {R"({"containers":[{"name":"a","resources":{"requests":["cpu"]}}]})",
       "spec.template.spec.containers[0].resources.requests must be an object, got array"},
      {R"({"containers":[{"name":"a"}],"initContainers":[{"name":"i","resources":{"limits":"1"}}]})",
       "spec.template.spec.initContainers[0].resources.limits must be an object, got string"},
  };
  for (const char* runtime_class : {"\"kata-remote\"", "\"runc\"", "null"}) {
    for (const shape& s : shapes) {
      // Strict whatever the runtime class: see docs/policy-reference.md 7.1 for why a wrongly
      // typed pod that is clearly not a peer pod is refused too.
      json::value pod_spec = json::parse(s.pod_spec);
      pod_spec.as_object()["runtimeClassName"] = json::parse(runtime_class);
      const std::string object =
          R"({"metadata":{"name":"w"},"spec":{"template":{"spec":)" + json::serialize(pod_spec) + "}}}";
      INFO(object);
      check_refused_everywhere(request_for(deployment_kind, object.c_str()), s.message);
    }
  }
}

TEST_CASE("metadata, annotations, name, generateName and namespace of the wrong type are refused") {
  struct shape {
    const char* metadata;
    const char* message;
  };
  const shape shapes[] = {
      {R"("p")", "metadata must be an object, got string"},
      {R"({"name":"p","annotations":["a=b"]})", "metadata.annotations must be an object, got array"},
      {R"({"name":"p","annotations":"a=b"})", "metadata.annotations must be an object, got string"},
      {R"({"name":7})", "metadata.name must be a string, got number"},
      {R"({"generateName":{}})", "metadata.generateName must be a string, got object"},
      {R"({"name":"p","namespace":["peer-pods"]})", "metadata.namespace must be a string, got array"},
  };
  for (const shape& s : shapes) {
    const std::string object = std::string(R"({"metadata":)") + s.metadata +
                               R"(,"spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c"}]}})";
    INFO(object);
    check_refused_everywhere(request_for(pod_kind, object.c_str()), s.message);
  }
}

TEST_CASE("an object that is not a JSON object is refused, an absent one says so") {
  check_refused_everywhere(request_for(pod_kind, R"("a pod")"),
                           "the request's object must be a JSON object, got string");
  check_refused_everywhere(request_for(pod_kind, "null"), "the request has no object to evaluate");
}

TEST_CASE("UPDATE: the way to oldObject's runtime class must have the right types too") {
  const char* object = R"({"metadata":{"name":"w"},"spec":{"template":{"spec":{"runtimeClassName":"kata-remote"}}}})";
  auto with_old = [&](const char* old_object) {
    admission_request r = request_for(deployment_kind, object, operation::update);
    r.old_object = json::parse(old_object);
    return r;
  };
  check_refused_everywhere(with_old(R"({"spec":{"template":"kata-remote"}})"),
                           "oldObject.spec.template must be an object, got string");
  check_refused_everywhere(with_old(R"({"spec":{"template":{"spec":{"runtimeClassName":1}}}})"),
                           "oldObject.spec.template.spec.runtimeClassName must be a string");
  check_refused_everywhere(with_old("[]"), "the request's oldObject must be a JSON object, got array");

  // The rest of oldObject is never read, so its types do not matter.
  const admission_request unread =
      with_old(R"({"metadata":"x","spec":{"template":{"spec":{"runtimeClassName":"kata-remote","containers":"x"}}}})");
  CHECK(read_subject(unread).result == subject_read::status::evaluate);
  CHECK(run_admit(unread, policies(), no_digests).allowed);  // keeps its runtime class: the UPDATE rule skips it

  // oldObject is not read on CREATE.
  admission_request create = with_old(R"("not read")");
  create.op = operation::create;
  CHECK(read_subject(create).result == subject_read::status::evaluate);
}

TEST_CASE("absent and null fields are not set: no pod spec is not a peer pod, and nothing is refused") {
  // Kubernetes omits empty fields, and Go's decoder reads null as absent.
  const char* fine[] = {
      R"({})",
      R"({"metadata":null,"spec":null})",
      R"({"metadata":{"name":"p","annotations":null,"namespace":null},"spec":{"containers":null}})",
      R"({"spec":{"containers":[{"name":"c","resources":null}],"initContainers":null}})",
      R"({"spec":{"containers":[{"name":"c","resources":{"requests":null,"limits":null}}]}})",
      R"({"spec":{"runtimeClassName":null,"containers":[{"name":"c","resources":{}}]}})",
  };
  for (const char* object : fine) {
    INFO(object);
    const admission_request r = request_for(pod_kind, object);
    CHECK(read_subject(r).result == subject_read::status::evaluate);
    for (step_kind step : {step_kind::admit, step_kind::mutate, step_kind::validate}) {
      const decision d = run_step(step, r, policies(), no_digests);
      CHECK(d.allowed);
      CHECK(d.patch.empty());
    }
  }
  const admission_request no_template = request_for(deployment_kind, R"({"spec":{"template":null}})");
  const subject_read read = read_subject(no_template);
  REQUIRE(read.result == subject_read::status::evaluate);
  CHECK(read.subject.pod_spec == nullptr);
  CHECK_FALSE(read.subject.runtime_class);
}

TEST_CASE("a well-typed peer pod is still evaluated: null parts of a peer pod are mutated as absent") {
  const admission_request r = request_for(pod_kind, R"({"metadata":{"name":"p","annotations":null},
    "spec":{"runtimeClassName":"kata-remote","containers":[{"name":"c","resources":{"requests":null}}]}})");
  admission_request in_peer_pods = r;
  in_peer_pods.namespace_name = "peer-pods";
  const decision allowed = run_admit(in_peer_pods, policies(), no_digests);
  CHECK(allowed.allowed);
  CHECK_FALSE(allowed.patch.empty());
  const decision denied = run_admit(r, policies(), no_digests);
  CHECK_FALSE(denied.allowed);
  CHECK(denied.code == 403);
}
