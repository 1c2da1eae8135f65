#include "engine/policy/presets.hpp"

namespace peergate {

// Presets of excluded ("system") namespaces, where the peer-pods mutating webhook is not called.
//
// upstream: cloud-api-adaptor's webhook configuration (namespaceSelector NotIn
//   [<webhook namespace>, kube-system]).
// openshift: the sandboxed-containers operator's list (controllers/ppwebhook.go, OSC 1.8.0, 66
//   names) plus openshift-kube-proxy, which newer operator versions add. It is an explicit list:
//   it holds no default or kube-public, and not every openshift-* name, so it is not a glob.
//   tests/engine/presets_test.cpp checks it against ../shared/fixtures/upstream.
const std::vector<std::string>* excluded_namespace_preset(std::string_view name) {
  static const std::vector<std::string> upstream = {"kube-system", "peer-pods-webhook-system"};
  static const std::vector<std::string> openshift = {
      "peer-pods-webhook-system",
      "openshift-sandboxed-containers-operator",
      "openshift",
      "openshift-apiserver",
      "openshift-apiserver-operator",
      "openshift-authentication",
      "openshift-authentication-operator",
      "openshift-cloud-controller-manager",
      "openshift-cloud-controller-manager-operator",
      "openshift-cloud-credential-operator",
      "openshift-cloud-network-config-controller",
      "openshift-cluster-csi-drivers",
      "openshift-cluster-machine-approver",
      "openshift-cluster-node-tuning-operator",
      "openshift-cluster-samples-operator",
      "openshift-cluster-storage-operator",
      "openshift-cluster-version",
      "openshift-config",
      "openshift-config-managed",
      "openshift-config-operator",
      "openshift-console",
      "openshift-console-operator",
      "openshift-console-user-settings",
      "openshift-controller-manager",
      "openshift-controller-manager-operator",
      "openshift-dns",
      "openshift-dns-operator",
      "openshift-etcd",
      "openshift-etcd-operator",
      "openshift-host-network",
      "openshift-image-registry",
      "openshift-infra",
      "openshift-ingress",
      "openshift-ingress-canary",
      "openshift-ingress-operator",
      "openshift-insights",
      "openshift-kni-infra",
      "openshift-kube-apiserver",
      "openshift-kube-apiserver-operator",
      "openshift-kube-controller-manager",
      "openshift-kube-scheduler",
      "openshift-kube-scheduler-operator",
      "openshift-kube-storage-version-migrator",
      "openshift-kube-storage-version-migrator-operator",
      "openshift-machine-api",
      "openshift-machine-config-operator",
      "openshift-marketplace",
      "openshift-monitoring",
      "openshift-multus",
      "openshift-network-diagnostics",
      "openshift-network-operator",
      "openshift-node",
      "openshift-nutanix-infra",
      "openshift-oauth-apiserver",
      "openshift-openstack-infra",
      "openshift-operator-lifecycle-manager",
      "openshift-operators",
      "openshift-ovirt-infra",
      "openshift-ovn-kubernetes",
      "openshift-route-controller-manager",
      "openshift-service-ca",
      "openshift-service-ca-operator",
      "openshift-user-workload-monitoring",
      "openshift-vsphere-infra",
      "kube-system",
      "kube-node-lease",
      "openshift-kube-proxy",
  };
  if (name == "upstream") return &upstream;
  if (name == "openshift") return &openshift;
  return nullptr;
}

}  // namespace peergate
