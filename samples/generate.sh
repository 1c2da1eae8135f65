#!/usr/bin/env bash
# Regenerates samples/objects/*.json from `kubectl create --dry-run=client -o json` (objects
# nobody here wrote), adding runtimeClassName where a peer pod is wanted. kubectl needs no
# cluster for these. The reviews in samples/reviews/ are hand-made in the apiserver's shape.
set -euo pipefail
cd "$(dirname "$0")/objects"
py=/usr/bin/python3
peer() {  # peer <file> <pod-spec path...>: sets runtimeClassName: kata-remote in the pod spec
  local file=$1; shift
  $py - "$file" "$@" <<'PY'
import json, sys
path, keys = sys.argv[1], sys.argv[2:]
obj = json.load(open(path))
spec = obj
for k in keys: spec = spec[k]
spec["runtimeClassName"] = "kata-remote"
json.dump(obj, open(path, "w"), indent=4)
open(path, "a").write("\n")
PY
}
kubectl create deployment web --image=nginx --replicas=2 --dry-run=client -o json > deployment-web.json
peer deployment-web.json spec template spec
kubectl create deployment plain --image=nginx --dry-run=client -o json > deployment-plain.json
kubectl create job train --image=busybox --dry-run=client -o json -- sleep 10 > job-train.json
peer job-train.json spec template spec
kubectl create cronjob nightly --image=busybox --schedule='0 3 * * *' --dry-run=client -o json -- date > cronjob-nightly.json
peer cronjob-nightly.json spec jobTemplate spec template spec

# Peer pods that ask for a cloud VM, for samples/policies/vm-limits.yaml (samples/tests/vm-limits.yaml).
# `kubectl run --dry-run=client` asks a server for its API groups, so a Pod is the pod template of
# `kubectl create deployment`, as samples/audit/generate.sh makes its Pod; kubectl then sets its
# resources and its annotations, as a pod author would.
pod() {  # pod <name> <image>: a peer Pod on stdout
  kubectl create deployment "$1" --image="$2" --dry-run=client -o json | $py -c '
import json, sys
template = json.load(sys.stdin)["spec"]["template"]
template["metadata"]["name"] = sys.argv[1]
template["spec"]["runtimeClassName"] = "kata-remote"
json.dump({"apiVersion": "v1", "kind": "Pod", **template}, sys.stdout, indent=4)
' "$1"
}
resources() { kubectl set resources --local -f - -o json "$@"; }
annotate() { kubectl annotate --local -f - -o json "$@"; }
vm=io.katacontainers.config.hypervisor
gallery=/subscriptions/6b1e2f3a-0c4d-4e5f-8a9b-0c1d2e3f4a5b/resourceGroups/podvm-images/providers/Microsoft.Compute/galleries/podvm/images
initdata() { gzip -9 -n -c "../initdata/$1" | base64 -w0; }  # the cc_init_data of an initdata document

pod notebook jupyter/base-notebook \
  | resources --requests=cpu=2,memory=4Gi --limits=cpu=2,memory=4Gi \
  | annotate "$vm.machine_type=Standard_DC4as_v5" "$vm.image=$gallery/podvm-snp/versions/0.12.0" \
      "$vm.cc_init_data=$(initdata initdata.toml)" > pod-vm-within-limits.json
pod train-gpu pytorch/pytorch \
  | resources --requests=cpu=4,memory=16Gi,nvidia.com/gpu=1 --limits=cpu=4,memory=16Gi,nvidia.com/gpu=1 \
  | annotate "$vm.machine_type=Standard_NC24ads_A100_v4" > pod-vm-gpu.json
pod debug busybox \
  | annotate "$vm.image=/subscriptions/6b1e2f3a-0c4d-4e5f-8a9b-0c1d2e3f4a5b/resourceGroups/sandbox/providers/Microsoft.Compute/images/my-podvm" \
      "$vm.cc_init_data=$(initdata initdata-debug.toml)" > pod-vm-own-image.json
kubectl create deployment train --image=pytorch/pytorch --replicas=2 --dry-run=client -o json \
  | resources --requests=cpu=8,memory=32Gi --limits=cpu=8,memory=32Gi > deployment-train-oversized.json
peer deployment-train-oversized.json spec template spec
