#!/usr/bin/env bash
# Regenerates objects/: the peer pods, Deployments and UPDATE reviews that the golden review
# cases tests/golden/review/vm-* send through limits.yaml and forbid-overrides.yaml. kubectl makes
# the objects and writes their resources and annotations, as a pod author would; the initdata
# annotations are made by gzip and base64 from ../initdata (see its README). /usr/bin/python3
# (stdlib json) does only what kubectl cannot: turn a pod template into a Pod (`kubectl run
# --dry-run=client` asks a server for its API groups), write an annotation that is not a string,
# and wrap two Deployments in an UPDATE AdmissionReview.
# Run from anywhere: bash tests/data/vm/make_objects.sh
set -euo pipefail
cd "$(dirname "$0")/objects"
py=/usr/bin/python3
vm=io.katacontainers.config.hypervisor
gallery=/subscriptions/6b1e2f3a-0c4d-4e5f-8a9b-0c1d2e3f4a5b/resourceGroups/podvm-images/providers/Microsoft.Compute/galleries/podvm/images
sandbox=/subscriptions/6b1e2f3a-0c4d-4e5f-8a9b-0c1d2e3f4a5b/resourceGroups/sandbox/providers/Microsoft.Compute/images/my-podvm

deployment() {  # deployment <name> <image>...: a peer Deployment in team-a on stdout
  local name=$1; shift
  kubectl create deployment "$name" "${@/#/--image=}" -n team-a --dry-run=client -o json \
    | kubectl patch --local -f - --type merge -p '{"spec":{"template":{"spec":{"runtimeClassName":"kata-remote"}}}}' -o json
}
pod() {  # pod <name> <image>: a peer Pod in team-a, the pod template of `kubectl create deployment`
  deployment "$1" "$2" | $py -c '
import json, sys
deployment = json.load(sys.stdin)
pod = {"apiVersion": "v1", "kind": "Pod", **deployment["spec"]["template"]}
pod["metadata"]["name"] = deployment["metadata"]["name"]
pod["metadata"]["namespace"] = deployment["metadata"]["namespace"]
json.dump(pod, sys.stdout, indent=4)
'
}
resources() { kubectl set resources --local -f - -o json "$@"; }
annotate() { kubectl annotate --local -f - -o json "$@"; }
initdata() { tr -d '\n' < "../../initdata/$1"; }  # a cc_init_data fixture, one line
gzip64() { gzip -9 -n -c | base64 -w0; }            # as a pod author makes cc_init_data

# One pod per rule a VM can break.
pod gpu-vm busybox | annotate "$vm.machine_type=Standard_NC24ads_A100_v4" > pod-instance-type-gpu.json
pod train pytorch/pytorch | resources --requests=cpu=8,memory=8Gi --limits=cpu=8,memory=8Gi > pod-vcpus-8.json
pod train pytorch/pytorch | resources --requests=cpu=2,memory=32Gi --limits=cpu=2,memory=32Gi > pod-memory-32gi.json
pod train pytorch/pytorch \
  | resources --requests=cpu=2,memory=8Gi,nvidia.com/gpu=1 --limits=cpu=2,memory=8Gi,nvidia.com/gpu=1 > pod-gpus-1.json
pod own-image busybox | annotate "$vm.image=$sandbox" > pod-image-sandbox.json
pod approved busybox | annotate "$vm.cc_init_data=$(initdata initdata.b64)" > pod-initdata-approved.json
pod debug busybox \
  | annotate "$vm.cc_init_data=$(sed 's/^default ExecProcessRequest := false/default ExecProcessRequest := true/' \
      ../../initdata/initdata.toml | gzip64)" > pod-initdata-debug.json
# Within every limit: a DC4as_v5 VM from the gallery, 2 vCPUs and 4 GiB, the approved initdata.
pod notebook jupyter/base-notebook \
  | resources --requests=cpu=2,memory=4Gi --limits=cpu=2,memory=4Gi \
  | annotate "$vm.machine_type=Standard_DC4as_v5" "$vm.image=$gallery/podvm-snp/versions/0.12.0" \
      "$vm.cc_init_data=$(initdata initdata.b64)" > pod-within-limits.json

