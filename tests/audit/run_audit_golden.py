#!/usr/bin/python3
"""Runs one golden case of `peergate audit`: a folder holding `args` (the command line after the
executable, one argument per line, paths relative to the folder), optionally `stdin` (fed to the
process), and the expected `expected.out` (stdout then stderr) and `expected.exit`.

The report's generation time is the one volatile field: every rendering of a second within the
run's time window (RFC 3339 "...Z" and PolicyReport `seconds:`) becomes <generated>. Timestamps
that come from the input (audit log lines) are left alone.

Usage: run_audit_golden.py PEERGATE CASE_DIR [--update]
"""
import datetime
import math
import os
import subprocess
import sys
import time


def normalise(text, t0, t1):
    for t in range(t0, t1 + 1):
        stamp = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = text.replace(stamp, "<generated>")
        text = text.replace(f"seconds: {t}\n", "seconds: <generated>\n")
    return text


def main():
    peergate, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    update = "--update" in sys.argv[3:]
    with open(os.path.join(case, "args")) as f:
        args = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]
    stdin_path = os.path.join(case, "stdin")
    stdin = open(stdin_path, "rb").read() if os.path.exists(stdin_path) else b""
    env = dict(os.environ)
    for var in ("TARGET_RUNTIMECLASS", "POD_VM_EXTENDED_RESOURCE", "NO_COLOR"):
        env.pop(var, None)
    t0 = math.floor(time.time())
    proc = subprocess.run([peergate] + args, cwd=case, input=stdin, capture_output=True, env=env, timeout=120)
    t1 = math.ceil(time.time())
    out = normalise(proc.stdout.decode() + proc.stderr.decode(), t0, t1)
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
            import difflib
            diff = difflib.unified_diff(want.splitlines(True), text.splitlines(True), f"{name} (expected)", "actual")
            sys.stdout.writelines(list(diff)[:200])
    print("FAIL" if failed else "PASS", case)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
