#!/usr/bin/python3
"""Checks `peergate check --format sarif` and `--format github` against what their consumers
expect, and against `--format json` (the same diagnostics, nothing lost or changed on the way):

- SARIF: valid against sarif-2.1.0-subset.schema.json with python3-jsonschema (a schema written
  for this test from the SARIF 2.1.0 requirements peergate relies on; the published OASIS schema
  is not available here), every ruleIndex pointing at the rule named by ruleId, each rule's
  default level the level of its results, and each result's file (the URI decoded), line, column,
  level and message those of the JSON diagnostic;
- github: every line but the summary is a workflow command `::error|warning
  file=F[,line=L[,col=C]],title=CODE::message`, which read back with GitHub's documented
  escaping (% CR LF in the message; also : and , in property values) gives the JSON diagnostic.

Inputs: policies with many problems, a YAML syntax error, a missing path (a problem of the whole
file: no line), the shipped policies (no problem), and a copy of a policy under a file name with
a space, a comma, a colon and a percent sign.

Usage: check_ci_formats.py PEERGATE REPO
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

import jsonschema  # Debian python3-jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
COMMAND = re.compile(r"^::(error|warning) ([^:]*)::(.*)$")


def check(peergate, cwd, args, fmt):
    proc = subprocess.run([peergate, "check", "--format", fmt, *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode not in (0, 1) or proc.stderr:
        raise SystemExit(f"peergate check --format {fmt} {args}: exit {proc.returncode}, stderr {proc.stderr!r}")
    return proc.returncode, proc.stdout


def unescape(text, prop):
    # The reverse of GitHub's escapeData / escapeProperty (@actions/core): %25 last.
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else []) + [("%25", "%")]
    for coded, plain in pairs:
        text = text.replace(coded, plain)
    return text


def check_sarif(log, diagnostics, validator):
    problems = [f"schema: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
    if problems:
        return problems
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    if len(set(ids)) != len(ids):
        problems.append("rule ids are not unique")
    results = run.get("results", [])
    if len(results) != len(diagnostics):
        return problems + [f"{len(results)} results for {len(diagnostics)} diagnostics"]
    for i, (r, d) in enumerate(zip(results, diagnostics)):
        where = f"result {i} ({d['code']})"
        rule = rules[r["ruleIndex"]]
        if rule["id"] != r["ruleId"] or r["ruleId"] != d["code"]:
            problems.append(f"{where}: ruleId {r['ruleId']}, rule {rule['id']}, code {d['code']}")
        if r["level"] != d["severity"] or rule["defaultConfiguration"]["level"] != d["severity"]:
            problems.append(f"{where}: level {r['level']}, rule level {rule['defaultConfiguration']['level']}")
        if r["message"]["text"] != d["message"]:
            problems.append(f"{where}: message {r['message']['text']!r}")
        physical = r["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        if urllib.parse.unquote(uri) != d["file"] or re.search(r"[^A-Za-z0-9._~/%-]", uri):
            problems.append(f"{where}: uri {uri!r} for file {d['file']!r}")
        region = physical.get("region")
        want = None if d["line"] == 0 else {"startLine": d["line"], **({"startColumn": d["column"]} if d["column"] else {})}
        if region != want:
            problems.append(f"{where}: region {region}, expected {want}")
    return problems


def check_github(text, diagnostics, summary):
    lines = text.splitlines()
    problems = []
    if not lines or lines[-1] != summary:
        problems.append(f"last line {lines[-1] if lines else None!r}, expected the summary {summary!r}")
    commands = lines[:-1]
    if len(commands) != len(diagnostics):
        return problems + [f"{len(commands)} commands for {len(diagnostics)} diagnostics"]
    for i, (line, d) in enumerate(zip(commands, diagnostics)):
        m = COMMAND.match(line)
        if not m:
            problems.append(f"line {i + 1} is not a workflow command: {line!r}")
            continue
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        props = {k: unescape(v, True) for k, v in props.items()}
        want = {"file": d["file"], "title": d["code"]}
        if d["line"]:
            want["line"] = str(d["line"])
            if d["column"]:
                want["col"] = str(d["column"])
        if m.group(1) != d["severity"] or props != want or unescape(m.group(3), False) != d["message"]:
            problems.append(f"line {i + 1}: {line!r} is not {d}")
    return problems


def summary_of(diagnostics):
    errors = sum(d["severity"] == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"


def main():
    peergate, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    validator = jsonschema.Draft202012Validator(json.load(open(os.path.join(HERE, "sarif-2.1.0-subset.schema.json"))))
    scratch = tempfile.mkdtemp(prefix="peergate-ci-formats-")
    odd = "odd name, with:colon 100%.yaml"
    shutil.copy(os.path.join(repo, "tests/golden/check/many-problems/policy.yaml"), os.path.join(scratch, odd))
    cases = {
        "many problems": (repo, ["tests/golden/check/many-problems/policy.yaml"]),
        "yaml syntax error and a missing path": (repo, ["tests/golden/check/yaml-syntax-error/broken.yaml", "missing.yaml"]),
        "vm policy mistakes": (repo, ["tests/golden/check/vm-policy-mistakes/policy.yaml"]),
        "shipped policies": (repo, ["policies"]),
        "a file name to escape": (scratch, [odd]),
    }
    failures = 0
    try:
        for name, (cwd, args) in cases.items():
            status, out = check(peergate, cwd, args, "json")
            diagnostics = json.loads(out)["diagnostics"]
            problems = []
            for fmt in ("sarif", "github"):
                fmt_status, fmt_out = check(peergate, cwd, args, fmt)
                if fmt_status != status:
                    problems.append(f"{fmt}: exit {fmt_status}, json exits {status}")
                if fmt == "sarif":
                    problems += [f"sarif: {p}" for p in check_sarif(json.loads(fmt_out), diagnostics, validator)]
                else:
                    problems += [f"github: {p}" for p in check_github(fmt_out, diagnostics, summary_of(diagnostics))]
            for p in problems:
                print("FAIL", name, p)
            print(f"{'FAIL' if problems else 'ok  '} {name}: {len(diagnostics)} diagnostics")
            failures += bool(problems)
    finally:
        shutil.rmtree(scratch)
    print("FAIL" if failures else "PASS", "sarif and github output of peergate check")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
