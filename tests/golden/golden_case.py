"""What the golden runners share (tests/golden/run_golden.py, tests/audit/run_audit_golden.py): a
case folder's `args`, a clean environment, and comparing (or, with --update, rewriting) the
expected files."""
import difflib
import os
import sys


def read_args(case):
    """The command line after the executable: one argument per line; blank and # lines skipped."""
    with open(os.path.join(case, "args")) as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]


def clean_env(*extra, case=None):
    """The environment without the variables that change peergate's output, plus the case's own
    `env` file when it has one (VAR=value per line; blank and # lines skipped)."""
    env = dict(os.environ)
    for var in ("TARGET_RUNTIMECLASS", "POD_VM_EXTENDED_RESOURCE") + extra:
        env.pop(var, None)
    path = os.path.join(case, "env") if case else None
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    var, _, value = line.rstrip("\n").partition("=")
                    env[var] = value
    return env


def compare_or_update(case, files, update):
    """`files`: name -> actual text. Rewrites them with --update; otherwise prints a diff for each
    that differs from the case's file. Returns True when something differed."""
    if update:
        for name, text in files.items():
            with open(os.path.join(case, name), "w") as f:
                f.write(text)
        print(f"updated {case}")
        return False
    failed = False
    for name, text in files.items():
        with open(os.path.join(case, name)) as f:
            want = f.read()
        if want != text:
            failed = True
            diff = difflib.unified_diff(want.splitlines(True), text.splitlines(True), f"{name} (expected)", "actual")
            sys.stdout.writelines(list(diff)[:200])
    return failed
