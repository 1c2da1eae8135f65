#!/usr/bin/python3
"""`peergate manifests --peer-pods-only`: the matchConditions evaluated by a CEL implementation
nobody here wrote (@marcbachmann/cel-js from the npm registry, run by node), over kubectl-made
objects of every kind the webhooks receive, each with a peer runtime class, another one and none.
Twice: with the shipped policies, and with them plus a PeerPodVMPolicy for a runtime class that
no other document names (kata-remote-gpu), whose pods must then be sent too.

For every webhook entry and object:
  - the condition must not fail (a failing condition is a webhook error: failurePolicy applies);
  - it sends the object exactly when its pod spec names a runtime class the policies cover;
  - what it does not send, peergate would have allowed untouched anyway: `peergate review` of
    the object on the entry's path, in a namespace the policy refuses and in an excluded system
    namespace, answers allowed with no patch and no warning. Skipping it loses nothing.

Exit 77 (skipped) when node or npm is missing or the package cannot be installed (no registry).

usage: check_match_conditions.py --peergate BIN --repo DIR --cache DIR
"""

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

CEL_PACKAGE = "@marcbachmann/cel-js@8.0.0"
NS = "peergate-system"
KINDS = {  # kind -> (group, resource, path of the pod spec)
    "Pod": ("", "pods", ["spec"]),
    "Deployment": ("apps", "deployments", ["spec", "template", "spec"]),
    "ReplicaSet": ("apps", "replicasets", ["spec", "template", "spec"]),
    "StatefulSet": ("apps", "statefulsets", ["spec", "template", "spec"]),
    "DaemonSet": ("apps", "daemonsets", ["spec", "template", "spec"]),
    "Job": ("batch", "jobs", ["spec", "template", "spec"]),
    "CronJob": ("batch", "cronjobs", ["spec", "jobTemplate", "spec", "template", "spec"]),
}
STEP_OF_PATH = {"/validate": "validate", "/mutate-v1-pod": "mutate", "/admit": "admit"}
# A runtime class only a PeerPodVMPolicy names (with_vm_policy): not a peer class of the shipped policies.
VM_ONLY_CLASS = "kata-remote-gpu"

EVALUATOR = """
import {parse} from %s
const cases = JSON.parse(await new Promise(resolve => {
  let text = ''; process.stdin.on('data', d => text += d); process.stdin.on('end', () => resolve(text))
}))
const compiled = new Map()
const out = cases.map(c => {
  try {
    if (!compiled.has(c.expression)) compiled.set(c.expression, parse(c.expression))
    const value = compiled.get(c.expression)(c.variables)
    return typeof value === 'boolean' ? {value} : {error: 'not a boolean: ' + String(value)}
  } catch (e) {
    return {error: e.message.split('\\n')[0]}
  }
})
process.stdout.write(JSON.stringify(out))
"""

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)
    return condition


def install_cel(cache):
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        print("SKIP node or npm is not installed")
        sys.exit(77)
    module = cache / "node_modules" / "@marcbachmann" / "cel-js" / "lib" / "index.js"
    if not module.exists():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            r = subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", CEL_PACKAGE],
                               capture_output=True, text=True, timeout=240)
            why = r.stderr.strip()[-300:] if r.returncode != 0 else "the module is not where npm should put it"
        except subprocess.TimeoutExpired:
            why = "npm install did not finish in 240 s"
        if not module.exists():
            print(f"SKIP cannot install {CEL_PACKAGE} from the npm registry: {why}")
            sys.exit(77)
    return node, module


def evaluate(node, module, cases):
    with tempfile.NamedTemporaryFile("w", suffix=".mjs", delete=False) as f:
        f.write(EVALUATOR % json.dumps(module.as_uri()))
        script = f.name
    try:
        r = subprocess.run([node, script], input=json.dumps(cases), capture_output=True, text=True, timeout=120)
    finally:
        os.unlink(script)
    if r.returncode != 0:
        raise SystemExit(f"node failed: {r.stderr}")
    return json.loads(r.stdout)


def pod_spec(obj):
    node = obj
    for key in KINDS[obj["kind"]][2]:
        node = node.setdefault(key, {})
    return node


def corpus(repo):
    """kubectl-made objects, the apiserver-shaped pods of the sample reviews, and the Deployment
    recast as the other apps/v1 kinds (same template), each with kata-remote, runc and none."""
    base = []
    for path in sorted((repo / "samples" / "objects").glob("*.json")):
        base.append((path.name, json.loads(path.read_text())))
    for path in sorted((repo / "samples" / "reviews").glob("*.json")):
        base.append((path.name, json.loads(path.read_text())["request"]["object"]))
    deployment = next(o for _, o in base if o["kind"] == "Deployment")
    for kind in ("ReplicaSet", "StatefulSet", "DaemonSet"):
        recast = copy.deepcopy(deployment)
        recast["kind"] = kind
        if kind == "DaemonSet":
            recast["spec"].pop("replicas", None)
            recast["spec"].pop("strategy", None)
        base.append((f"deployment as {kind}", recast))
    out = []
    for label, obj in base:
        for runtime in ("kata-remote", VM_ONLY_CLASS, "runc", None):
            variant = copy.deepcopy(obj)
            spec = pod_spec(variant)
            spec.pop("runtimeClassName", None)
            if runtime:
                spec["runtimeClassName"] = runtime
            out.append((f"{label} [{variant['kind']}, runtimeClassName {runtime or 'unset'}]", variant))
    return out