# Values the adaptor cannot read, on pods without resources (so the mutation writes no size over them).
bad_count() {  # bad_count <file> <annotation> <value>
  pod bad busybox | annotate "$vm.$2=$3" > "$1"
}
bad_count pod-vcpus-two.json default_vcpus two
bad_count pod-vcpus-negative.json default_vcpus -1
bad_count pod-vcpus-plus-sign.json default_vcpus +4
bad_count pod-vcpus-leading-space.json default_vcpus " 4"
bad_count pod-vcpus-fraction.json default_vcpus 1.5
bad_count pod-vcpus-too-large.json default_vcpus 99999999999
bad_count pod-vcpus-empty.json default_vcpus ""
bad_count pod-memory-with-unit.json default_memory 16Gi
pod bad busybox | $py -c '
import json, sys
pod = json.load(sys.stdin)
pod["metadata"]["annotations"] = {"io.katacontainers.config.hypervisor.default_vcpus": 4}  # a number, not "4"
json.dump(pod, sys.stdout, indent=4)
' > pod-vcpus-number.json
pod bad busybox | annotate "$vm.cc_init_data=$(gzip64 < ../../initdata/initdata.toml | tr '+/' '-_')" \
  > pod-initdata-url-safe-base64.json  # base64url (basenc --base64url): not what Go's StdEncoding reads
pod bad busybox | annotate "$vm.cc_init_data=$(initdata not-gzip.b64)" > pod-initdata-not-gzip.json
pod bad busybox | annotate "$vm.cc_init_data=$(initdata truncated.b64)" > pod-initdata-truncated.json
pod bad busybox | annotate "$vm.cc_init_data=$(initdata truncated-trailer.b64)" > pod-initdata-truncated-trailer.json
pod bad busybox | annotate "$vm.cc_init_data=$(initdata trailing-garbage.b64)" > pod-initdata-trailing-garbage.json
pod bad busybox | annotate "$vm.cc_init_data=$(initdata zip-bomb.b64)" > pod-initdata-zip-bomb.json

# A pod as the mutation left it (sizes written, resources replaced by the VM resource), for the
# validate step behind a separate mutating webhook.
pod train pytorch/pytorch \
  | annotate "$vm.default_vcpus=8" "$vm.default_memory=32768" \
  | resources --requests=kata.peerpods.io/vm=1 --limits=kata.peerpods.io/vm=1 > pod-mutated-8-vcpus.json

# Templates: two containers of 3 vCPUs and 10Gi each are a 6-vCPU, 20 GiB VM per pod.
deployment train pytorch/pytorch busybox \
  | resources --requests=cpu=3,memory=10Gi --limits=cpu=3,memory=10Gi > deployment-train-oversized.json
# Limits only: the apiserver does not default a template's requests, but does default the pods it
# creates, so the template is sized by its limits (8 vCPUs, 32Gi).
deployment train pytorch/pytorch | resources --limits=cpu=8,memory=32Gi > deployment-train-limits-only.json
deployment train pytorch/pytorch | resources --requests=cpu=2,memory=4Gi --limits=cpu=2,memory=4Gi \
  > deployment-train-small.json

update_review() {  # update_review <old> <new> <uid>: the review the apiserver sends for `kubectl apply`
  $py - "$@" <<'PY'
import json, sys
old, new, uid = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
review = {
    "kind": "AdmissionReview",
    "apiVersion": "admission.k8s.io/v1",
    "request": {
        "uid": uid,
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "name": new["metadata"]["name"],
        "namespace": new["metadata"]["namespace"],
        "operation": "UPDATE",
        "userInfo": {"username": "alice", "groups": ["team-a-developers", "system:authenticated"]},
        "object": new,
        "oldObject": old,
        "dryRun": False,
        "options": {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "kubectl-client-side-apply"},
    },
}
json.dump(review, sys.stdout, indent=4)
sys.stdout.write("\n")
PY
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Scaling a Deployment that predates a lower limit: only spec.replicas changes.
kubectl patch --local -f deployment-train-oversized.json --type merge -p '{"spec":{"replicas":5}}' -o json > "$work/scaled.json"
update_review deployment-train-oversized.json "$work/scaled.json" 0d8c2a51-4f3e-4b6a-9c71-2e5d8f0a1b01 \
  > review-update-scale-only.json
# Raising a small Deployment's resources past the limits.
resources --requests=cpu=8,memory=32Gi --limits=cpu=8,memory=32Gi < deployment-train-small.json > "$work/raised.json"
update_review deployment-train-small.json "$work/raised.json" 0d8c2a51-4f3e-4b6a-9c71-2e5d8f0a1b02 \
  > review-update-raises-resources.json
