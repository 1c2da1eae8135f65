#!/usr/bin/python3
"""Checks `peergate test --format junit` with two readers that share no code with peergate:
xmllint against junit.xsd (written for this test after the Jenkins/Ant JUnit structure; it lists
every element and attribute peergate may write) and python3-junitparser, the library CI scripts
use to read JUnit reports. What junitparser reads must be what the text format says: the same
cases in the same suites, the same passes and failures, each failure's text the case's diff,
and an error for each suite that could not run; the exit status is the text format's.

Usage: check_junit.py PEERGATE REPO
"""
import os
import re
import subprocess
import sys
import tempfile

from junitparser import Error, Failure, JUnitXml  # Debian python3-junitparser

HERE = os.path.dirname(os.path.abspath(__file__))
CASE_LINE = re.compile(r"^(PASS|FAIL)  (.*?): (.*)$")


def run(peergate, cwd, args, fmt):
    proc = subprocess.run([peergate, "test", "--format", fmt, *args], cwd=cwd, capture_output=True, text=True)
    if proc.stderr:
        raise SystemExit(f"peergate test --format {fmt} {args}: stderr {proc.stderr!r}")
    return proc.returncode, proc.stdout


def read_text(out):
    """(suite file, case name) -> (passed, diff lines) and the files with an ERROR, from the text format."""
    cases, errors, current = {}, [], None
    for line in out.splitlines():
        m = CASE_LINE.match(line)
        if m:
            current = (m.group(2), m.group(3))
            cases[current] = (m.group(1) == "PASS", [])
        elif line.startswith("        ") and current:
            cases[current][1].append(line[8:])
        else:
            current = None
            if line.startswith("ERROR "):
                errors.append(line[6:])
    return cases, errors


def check(peergate, cwd, args):
    problems = []
    text_status, text = run(peergate, cwd, args, "text")
    status, xml = run(peergate, cwd, args, "junit")
    if status != text_status:
        problems.append(f"exit {status}, the text format exits {text_status}")
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
    try:
        lint = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(HERE, "junit.xsd"), f.name],
                              capture_output=True, text=True)
        if lint.returncode != 0:
            problems.append(f"xmllint: {lint.stderr.strip()}")
        report = JUnitXml.fromfile(f.name)
    finally:
        os.unlink(f.name)
    want_cases, want_errors = read_text(text)
    got_cases, got_errors = {}, []
    suites = list(report)
    if len({s.name for s in suites}) != len(suites):
        problems.append("two testsuite elements for one file")
    for suite in suites:
        counted = {"tests": 0, "failures": 0, "errors": 0}
        for case in suite:
            counted["tests"] += 1
            if case.classname != suite.name:
                problems.append(f"{suite.name}: testcase {case.name!r} has classname {case.classname!r}")
            failures = [r for r in case.result if isinstance(r, Failure)]
            errors = [r for r in case.result if isinstance(r, Error)]
            counted["failures"] += len(failures)
            counted["errors"] += len(errors)
            if errors:
                got_errors += [e.message for e in errors]
                continue
            diff = failures[0].text.splitlines() if failures else []
            if failures and failures[0].message != diff[0]:
                problems.append(f"{suite.name}: {case.name}: failure message {failures[0].message!r} is not the diff's first line")
            got_cases[(suite.name, case.name)] = (not failures, diff)
        for key, n in counted.items():
            if getattr(suite, key) != n:
                problems.append(f"{suite.name}: {key}={getattr(suite, key)} but {n} counted")
    if got_cases != want_cases:
        problems.append(f"cases {got_cases} differ from the text format's {want_cases}")
    if got_errors != want_errors:
        problems.append(f"errors {got_errors} differ from the text format's {want_errors}")
    return problems, len(got_cases), len(got_errors)


def main():
    peergate, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    golden = os.path.join(repo, "tests/golden/test")
    cases = {
        "samples/tests (all pass)": (repo, ["samples/tests"]),
        "failing cases": (os.path.join(golden, "failing-cases"), ["suite.yaml"]),
        "results failing": (os.path.join(golden, "results-failing"), ["suite.yaml"]),
        "broken suites and a warning": (os.path.join(golden, "results-mistakes"), ["suite.yaml", "ignored-key.yaml"]),
        "policies that do not load": (os.path.join(golden, "broken-suite"), ["suite.yaml"]),
        "no suite at all": (repo, ["policies"]),
    }
    failures = 0
    for name, (cwd, args) in cases.items():
        problems, n_cases, n_errors = check(peergate, cwd, args)
        for p in problems:
            print("FAIL", name, p)
        print(f"{'FAIL' if problems else 'ok  '} {name}: {n_cases} cases, {n_errors} suite errors")
        failures += bool(problems)
    print("FAIL" if failures else "PASS", "junit output of peergate test, through xmllint and junitparser")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
