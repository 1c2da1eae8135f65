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


def main():
    peergate, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    update = "--update" in sys.argv[3:]
    with open(os.path.join(case, "args")) as f:
        args = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]
    env = dict(os.environ)
    env.pop("TARGET_RUNTIMECLASS", None)
    env.pop("POD_VM_EXTENDED_RESOURCE", None)
    proc = subprocess.run([peergate] + args, cwd=case, capture_output=True, text=True, env=env, timeout=60)
    out = proc.stdout + proc.stderr
    files = {"expected.out": out, "expected.exit": f"{proc.returncode}\n"}
    if update:
        for name, text in files.items():
            with open(os.path.join(case, name), "w") as f:
                f.write(text)
        print(f"updated {case}")
        return 0
    failed = False
    for name, text in files.items():
        with open(os.path.join(case, name)) as f:
            want = f.read()
        if want != text:
            failed = True
            print(f"--- {name} (expected)\n{want}\n+++ actual\n{text}")
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
