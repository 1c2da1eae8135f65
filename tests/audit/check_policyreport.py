#!/usr/bin/python3
"""Checks `peergate audit --format policyreport` against what the wgpolicyk8s.io v1alpha2 CRDs
accept (policyreport-v1alpha2.schema.json), or `--format openreports` against what the
openreports.io v1alpha1 CRDs accept (openreports-v1alpha1.schema.json), with python3-jsonschema,
for an object audit (good and malformed items) and a log audit: every document valid, one
namespaced report per namespace, the cluster report's summary equal to the totals of the JSON
report, and each namespaced report's summary equal to its results (skip results are counted but
not listed).

Usage: check_policyreport.py PEERGATE SAMPLES_DIR [policyreport|openreports]
"""
import json
import os
import subprocess
import sys

import jsonschema  # Debian python3-jsonschema
import yaml  # Debian python3-yaml


def run(peergate, args):
    proc = subprocess.run([peergate, "audit", *args], capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"peergate audit {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


# format -> (schema file, cluster kind, namespaced kind, what the schema is of)
APIS = {
    "policyreport": ("policyreport-v1alpha2.schema.json", "ClusterPolicyReport", "PolicyReport", "the wgpolicyk8s.io v1alpha2 schema"),
    "openreports": ("openreports-v1alpha1.schema.json", "ClusterReport", "Report", "the openreports.io v1alpha1 schema"),
}


def main():
    peergate, samples = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    report_format = sys.argv[3] if len(sys.argv) > 3 else "policyreport"
    schema_file, cluster_kind, namespaced_kind, schema_name = APIS[report_format]
    here = os.path.dirname(os.path.abspath(__file__))
    schema = json.load(open(os.path.join(here, schema_file)))
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    cases = {
        "objects": ["--policies", f"{samples}/policies", "-f", f"{samples}/cluster.json", "-f", f"{samples}/malformed-list.json"],
        "log": ["--from-log", f"{samples}/audit.log.1", "--from-log", f"{samples}/audit.log"],
    }
    for name, args in cases.items():
        docs = list(yaml.safe_load_all(run(peergate, args + ["--format", report_format])))
        totals = json.loads(run(peergate, args + ["--format", "json"]))
        problems = []
        for i, doc in enumerate(docs):
            for e in validator.iter_errors(doc):
                problems.append(f"document {i + 1}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        cluster = [d for d in docs if d["kind"] == cluster_kind]
        namespaced = [d for d in docs if d["kind"] == namespaced_kind]
        if len(cluster) != 1:
            problems.append(f"{len(cluster)} {cluster_kind}s, expected 1")
        else:
            for k in ("pass", "fail", "warn", "error", "skip"):
                if cluster[0]["summary"][k] != totals["summary"][k]:
                    problems.append(f"{cluster_kind} summary {k} {cluster[0]['summary'][k]} != {totals['summary'][k]}")
        want_ns = sorted(n["namespace"] for n in totals["namespaces"] if n["namespace"])
        got_ns = [d["metadata"]["namespace"] for d in namespaced]
        if got_ns != want_ns:
            problems.append(f"{namespaced_kind}s for {got_ns}, expected {want_ns}")
        for d in namespaced:
            listed = {}
            for r in d.get("results") or []:
                listed[r["result"]] = listed.get(r["result"], 0) + int(r["properties"].get("count", "1"))
            for k in ("pass", "fail", "warn", "error"):
                if listed.get(k, 0) != d["summary"][k]:
                    problems.append(f"{d['metadata']['namespace']}: summary {k} {d['summary'][k]} but {listed.get(k, 0)} listed")
        for p in problems:
            print("FAIL", name, p)
        print(f"{'FAIL' if problems else 'ok  '} {name}: {len(docs)} documents")
        failures += bool(problems)
    print("FAIL" if failures else "PASS", report_format, "output against", schema_name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