def entries(peergate, webhooks, policies):
    r = subprocess.run([peergate, "manifests", "--namespace", NS, "--peer-pods-only", "--webhooks", webhooks,
                        *policies], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"peergate manifests failed: {r.stderr}")
    return [w for d in yaml.safe_load_all(r.stdout) if d and "webhooks" in d for w in d["webhooks"]]


def sends_kind(entry, kind):
    group, resource, _ = KINDS[kind]
    return any(group in rule["apiGroups"] and resource in rule["resources"] for rule in entry["rules"])


def review(peergate, step, namespace, obj, tmp, policies):
    path = tmp / "object.json"
    path.write_text(json.dumps(obj))
    r = subprocess.run([peergate, "review", "--step", step, "-n", namespace, *policies, str(path)],
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        return None
    return json.loads(r.stdout)["response"]


def with_vm_policy(repo, tmp):
    """The shipped policies and a PeerPodVMPolicy for VM_ONLY_CLASS alone, as a --policies folder."""
    folder = tmp / "with-vm-policy"
    folder.mkdir()
    for shipped in (repo / "policies").glob("*.yaml"):
        shutil.copy(shipped, folder / shipped.name)
    (folder / "gpu-vm-limits.yaml").write_text(
        "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodVMPolicy\nmetadata:\n  name: gpu-vm-limits\nspec:\n"
        f"  runtimeClassNames: [{VM_ONLY_CLASS}]\n  vm:\n    maxGPUs: 1\n    images: []\n")
    return folder


def check_configuration(peergate, objects, node, module, label, policies, peer_classes, tmp):
    """Every entry of both webhook sets over every object: sent exactly for `peer_classes`, and
    what is not sent is allowed untouched by peergate with the same `policies` (CLI arguments)."""
    hooks = []
    for webhooks in ("both", "admit"):
        for e in entries(peergate, webhooks, policies):
            if not e["name"].startswith("system."):  # same conditions as their main entry
                hooks.append(e)
    check(all(e.get("matchConditions") for e in hooks), f"{label}: {len(hooks)} webhook entries carry matchConditions")

    cases, meta = [], []
    for e in hooks:
        expression = e["matchConditions"][0]["expression"]
        for name, obj in objects:
            if not sends_kind(e, obj["kind"]):
                continue
            group, _, _ = KINDS[obj["kind"]]
            variables = {"object": obj, "oldObject": None,
                         "request": {"kind": {"group": group, "version": "v1", "kind": obj["kind"]}, "operation": "CREATE"}}
            cases.append({"expression": expression, "variables": variables})
            meta.append((e, name, obj))
    results = evaluate(node, module, cases)

    skipped_checked = sent_by_class = 0
    for (e, name, obj), result in zip(meta, results):
        name = f"{label}: {e['name']} ({e['clientConfig']['service']['path']}): {name}"
        if not check("error" not in result, f"{name}: the condition evaluates ({result.get('error', '')})"):
            continue
        runtime = pod_spec(copy.deepcopy(obj)).get("runtimeClassName")
        expected = runtime in peer_classes
        if not check(result["value"] == expected, f"{name}: sent={result['value']}, expected {expected}"):
            continue
        if result["value"]:
            sent_by_class += runtime == VM_ONLY_CLASS
            continue
        step = STEP_OF_PATH[e["clientConfig"]["service"]["path"]]
        for namespace in ("default", "kube-system"):
            resp = review(peergate, step, namespace, obj, tmp, policies)
            ok = resp is not None and resp.get("allowed") is True and "patch" not in resp and not resp.get("warnings")
            check(ok, f"{name}: not sent, and peergate {step} in {namespace} would allow it untouched")
            skipped_checked += 1
    check(skipped_checked > 0 and len(results) >= 3 * len(KINDS),
          f"{label}: {len(results)} evaluations, {skipped_checked} skipped objects confirmed harmless")
    if VM_ONLY_CLASS in peer_classes:
        check(sent_by_class >= len(KINDS), f"{label}: {sent_by_class} objects of {VM_ONLY_CLASS} sent")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peergate", required=True)
    ap.add_argument("--repo", required=True, type=Path)
    ap.add_argument("--cache", required=True, type=Path)
    a = ap.parse_args()
    node, module = install_cel(a.cache)

    objects = corpus(a.repo)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        # The shipped policies cover kata-remote only: kata-remote-gpu pods are not sent.
        check_configuration(a.peergate, objects, node, module, "shipped policies", [], {"kata-remote"}, tmp)
        vm = with_vm_policy(a.repo, tmp)
        check_configuration(a.peergate, objects, node, module, "with a VM policy", ["--policies", str(vm)],
                            {"kata-remote", VM_ONLY_CLASS}, tmp)
    print(f"{len(failures)} failed" if failures else "all passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
