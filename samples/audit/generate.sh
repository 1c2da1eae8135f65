#!/usr/bin/env bash
# Regenerates the audit samples from `kubectl create ... --dry-run=client -o json` (objects
# nobody here wrote; kubectl needs no cluster for these), then builds with /usr/bin/python3
# (stdlib json only) what a cluster would hold and `kubectl get pods,deployments,replicasets,
# statefulsets,daemonsets,jobs,cronjobs -A -o json` would print:
#   objects/        one object per workload kind, as kubectl made it, runtimeClassName set; and
#                   in confidential-ml, a GPU Deployment and a Pod that asks for its own
#                   instance type and pod VM image (resources from `kubectl set resources`)
#   cluster.json    the List: workloads, the ReplicaSets and Jobs their controllers made and
#                   the Pods those made (owner references and uids), mutated as the peer-pods
#                   webhook would have (resources emptied, kata.peerpods.io/vm, and the
#                   default_vcpus/default_memory/default_gpus annotations from the resources),
#                   across namespaces, peer and non-peer
#   cluster.jsonl   a few of those objects, one JSON object a line
#   malformed-list.json  good items with malformed ones between them (syntax errors included)
#   manifests/      multi-document YAML, from `kubectl patch --local -o yaml`
#   audit.log, audit.log.1  a week of `peergate serve --audit-log` lines, rotated once
# Deterministic: uids are uuid5 of kind/namespace/name, timestamps fixed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
k() { kubectl "$@" --dry-run=client -o json; }
kc() { kubectl create --dry-run=client -o json "$@"; }  # for commands with `-- args` at the end

k create deployment web --image=nginx --replicas=3 -n team-a > deployment-web.json
k create deployment ml --image=pytorch/pytorch --replicas=2 -n peer-pods > deployment-ml.json
k create deployment plain --image=nginx -n default > deployment-plain.json
k create deployment api --image=registry.example/api:2 --replicas=1 -n team-c > deployment-api.json
k create deployment db --image=postgres --replicas=2 -n team-b > statefulset-db.json        # kind changed below
k create deployment node-agent --image=busybox -n kube-system > daemonset-node-agent.json  # kind changed below
k create deployment orphan --image=nginx --replicas=1 -n team-a > replicaset-orphan.json   # kind changed below
k create deployment debug --image=busybox -n team-a > pod-debug.json                       # its template becomes a Pod
kc job train --image=busybox -n coco-prod -- sleep 3600 > job.json
kubectl set resources --local -f job.json -o json --requests=cpu=1500m,memory=3Gi > job-train.json
kc cronjob nightly --image=busybox --schedule='0 3 * * *' -n confidential-ai -- date > cronjob-nightly.json
kc job nightly-28512345 --image=busybox -n confidential-ai -- date > job-nightly-run.json
k create service clusterip web --tcp=80:80 -n team-a > service-web.json
# The ML team's peer pods, which ask for VM sizes: a GPU trainer, and a notebook Pod (made from
# a Deployment's template, as debug is) that also asks for an instance type and a VM image.
k create deployment trainer --image=nvcr.io/nvidia/pytorch:24.05-py3 --replicas=2 -n confidential-ml > trainer.json
kubectl set resources --local -f trainer.json -o json --requests=cpu=6,memory=8Gi,nvidia.com/gpu=1 \
  --limits=nvidia.com/gpu=1 > deployment-trainer.json
k create deployment notebook --image=quay.io/jupyter/base-notebook -n confidential-ml > notebook.json
kubectl set resources --local -f notebook.json -o json --requests=cpu=2,memory=4Gi > pod-notebook.json  # a Pod below

/usr/bin/python3 - "$here" <<'PY'
import copy, json, math, os, sys, uuid

out = sys.argv[1]
NS = uuid.UUID("6f1d6c1e-8e4b-4c0e-9d59-0a3a3a1c0f00")
CREATED = "2024-05-01T10:00:00Z"
PEER = "kata-remote"
VM = "kata.peerpods.io/vm"
EXCLUDED = {"kube-system", "peer-pods-webhook-system"}  # the mutation's upstream preset

