#pragma once
// A PeerPodVMPolicy with every limit, shared by the review fuzz targets and the differential test
// (here rather than in tests/support: the container build copies fuzz/, not tests/).

#include <string_view>

namespace peergate::testing {

// Every limit a PeerPodVMPolicy has, for kata-remote in every namespace (namespaces left out),
// so that each fuzzed peer pod goes through the whole VM check. The sha256 and sha384 are those
// of tests/data/initdata/initdata.toml (the seed corpus carries its gzip'd base64), so an
// allowed document is reachable as well as every way of not being one.
inline constexpr std::string_view every_vm_limit_policy_yaml = R"yaml(apiVersion: peergate.dev/v1alpha1
kind: PeerPodVMPolicy
metadata:
  name: fuzz-vm-limits
spec:
  runtimeClassNames: [kata-remote]
  validationActions: [Deny]
  vm:
    instanceTypes: ["Standard_DC*as_v5", {regex: "m6a\\.(large|[0-9]*xlarge)"}]
    maxVCPUs: 4
    maxMemory: 8Gi
    maxGPUs: 1
    images: ["podvm-ubuntu-2204", "registry.example.com/podvm/*"]
    initData:
      digests:
        - "sha256:28abd486680a1b45f855946b612d493e95fa04762983edd819fd3ef146e6b8fb"
        - "sha384:c143c0a4a6770f9f7c68fd8fe7446644bc944bba6c5434d1ad11c90b61fbe0089aacebb1f21acd860e39ef212e7c59ed"
)yaml";

}  // namespace peergate::testing
