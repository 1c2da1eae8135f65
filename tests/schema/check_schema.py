#!/usr/bin/python3
"""Checks policies/schema/peergate.schema.json against the loader.

Usage: /usr/bin/python3 tests/schema/check_schema.py PEERGATE_BINARY

Run it with Debian's /usr/bin/python3 (python3-jsonschema, python3-yaml).
(a) the schema is a valid JSON Schema; (b) every shipped policy and sample test suite validates;
(c) for a table of small documents, the schema's verdict agrees with `peergate check`;
(d) `peergate schema` prints the file byte for byte.
Prints one line per check and exits 1 on any disagreement.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA_PATH = os.path.join(ROOT, "policies", "schema", "peergate.schema.json")

# Verdicts: "valid" (schema accepts; check exits 0 with no errors), "invalid" (schema rejects;
# check reports errors), "warning" (an unknown field: the schema rejects it, which editors show,
# while the loader only warns and ignores the key: check exits 0 with at least one warning).
POLICY = "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\nmetadata: {name: p}\n"
MUTATION = "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodMutation\nmetadata: {name: m}\n"
VM = "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodVMPolicy\nmetadata: {name: v}\n"
SHA256 = "sha256:" + "0123456789abcdef" * 4
# The policies an exception case names, then the exception (the loader needs them; the schema
# checks every document).
EXCEPTION = (POLICY + "spec: {allowedNamespaces: [team-a]}\n---\n" + VM + "spec: {vm: {maxGPUs: 0}}\n---\n" +
             "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicyException\nmetadata: {name: e}\n")
CASES = [
    ("policy: minimal", "valid", POLICY + "spec: {allowedNamespaces: [peer-pods]}"),
    ("policy: allowedNamespaces []", "valid", POLICY + "spec: {allowedNamespaces: []}"),
    ("policy: every field", "valid", POLICY + """spec:
  runtimeClassNames: [kata-remote, kata.example.com]
  validationActions: [Warn, Audit]
  allowedNamespaces: [team-a, "confidential-*", "ns-??", {regex: "coco-[a-z0-9-]+"}]
  exemptions: {usernames: ["system:serviceaccount:ci:*", alice], groups: ["system:masters"]}
  message: "{kind} {name} not allowed in {namespace} ({policy}, {runtimeClassName}) {unclosed"
"""),
    ("mutation: spec {}", "valid", MUTATION + "spec: {}"),
    ("mutation: every field", "valid", MUTATION + """spec:
  runtimeClassName: kata-cc
  extendedResource: example.com/peer-vm
  sizingAnnotations: false
  excludedNamespaces: {presets: [openshift], names: ["my-infra-*", {regex: "sys-[0-9]+"}, infra]}
  unaccountedPeerPods: Ignore