def load(name):
    with open(name) as f:
        return json.load(f)

def dump(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f, indent=4)
        f.write("\n")

def uid(kind, ns, name):
    return str(uuid.uuid5(NS, f"{kind}/{ns}/{name}"))

def stamp(obj):
    m = obj["metadata"]
    m["uid"] = uid(obj["kind"], m["namespace"], m["name"])
    m["creationTimestamp"] = CREATED
    m["resourceVersion"] = "1000"
    return obj

def pod_spec(obj):
    spec = obj["spec"]
    if obj["kind"] == "Pod":
        return spec
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]

def peer(obj):
    pod_spec(obj)["runtimeClassName"] = PEER
    return obj

def owner_ref(owner):
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}

def as_kind(obj, kind):
    obj = copy.deepcopy(obj)
    obj["kind"] = kind
    spec = obj["spec"]
    spec.pop("strategy", None)
    if kind == "StatefulSet":
        spec["serviceName"] = obj["metadata"]["name"]
    if kind == "DaemonSet":
        spec.pop("replicas", None)
    return obj

HYPERVISOR = "io.katacontainers.config.hypervisor."
UNITS = {"": 1, "m": 0.001, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}

def amount(q):
    """The quantities these samples use: "6", "500m", "8Gi"."""
    for suffix in sorted(UNITS, key=len, reverse=True):
        if suffix and q.endswith(suffix):
            return float(q[: -len(suffix)]) * UNITS[suffix]
    return float(q)

def vm_sizes(spec):
    """The sizing annotations the mutation writes (docs/policy-reference.md): summed requests and
    limits, the limit when a request exists and the limit is at least as large, else the request;
    whole vCPUs and MiB rounded up; GPUs from nvidia.com/gpu requests. 0: no annotation."""
    total = {}
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        for kind in ("requests", "limits"):
            for name, q in c.get("resources", {}).get(kind, {}).items():
                total[(kind, name)] = total.get((kind, name), 0) + amount(q)
    def pick(name, unit):
        request, limit = total.get(("requests", name), 0), total.get(("limits", name), 0)
        if request and limit >= request:
            return math.ceil(limit / unit)
        return math.ceil(request / unit) if request > 0 else 0
    sizes = {"default_vcpus": pick("cpu", 1), "default_memory": pick("memory", 2**20),
             "default_gpus": math.ceil(total.get(("requests", "nvidia.com/gpu"), 0))}
    return {HYPERVISOR + k: str(v) for k, v in sizes.items() if v > 0}

def mutated(spec, ns):
    """What the peer-pods webhook makes of a peer pod's spec at CREATE (outside excluded namespaces),
    and the annotations it adds."""
    spec = copy.deepcopy(spec)
    annotations = {}
    if spec.get("runtimeClassName") == PEER and ns not in EXCLUDED:
        annotations = vm_sizes(spec)
        for c in spec["containers"]:
            c["resources"] = {}
        spec["containers"][0]["resources"] = {"limits": {VM: "1"}, "requests": {VM: "1"}}
    return spec, annotations

def pod_from(owner, template, name, node="worker-1", ns=None):
    ns = ns or owner["metadata"]["namespace"]
    spec, annotations = mutated(template["spec"], ns)
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "generateName": name[: name.rfind("-") + 1], "namespace": ns,
                     "labels": dict(template["metadata"].get("labels", {})),
                     "ownerReferences": [owner_ref(owner)] if owner else []},
        "spec": spec,
        "status": {"phase": "Running"},
    }
    annotations = {**template["metadata"].get("annotations", {}), **annotations}
    if annotations:
        pod["metadata"]["annotations"] = annotations
    if not owner:
        del pod["metadata"]["ownerReferences"], pod["metadata"]["generateName"]
    pod["spec"]["nodeName"] = node
    return stamp(pod)

