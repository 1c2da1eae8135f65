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