"""),
    ("mutation: presets []", "valid", MUTATION + "spec: {excludedNamespaces: {presets: []}}"),
    ("bad apiVersion", "invalid", POLICY.replace("v1alpha1", "v1") + "spec: {allowedNamespaces: []}"),
    ("unknown kind", "invalid", POLICY.replace("PeerPodPolicy", "PeerPodPolicies") + "spec: {allowedNamespaces: []}"),
    ("missing spec", "invalid", POLICY),
    ("name with uppercase and _", "invalid", POLICY.replace("{name: p}", "{name: Bad_Name}") + "spec: {allowedNamespaces: []}"),
    ("name of 64 characters", "invalid", POLICY.replace("{name: p}", "{name: " + "a" * 64 + "}") + "spec: {allowedNamespaces: []}"),
    ("missing metadata.name", "invalid", POLICY.replace("{name: p}", "{labels: {}}") + "spec: {allowedNamespaces: []}"),
    ("policy: missing allowedNamespaces", "invalid", POLICY + "spec: {validationActions: [Deny]}"),
    ("policy: allowedNamespaces a string", "invalid", POLICY + "spec: {allowedNamespaces: peer-pods}"),
    ("policy: invalid namespace name", "invalid", POLICY + "spec: {allowedNamespaces: [Team-A]}"),
    ("policy: invalid glob character", "invalid", POLICY + "spec: {allowedNamespaces: [\"team_*\"]}"),
    ("policy: mapping entry without regex", "invalid", POLICY + "spec: {allowedNamespaces: [{re: x}]}"),
    ("policy: regex not a string", "invalid", POLICY + "spec: {allowedNamespaces: [{regex: [a]}]}"),
    ("policy: unknown validation action", "invalid", POLICY + "spec: {allowedNamespaces: [], validationActions: [Enforce]}"),
    ("policy: lowercase validation action", "invalid", POLICY + "spec: {allowedNamespaces: [], validationActions: [deny]}"),
    ("policy: empty validationActions", "invalid", POLICY + "spec: {allowedNamespaces: [], validationActions: []}"),
    ("policy: Deny with Warn", "invalid", POLICY + "spec: {allowedNamespaces: [], validationActions: [Audit, Warn, Deny]}"),
    ("policy: empty runtimeClassNames", "invalid", POLICY + "spec: {allowedNamespaces: [], runtimeClassNames: []}"),
    ("policy: runtimeClassNames a string", "invalid", POLICY + "spec: {allowedNamespaces: [], runtimeClassNames: kata-remote}"),
    ("policy: invalid runtime class", "invalid", POLICY + "spec: {allowedNamespaces: [], runtimeClassNames: [Kata_Remote]}"),
    ("policy: empty exemption entry", "invalid", POLICY + "spec: {allowedNamespaces: [], exemptions: {usernames: [\"\"]}}"),
    ("policy: groups a string", "invalid", POLICY + "spec: {allowedNamespaces: [], exemptions: {groups: admins}}"),
    ("policy: unknown placeholder", "invalid", POLICY + "spec: {allowedNamespaces: [], message: \"not in {namespace} for {pod}\"}"),
    ("policy: message a list", "invalid", POLICY + "spec: {allowedNamespaces: [], message: [a]}"),
    ("mutation: sizingAnnotations quoted", "invalid", MUTATION + "spec: {sizingAnnotations: \"true\"}"),
    ("mutation: unaccountedPeerPods lowercase", "invalid", MUTATION + "spec: {unaccountedPeerPods: warn}"),
    ("mutation: unknown preset", "invalid", MUTATION + "spec: {excludedNamespaces: {presets: [upstream, okd]}}"),
    ("mutation: extendedResource without domain", "invalid", MUTATION + "spec: {extendedResource: vm}"),
    ("mutation: excluded names a string", "invalid", MUTATION + "spec: {excludedNamespaces: {names: infra}}"),
    ("mutation: spec a list", "invalid", MUTATION + "spec: []"),
    ("vm: one limit", "valid", VM + "spec: {vm: {maxVCPUs: 4}}"),
    ("vm: every field", "valid", VM + """spec:
  runtimeClassNames: [kata-remote]
  validationActions: [Warn, Audit]
  namespaces: [team-a, "team-*", {regex: "dev-.+"}]
  exemptions: {usernames: [alice], groups: ["system:masters"]}
  vm:
    instanceTypes: [Standard_DC2as_v5, "Standard_DC*as_v5", {regex: "m6a\\\\..+"}]
    maxVCPUs: 0
    maxMemory: 16Gi
    maxGPUs: 4294967295
    images: []
    initData: {digests: [\"""" + SHA256 + """\"]}
  message: "{rule}: {requested} over {limit} ({policy} {kind} {name} {namespace} {runtimeClassName})"
"""),
    ("vm: maxMemory 1.5Gi", "valid", VM + "spec: {vm: {maxMemory: 1.5Gi}}"),
    ("vm: missing vm", "invalid", VM + "spec: {namespaces: [team-a]}"),
    ("vm: namespaces []", "invalid", VM + "spec: {namespaces: [], vm: {maxVCPUs: 1}}"),
    ("vm: negative maxVCPUs", "invalid", VM + "spec: {vm: {maxVCPUs: -1}}"),
    ("vm: fractional maxGPUs", "invalid", VM + "spec: {vm: {maxGPUs: 0.5}}"),
    ("vm: quoted maxVCPUs", "invalid", VM + "spec: {vm: {maxVCPUs: \"4\"}}"),
    ("vm: maxVCPUs above Kata's range", "invalid", VM + "spec: {vm: {maxVCPUs: 4294967296}}"),
    ("vm: maxMemory with a wrong suffix", "invalid", VM + "spec: {vm: {maxMemory: 16GB}}"),
    ("vm: negative maxMemory", "invalid", VM + "spec: {vm: {maxMemory: -1Gi}}"),
    ("vm: uppercase digest", "invalid", VM + "spec: {vm: {initData: {digests: [\"" + SHA256.upper().replace("SHA", "sha") + "\"]}}}"),
    ("vm: md5 digest", "invalid", VM + "spec: {vm: {initData: {digests: [\"md5:d41d8cd98f00b204e9800998ecf8427e\"]}}}"),
    ("vm: initData without digests", "invalid", VM + "spec: {vm: {initData: {}}}"),
    ("vm: empty image entry", "invalid", VM + "spec: {vm: {images: [\"\"]}}"),
    ("vm: instanceTypes a string", "invalid", VM + "spec: {vm: {instanceTypes: m6a.large}}"),
    ("vm: unknown placeholder", "invalid", VM + "spec: {vm: {maxGPUs: 0}, message: \"{max}\"}"),
    ("vm: vm {}", "warning", VM + "spec: {vm: {}}"),
    ("vm: unknown vm field", "warning", VM + "spec: {vm: {maxVCPUs: 4, maxCPUs: 4}}"),
    ("unknown top-level field", "warning", POLICY + "spec: {allowedNamespaces: []}\nstatus: {}"),
    ("unknown spec field", "warning", POLICY + "spec: {allowedNamespaces: [], mesage: hi}"),
    ("regex entry with an extra key", "warning", POLICY + "spec: {allowedNamespaces: [{regex: \"a-.*\", flags: i}]}"),
    ("unknown exemptions field", "warning", POLICY + "spec: {allowedNamespaces: [], exemptions: {users: [alice]}}"),
    ("mutation: unknown field", "warning", MUTATION + "spec: {sizing: true}"),
    # Exceptions name policies: each case loads them beside a PeerPodPolicy p and a VM policy v.
    ("exception: minimal", "valid", EXCEPTION + "spec: {policies: [p], namespaces: [ml-research], expires: \"2027-01-31T00:00:00Z\", reason: OPS-1}"),
    ("exception: every field", "valid", EXCEPTION + """spec:
  policies: [p, v]
  namespaces: [ml-research, "lab-*", {regex: "ml-[a-z]+"}]
  objects: ["trainer-*", notebook, "job.v?"]
  expires: "2027-01-31T01:30:00.5+01:30"
  reason: "OPS-1234: GPU trial"
  warnBefore: 1h30m
"""),
    ("exception: warnBefore 0", "valid", EXCEPTION + "spec: {policies: [v], namespaces: [a], expires: \"2027-01-31t00:00:00z\", reason: x, warnBefore: \"0\"}"),
    ("exception: no policies", "invalid", EXCEPTION + "spec: {policies: [], namespaces: [a], expires: \"2027-01-31T00:00:00Z\", reason: x}"),
    ("exception: without reason", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], expires: \"2027-01-31T00:00:00Z\"}"),
    ("exception: blank reason", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], expires: \"2027-01-31T00:00:00Z\", reason: \" \"}"),
    ("exception: without expires", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], reason: x}"),
    ("exception: without namespaces", "invalid", EXCEPTION + "spec: {policies: [p], expires: \"2027-01-31T00:00:00Z\", reason: x}"),
    ("exception: namespaces []", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [], expires: \"2027-01-31T00:00:00Z\", reason: x}"),
    ("exception: expires without a zone", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], expires: \"2027-01-31T00:00:00\", reason: x}"),
    ("exception: expires a date", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], expires: \"2027-01-31\", reason: x}"),
    ("exception: expires in month 13", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], expires: \"2027-13-01T00:00:00Z\", reason: x}"),
    ("exception: warnBefore in days", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], expires: \"2027-01-31T00:00:00Z\", reason: x, warnBefore: 7d}"),
    ("exception: warnBefore without a unit", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], expires: \"2027-01-31T00:00:00Z\", reason: x, warnBefore: \"168\"}"),
    ("exception: uppercase object", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], objects: [Trainer], expires: \"2027-01-31T00:00:00Z\", reason: x}"),
    ("exception: objects []", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], objects: [], expires: \"2027-01-31T00:00:00Z\", reason: x}"),
    ("exception: expiresAt (Kyverno's name)", "invalid", EXCEPTION + "spec: {policies: [p], namespaces: [a], expiresAt: \"2027-01-31T00:00:00Z\", reason: x}"),
]

# PeerPodPolicyTest documents are skipped by the loader, so these are checked against the schema only.
SUITE = "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicyTest\nmetadata: {name: t}\n"
SUITE_CASES = [
    ("suite: minimal", True, SUITE + "spec: {cases: [{objectFile: pod.yaml, expect: {allowed: true}}]}"),
    ("suite: every field", True, SUITE + """spec:
  policies: [../../policies]
  cases:
    - name: c
      step: validate
      namespace: ns
      operation: UPDATE
      user: {username: u, groups: [g]}
      object: {apiVersion: v1, kind: Pod}
      expect: {allowed: false, code: 403, messageContains: [a, b], warnings: [], auditAnnotations: {p: x}, mutated: false, patched: {/a: null}, results: [{policy: p, rule: vcpus, result: violation}]}
    - {user: bob, reviewFile: r.json, expect: {messageContains: a}}
"""),
    ("suite: no cases", False, SUITE + "spec: {cases: []}"),
    ("suite: case without object", False, SUITE + "spec: {cases: [{expect: {allowed: true}}]}"),
    ("suite: case without expect", False, SUITE + "spec: {cases: [{objectFile: pod.yaml}]}"),
    ("suite: unknown step", False, SUITE + "spec: {cases: [{step: review, objectFile: pod.yaml, expect: {}}]}"),
    ("suite: unknown expectation", False, SUITE + "spec: {cases: [{objectFile: pod.yaml, expect: {denied: true}}]}"),
    ("suite: code a string", False, SUITE + "spec: {cases: [{objectFile: pod.yaml, expect: {code: \"403\"}}]}"),
    ("suite: results unknown rule", False, SUITE + "spec: {cases: [{objectFile: pod.yaml, expect: {results: [{policy: p, rule: vcpu, result: pass}]}}]}"),
    ("suite: results unknown result", False, SUITE + "spec: {cases: [{objectFile: pod.yaml, expect: {results: [{policy: p, rule: vcpus, result: denied}]}}]}"),
    ("suite: results entry without result", False, SUITE + "spec: {cases: [{objectFile: pod.yaml, expect: {results: [{policy: p, rule: vcpus}]}}]}"),
    ("suite: a case at a time", True, SUITE + "spec: {cases: [{objectFile: pod.yaml, now: \"2027-01-28T00:00:00Z\", expect: {allowed: true}}]}"),
    ("suite: now without a zone", False, SUITE + "spec: {cases: [{objectFile: pod.yaml, now: \"2027-01-28T00:00:00\", expect: {allowed: true}}]}"),
    ("suite: results a mapping", False, SUITE + "spec: {cases: [{objectFile: pod.yaml, expect: {results: {policy: p, rule: vcpus, result: pass}}}]}"),
    ("suite: auditAnnotations value a list", False, SUITE + "spec: {cases: [{objectFile: pod.yaml, expect: {auditAnnotations: {p: [x]}}}]}"),
]


def loader_counts(peergate, text, workdir):
    path = os.path.join(workdir, "doc.yaml")
    with open(path, "w") as f:
        f.write(text)
    # At a fixed time, so that the exceptions' expiry warnings never depend on the day it runs.
    run = subprocess.run([peergate, "check", "--now", "2026-12-01T00:00:00Z", path], capture_output=True, text=True)
    m = re.search(r"^(\d+) errors?, (\d+) warnings?", run.stdout, re.MULTILINE)
    if not m:
        raise RuntimeError("unexpected output of peergate check:\n" + run.stdout + run.stderr)
    return run.returncode, int(m.group(1)), int(m.group(2))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    peergate = os.path.abspath(sys.argv[1])
    failures = 0

    def report(ok, what):
        nonlocal failures
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures += 1

    with open(SCHEMA_PATH, "rb") as f:
        schema_bytes = f.read()
    schema = json.loads(schema_bytes)

    # (a) the schema itself.
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        report(True, "schema: valid draft 2020-12 schema")
    except jsonschema.SchemaError as e:
        report(False, "schema: " + e.message)
        return 1
    validator = jsonschema.Draft202012Validator(schema)

    def schema_errors(doc):
        return [("/".join(map(str, e.absolute_path)) or "(document)") + ": " + e.message
                for e in validator.iter_errors(doc)]

    # (b) shipped policies, their copies in the kustomize sample, and sample test suites; the
    # schema line must lead an editor to the schema file from where the file is.
    files = sorted(glob.glob(os.path.join(ROOT, "policies", "*.yaml")) +
                   glob.glob(os.path.join(ROOT, "samples", "deploy", "base", "policies", "*.yaml")) +
                   glob.glob(os.path.join(ROOT, "samples", "policies", "*.yaml")) +
                   glob.glob(os.path.join(ROOT, "samples", "tests", "*.yaml")))
    for path in files:
        rel = os.path.relpath(path, ROOT)
        with open(path) as f:
            text = f.read()
        first = text.split("\n", 1)[0]
        report(first.startswith("# yaml-language-server: $schema="), rel + ": starts with the schema line")
        target = os.path.normpath(os.path.join(os.path.dirname(path), first.split("$schema=", 1)[-1].strip()))
        report(target == SCHEMA_PATH, f"{rel}: the schema line points at policies/schema/peergate.schema.json")
        for i, doc in enumerate(d for d in yaml.safe_load_all(text) if d is not None):
            errors = schema_errors(doc)
            report(not errors, f"{rel} #{i + 1}: validates" + "".join("\n        " + e for e in errors))

    # (c) schema and loader agree.
    with tempfile.TemporaryDirectory() as workdir:
        for name, expected, text in CASES:
            errors = [e for doc in yaml.safe_load_all(text) for e in schema_errors(doc)]
            code, n_errors, n_warnings = loader_counts(peergate, text, workdir)
            loader = "valid" if code == 0 and n_errors == 0 else "invalid"
            if expected == "warning":
                ok = bool(errors) and loader == "valid" and n_warnings > 0
                verdicts = f"schema {'rejects' if errors else 'accepts'}, loader {loader} with {n_warnings} warnings"
            else:
                schema_verdict = "invalid" if errors else "valid"
                ok = schema_verdict == loader == expected
                verdicts = f"schema {schema_verdict}, loader {loader} ({n_errors} errors, {n_warnings} warnings)"
            report(ok, f"{name}: expected {expected}; {verdicts}" +
                   ("" if ok else "".join("\n        " + e for e in errors)))

    for name, valid, text in SUITE_CASES:
        errors = schema_errors(yaml.safe_load(text))
        report(bool(errors) != valid, f"{name}: expected {'valid' if valid else 'invalid'}; schema "
               f"{'invalid' if errors else 'valid'}" + "".join("\n        " + e for e in errors if valid))

    # (d) the embedded copy.
    run = subprocess.run([peergate, "schema"], capture_output=True)
    report(run.returncode == 0 and run.stdout == schema_bytes, "peergate schema prints policies/schema/peergate.schema.json")

    print(f"{failures} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