def replicaset_of(deployment, hash_, replicas=None):
    d = deployment
    rs = {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"{d['metadata']['name']}-{hash_}", "namespace": d["metadata"]["namespace"],
                     "labels": {**d["spec"]["template"]["metadata"]["labels"], "pod-template-hash": hash_},
                     "ownerReferences": [owner_ref(d)]},
        "spec": {"replicas": d["spec"]["replicas"] if replicas is None else replicas,
                 "selector": {"matchLabels": {**d["spec"]["selector"]["matchLabels"], "pod-template-hash": hash_}},
                 "template": copy.deepcopy(d["spec"]["template"])},
    }
    rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = hash_
    return stamp(rs)

os.makedirs(f"{out}/objects", exist_ok=True)
objects = {}
for name in ["deployment-web", "deployment-ml", "deployment-plain", "deployment-api", "job-train", "cronjob-nightly",
             "job-nightly-run", "service-web", "deployment-trainer"]:
    objects[name] = load(f"{name}.json")
objects["statefulset-db"] = as_kind(load("statefulset-db.json"), "StatefulSet")
objects["daemonset-node-agent"] = as_kind(load("daemonset-node-agent.json"), "DaemonSet")
objects["replicaset-orphan"] = as_kind(load("replicaset-orphan.json"), "ReplicaSet")
debug = load("pod-debug.json")
objects["pod-debug"] = {"apiVersion": "v1", "kind": "Pod",
                        "metadata": {"name": "debug", "namespace": "team-a", "labels": {"app": "debug"}},
                        "spec": copy.deepcopy(debug["spec"]["template"]["spec"])}
notebook = load("pod-notebook.json")
objects["pod-notebook"] = {"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": "notebook", "namespace": "confidential-ml", "labels": {"app": "notebook"},
                                        "annotations": {
                                            HYPERVISOR + "machine_type": "Standard_DC4as_v5",
                                            HYPERVISOR + "image": "/subscriptions/0000/resourceGroups/ml/providers/"
                                                                  "Microsoft.Compute/images/podvm-cuda"}},
                           "spec": copy.deepcopy(notebook["spec"]["template"]["spec"])}
for name in ["deployment-web", "deployment-ml", "job-train", "cronjob-nightly", "job-nightly-run", "statefulset-db",
             "daemonset-node-agent", "replicaset-orphan", "pod-debug", "deployment-trainer", "pod-notebook"]:
    peer(objects[name])
for name, obj in sorted(objects.items()):
    dump(obj, f"{out}/objects/{name}.json")

# The cluster: workloads with uids, the objects their controllers made, and the pods.
o = {name: stamp(copy.deepcopy(obj)) for name, obj in objects.items()}
deployments = [o["deployment-api"], o["deployment-ml"], o["deployment-plain"], o["deployment-web"]]
# team-c/api: its template dropped runtimeClassName, but the old ReplicaSet's pod still runs as a peer pod.
old_api = copy.deepcopy(o["deployment-api"])
peer(old_api)
replicasets = [replicaset_of(o["deployment-web"], "7c5ddbdf54"), replicaset_of(o["deployment-ml"], "5f8c9d7b6"),
               replicaset_of(o["deployment-plain"], "6d4cf56db6"), replicaset_of(o["deployment-api"], "84b9c6f7d9"),
               replicaset_of(old_api, "59d7f8b4c5", replicas=1), o["replicaset-orphan"]]
jobs = [o["job-train"], o["job-nightly-run"]]
o["job-nightly-run"]["metadata"]["ownerReferences"] = [owner_ref(o["cronjob-nightly"])]
pods = []
suffixes = iter(["x7k2p", "m4n8q", "b2v9c", "h6j3d", "t5r1w", "z8y4u", "c3e7f", "q9w2e", "l1k5j", "p0o9i",
                 "a8s7d", "g5f4h"])
