#!/usr/bin/python3
"""Runs one golden case: a folder holding `args` (the peergate command line after the
executable, one argument per line, paths relative to the folder), the input files, and the
expected output `expected.out` plus `expected.exit`.

For review cases, when `expected-object.json` exists, the JSON Patch in the response is also
applied with python3-jsonpatch (an implementation nobody here wrote) to the reviewed object and
the result compared with it.

Usage: run_golden.py PEERGATE CASE_DIR [--update]
"""
import base64
import json
import os
import subprocess
import sys

from golden_case import clean_env, compare_or_update, read_args


def main():
    peergate, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    update = "--update" in sys.argv[3:]
    args = read_args(case)
    proc = subprocess.run([peergate] + args, cwd=case, capture_output=True, text=True, env=clean_env(case=case), timeout=60)
    files = {"expected.out": proc.stdout + proc.stderr, "expected.exit": f"{proc.returncode}\n"}
    failed = compare_or_update(case, files, update)
    if update:
        return 0
    expected_object = os.path.join(case, "expected-object.json")
    if os.path.exists(expected_object):
        failed |= not check_patch(case, args, proc.stdout, expected_object)
    print("FAIL" if failed else "PASS", case)
    return 1 if failed else 0


def check_patch(case, args, stdout, expected_object):
    import jsonpatch  # Debian python3-jsonpatch

    source = os.path.join(case, args[-1])
    with open(source) as f:
        if source.endswith((".yaml", ".yml")):
            import yaml  # Debian python3-yaml
            document = yaml.safe_load(f)
        else:
            document = json.load(f)
    obj = document["request"]["object"] if document.get("kind") == "AdmissionReview" else document
    response = json.loads(stdout.splitlines()[0])["response"]
    ops = json.loads(base64.b64decode(response["patch"])) if "patch" in response else []
    if ("patch" in response) != ("patchType" in response):
        print("patch and patchType must come together")
        return False
    patched = jsonpatch.apply_patch(obj, ops)
    with open(expected_object) as f:
        want = json.load(f)
    if patched != want:
        print("object after python3-jsonpatch applied the patch differs from expected-object.json:")
        print(json.dumps(patched, indent=2, sort_keys=True))
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
