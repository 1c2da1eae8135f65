#!/usr/bin/python3
"""Applies every patch printed by dump_patch_cases with python3-jsonpatch and compares the result
with the hand-written expected pod. An independent RFC 6902 implementation catches patches that
only our own apply() would accept (wrong escaping, bad indexes, ops on missing parents).

Usage: /usr/bin/python3 check_patches_with_jsonpatch.py <dump_patch_cases> [cases.json]
"""

import json
import subprocess
import sys

import jsonpatch


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        run = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=False)
    except OSError as error:
        print(f"FAIL cannot run {sys.argv[1]}: {error}")
        return 1
    if run.returncode != 0:
        print(f"FAIL dump_patch_cases exited {run.returncode}: {run.stderr.strip()}")
        return 1

    failures = 0
    count = 0
    for line in run.stdout.splitlines():
        if not line.strip():
            continue
        count += 1
        case = json.loads(line)
        name = case["name"]
        try:
            result = jsonpatch.apply_patch(case["original"], case["patch"])
        # Anything jsonpatch raises (conflict, bad pointer, malformed op) means it refused the patch.
        except Exception as error:  # pylint: disable=broad-except
            print(f"FAIL {name}: jsonpatch refused the patch: {error}")
            failures += 1
            continue
        if result != case["expected"]:
            print(f"FAIL {name}: result differs from expected")
            print(f"     got:      {json.dumps(result, sort_keys=True)}")
            print(f"     expected: {json.dumps(case['expected'], sort_keys=True)}")
            failures += 1
            continue
        if case.get("second_patch"):
            print(f"FAIL {name}: not idempotent, second pass patch {json.dumps(case['second_patch'])}")
            failures += 1
            continue
        print(f"ok   {name} ({len(case['patch'])} ops)")

    if count == 0:
        print("FAIL no cases printed")
        return 1
    print(f"{count - failures}/{count} cases match")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