for rs in replicasets:
    for _ in range(rs["spec"]["replicas"]):
        pods.append(pod_from(rs, rs["spec"]["template"], f"{rs['metadata']['name']}-{next(suffixes)}"))
for owner in [o["statefulset-db"]]:
    for i in range(owner["spec"]["replicas"]):
        pods.append(pod_from(owner, owner["spec"]["template"], f"{owner['metadata']['name']}-{i}"))
pods.append(pod_from(o["daemonset-node-agent"], o["daemonset-node-agent"]["spec"]["template"], f"node-agent-{next(suffixes)}"))
for job in jobs:
    pods.append(pod_from(job, job["spec"]["template"], f"{job['metadata']['name']}-{next(suffixes)}"))
# A pod created before the peer-pods webhook was installed: no kata.peerpods.io/vm.
debug_pod = stamp(copy.deepcopy(o["pod-debug"]))
debug_pod["spec"]["nodeName"] = "worker-2"
debug_pod["status"] = {"phase": "Running"}
pods.append(debug_pod)
# A pod whose ReplicaSet is not in the input (deleted with --cascade=orphan): reported on its own.
gone = pod_from(None, {"metadata": {"labels": {"app": "batch"}}, "spec": pod_spec(o["job-train"])}, "batch-worker-7",
                ns="team-b")
gone["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "batch-worker-5c9f",
                                        "uid": uid("ReplicaSet", "team-b", "batch-worker-5c9f"), "controller": True}]
gone = stamp(gone)
pods.append(gone)
# confidential-ml: the trainer's pods and the notebook, as the mutation admitted them (sizing
# annotations written from their resources), before team-vm-limits was loaded.
trainer_rs = replicaset_of(o["deployment-trainer"], "6f9c7d8b5")
for suffix in ["r4t6y", "u7i8o"]:
    pods.append(pod_from(trainer_rs, trainer_rs["spec"]["template"], f"{trainer_rs['metadata']['name']}-{suffix}"))
notebook_pod = pod_from(None, o["pod-notebook"], "notebook", node="worker-2", ns="confidential-ml")
pods.append(notebook_pod)
deployments.append(o["deployment-trainer"])
replicasets.append(trainer_rs)

items = pods + deployments + replicasets + [o["statefulset-db"], o["daemonset-node-agent"]] + jobs + [o["cronjob-nightly"]]
dump({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}, f"{out}/cluster.json")

with open(f"{out}/cluster.jsonl", "w") as f:
    for obj in [o["deployment-web"], o["deployment-ml"], o["cronjob-nightly"], debug_pod, o["service-web"]]:
        f.write(json.dumps(obj, separators=(",", ":")) + "\n")

# Malformed items between good ones, each a different way to be wrong.
good = [o["deployment-web"], o["deployment-ml"], o["cronjob-nightly"]]
bad_rc = copy.deepcopy(debug_pod)
bad_rc["metadata"]["name"] = "bad-runtime-class"
bad_rc["metadata"]["uid"] = uid("Pod", "team-a", "bad-runtime-class")
bad_rc["spec"]["runtimeClassName"] = 42
no_kind = {"apiVersion": "v1", "metadata": {"name": "no-kind", "namespace": "team-a"}, "spec": {}}
text = json.dumps(good[0], indent=4)
parts = [
    json.dumps(good[0], indent=4),
    '"just a string"',
    json.dumps(bad_rc, indent=4),
    '{\n    "apiVersion": "v1",\n    "kind": "Pod",\n    "metadata": {"name": "trailing-comma", "namespace": "team-a",},\n    "spec": {}\n}',
    json.dumps(no_kind, indent=4),
    json.dumps(good[1], indent=4),
    '{\n    "apiVersion": "v1",\n    "kind": "Pod",\n    "metadata": {"name": "bad-literal", "namespace": "team-a"},\n    "spec": {"runtimeClassName": kata-remote}\n}',
    '12345',
    json.dumps(good[2], indent=4),
]
with open(f"{out}/malformed-list.json", "w") as f:
    f.write('{\n    "apiVersion": "v1",\n    "items": [\n' + ",\n".join(parts) + '\n    ],\n    "kind": "List",\n'
            '    "metadata": {"resourceVersion": ""}\n}\n')

