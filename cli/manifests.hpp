#pragma once
// `peergate manifests`: the Kubernetes objects that run peergate as a highly available webhook,
// built from the options and the loaded policies (the MutatingWebhookConfiguration's
// namespaceSelector repeats the exact names the PeerPodMutation excludes). Pure: no files, no
// cluster; the command reads the inputs and prints the result.

#include <boost/json/object.hpp>
#include <string>
#include <utility>
#include <vector>

#include "engine/policy/model.hpp"

namespace peergate::cli {

enum class ca_source { none, ca_bundle, cert_manager, openshift_service_ca };
enum class webhook_set { validate, mutate, both, admit };

struct manifest_options {
  std::string namespace_name;
  std::string name = "peergate";  // Deployment, Service, ServiceAccount, webhook configurations
  std::string image;
  int replicas = 2;
  ca_source ca = ca_source::none;
  std::string ca_bundle_pem;  // for ca_source::ca_bundle: the PEM text itself
  std::string failure_policy = "Fail";
  webhook_set webhooks = webhook_set::both;
  int timeout_seconds = 10;
  // matchConditions: the apiserver sends only pods (and workloads whose pod template) name a
  // runtime class the policies cover. Kubernetes 1.28+ (beta there, GA in 1.30); --all-pods
  // turns it off for older clusters.
  bool peer_pods_only = true;
  std::string command_line;  // written into the header comment, to regenerate the output
  // TARGET_RUNTIMECLASS / POD_VM_EXTENDED_RESOURCE as set when the manifests were made: the
  // Deployment gets the same values, so that the server in the cluster fills in the omitted
  // fields of the ConfigMap's policies as they were filled in to compute matchConditions here.
  std::vector<std::pair<std::string, std::string>> upstream_environment;
};

// One file of the ConfigMap that holds the policies (key: the file's name).
struct policy_file {
  std::string key;
  std::string text;
};

// One YAML document: a comment above it (may be empty) and the object.
struct manifest_document {
  std::string comment;
  boost::json::object object;
};

// The objects in the order `kubectl apply` should create them: the webhook configurations last,
// so that the apiserver never calls a Service without ready endpoints.
std::vector<manifest_document> build_manifests(const manifest_options& options, const policy_set& policies,
                                               const std::vector<policy_file>& files);

// Multi-document YAML, each document preceded by "---" and its comment.
std::string render_manifests(const manifest_options& options, const std::vector<manifest_document>& documents);

// The runtime classes the policies (PeerPodPolicy, PeerPodVMPolicy) and mutations act on, in order
// of first appearance: what the peer-pods-only matchConditions send.
std::vector<std::string> peer_runtime_classes(const policy_set& policies);

// The CEL expression of the peer-pods-only matchCondition: true when the object (a Pod, or the
// pod template of a workload, by request.kind.kind) has a runtimeClassName in `classes`. Every
// field is tested with has() before it is read, so no object can make it fail (a failing
// condition is a webhook error, and failurePolicy applies). `pods_only`: the Pod test alone.
std::string peer_pod_match_expression(const std::vector<std::string>& classes, bool pods_only);

// Names a kube-apiserver dials for a Service: NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local.
std::vector<std::string> service_dns_names(const std::string& service, const std::string& namespace_name);

// "" when `name` is a DNS-1123 label (namespaces) / DNS-1035 label (Services: starts with a
// letter); otherwise why not.
std::string dns1123_label_problem(const std::string& name);
std::string dns1035_label_problem(const std::string& name);

}  // namespace peergate::cli
