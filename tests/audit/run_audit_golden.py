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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from golden_case import clean_env, compare_or_update, read_args  # noqa: E402


def normalise(text, t0, t1):
    for t in range(t0, t1 + 1):
        stamp = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = text.replace(stamp, "<generated>")
        text = text.replace(f"seconds: {t}\n", "seconds: <generated>\n")
    return text


def main():
    peergate, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    update = "--update" in sys.argv[3:]
    args = read_args(case)
    stdin_path = os.path.join(case, "stdin")
    stdin = open(stdin_path, "rb").read() if os.path.exists(stdin_path) else b""
    t0 = math.floor(time.time())
    proc = subprocess.run([peergate] + args, cwd=case, input=stdin, capture_output=True, env=clean_env("NO_COLOR"),
                          timeout=120)
    t1 = math.ceil(time.time())
    out = normalise(proc.stdout.decode() + proc.stderr.decode(), t0, t1)
    files = {"expected.out": out, "expected.exit": f"{proc.returncode}\n"}
    failed = compare_or_update(case, files, update)
    if update:
        return 0
    print("FAIL" if failed else "PASS", case)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