# An audit log as `peergate serve --audit-log` writes it (see docs/audit.md), over a week, rotated
# once: audit.log.1 holds the older lines. One line per Warn/Audit violation and per denial.
import datetime, random
rng = random.Random(7)
start = datetime.datetime(2024, 5, 1, 8, 0, 0, tzinfo=datetime.timezone.utc)
STRICT = "peer-pods-strict"
MAIN = "peer-pods-allowed-namespaces"
def log_line(t, uid_, user, op, kind, ns, name, gen, policy, rule, action, message):
    line = {"time": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}Z", "uid": uid_, "user": user,
            "operation": op, "kind": kind, "namespace": ns}
    if name:
        line["name"] = name
    else:
        line["generateName"] = gen
    line.update({"policy": policy, "rule": rule, "action": action, "message": message})
    return json.dumps(line, separators=(",", ":"))
events = [
    # who, operation, kind, namespace, name, generateName, violates MAIN (deny), in excluded namespace
    ("system:serviceaccount:kube-system:replicaset-controller", "CREATE", "Pod", "team-a", "", "web-7c5ddbdf54-", True, False),
    ("alice@example.com", "CREATE", "Deployment", "team-a", "web", "", True, False),
    ("alice@example.com", "UPDATE", "Deployment", "team-a", "web", "", True, False),
    ("system:serviceaccount:kube-system:job-controller", "CREATE", "Pod", "confidential-ai", "", "nightly-28512345-", False, False),
    ("bob@example.com", "CREATE", "CronJob", "confidential-ai", "nightly", "", False, False),
    ("bob@example.com", "CREATE", "Job", "coco-prod", "train", "", False, False),
    ("system:serviceaccount:kube-system:daemon-set-controller", "CREATE", "Pod", "kube-system", "", "node-agent-", True, True),
]
weights = [30, 3, 2, 7, 1, 2, 4]
lines = []
t = start
for n in range(120):
    t += datetime.timedelta(seconds=rng.randint(600, 7200), microseconds=rng.randint(0, 999999))
    user, op, kind, ns, name, gen, denied, excluded = rng.choices(events, weights)[0]
    uid_ = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    shown = name or gen + "*"
    if denied:
        lines.append(log_line(t, uid_, user, op, kind, ns, name, gen, MAIN, "allowed-namespaces", "deny",
            f'{kind} "{shown}" uses runtimeClassName "kata-remote", which is not allowed in namespace "{ns}" '
            f'(allowed: peer-pods, confidential-*, /coco-[a-z0-9-]+/)'))
    for action in ("warn", "audit"):
        lines.append(log_line(t, uid_, user, op, kind, ns, name, gen, STRICT, "allowed-namespaces", action,
            f"{kind} {shown}: peer pods will only be allowed in namespace peer-pods ({ns} is not)"))
    if excluded:
        lines.append(log_line(t, uid_, user, op, kind, ns, name, gen, "peer-pods", "accounting", "warn",
            f'peer pod not counted against kata.peerpods.io/vm: the peer-pods webhook skips namespace "{ns}"; '
            f'set resources.limits["kata.peerpods.io/vm"]: 1 on one container or run it in another namespace'))
    if n == 80:  # a burst the writer could not keep up with
        lines.append(json.dumps({"time": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}Z", "dropped": 12,
                                 "message": "12 audit log lines were dropped: the queue was full"}, separators=(",", ":")))
# The VM policies came later: decisions about the VMs peer pods ask for in confidential-ml, drawn
# apart (their own generator, merged by time) so that the lines above stay as they were.
VM_LIMITS, VM_IMAGES = "team-vm-limits", "vm-images"
vm_events = [
    # who, operation, kind, name, generateName, [(policy, rule, actions, what is asked, the limit)]
    ("system:serviceaccount:kube-system:replicaset-controller", "CREATE", "Pod", "", "trainer-6f9c7d8b5-",
     [(VM_LIMITS, "vcpus", ["deny"], "a VM with 6 vCPUs", "; at most 4 allowed"),
      (VM_LIMITS, "gpus", ["deny"], "a VM with 1 GPU", "; at most 0 allowed")]),
    ("carol@example.com", "UPDATE", "Deployment", "trainer", "",
     [(VM_LIMITS, "vcpus", ["deny"], "a VM with 8 vCPUs", "; at most 4 allowed"),
      (VM_LIMITS, "gpus", ["deny"], "a VM with 2 GPUs", "; at most 0 allowed"),
      (VM_LIMITS, "memory", ["deny"], "a VM with 32Gi of memory", "; at most 16Gi allowed")]),
    ("dave@example.com", "CREATE", "Pod", "notebook-2", "",
     [(VM_IMAGES, "image", ["warn", "audit"],
       'a VM with image "/subscriptions/0000/resourceGroups/ml/providers/Microsoft.Compute/images/podvm-cuda"',
       "; no image override allowed")]),
]
vm_rng = random.Random(10)
vm_lines = []
for n in range(14):
    t = start + datetime.timedelta(hours=vm_rng.randint(60, 125), seconds=vm_rng.randint(0, 3599),
                                   microseconds=vm_rng.randint(0, 999999))
    user, op, kind, name, gen, findings = vm_rng.choices(vm_events, [8, 2, 4])[0]
    uid_ = str(uuid.UUID(int=vm_rng.getrandbits(128), version=4))
    shown = name or gen + "*"
    ns = "confidential-ml"
    # peer-pods-strict (only the peer-pods namespace, one day) judges new peer pods; an UPDATE
    # that keeps the runtime class is checked by the VM policies alone.
    for action in ("warn", "audit") if op == "CREATE" else ():
        vm_lines.append(log_line(t, uid_, user, op, kind, ns, name, gen, STRICT, "allowed-namespaces", action,
            f"{kind} {shown}: peer pods will only be allowed in namespace peer-pods ({ns} is not)"))
    for policy, rule, actions, asked, limit in findings:
        for action in actions:
            vm_lines.append(log_line(t, uid_, user, op, kind, ns, name, gen, policy, rule, action,
                f'{kind} "{shown}" asks for {asked} in namespace "{ns}"{limit}'))
lines = sorted(lines + vm_lines, key=lambda line: json.loads(line)["time"])
half = len(lines) // 2
with open(f"{out}/audit.log.1", "w") as f:
    f.write("\n".join(lines[:half]) + "\n")
with open(f"{out}/audit.log", "w") as f:
    f.write("\n".join(lines[half:]) + "\n")
PY

# Manifests as people keep them: YAML, several documents a file, no namespace on some.
mkdir -p "$here/manifests"
yaml() {  # yaml <object json> <merge patch>: the object as YAML, via kubectl
  kubectl patch --local -f "$1" --type=merge -p "$2" -o yaml
}
{
  yaml deployment-web.json '{"spec":{"template":{"spec":{"runtimeClassName":"kata-remote"}}}}'
  echo "---"
  yaml service-web.json '{}'
} > "$here/manifests/team-a.yaml"
{
  yaml job-train.json '{"metadata":{"namespace":null},"spec":{"template":{"spec":{"runtimeClassName":"kata-remote"}}}}'
  echo "---"
  yaml cronjob-nightly.json '{"metadata":{"namespace":null},"spec":{"jobTemplate":{"spec":{"template":{"spec":{"runtimeClassName":"kata-remote"}}}}}}'
} > "$here/manifests/no-namespace.yaml"
yaml deployment-plain.json '{}' > "$here/manifests/plain.yml"
