#!/usr/bin/python3
"""Fails when a Catch2 test case name cannot be run by ctest.

catch_discover_tests registers each case under its name, and CMake splits a list at ';': a case
named "a; b" becomes a ctest whose filter "a" matches no case, and Catch passes when nothing
runs. Such a test can never fail, so names must not hold ';'.
Usage: check_test_names.py TESTS_DIR
"""
import pathlib
import re
import sys

NAME = re.compile(r'TEST_CASE\(\s*"((?:[^"\\]|\\.)*)"')


def main():
    bad = []
    for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.cpp")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for name in NAME.findall(line):
                if ";" in name:
                    bad.append(f"{path}:{number}: {name}")
    for line in bad:
        print("test case name with ';' (ctest would run nothing for it):", line)
    print(f"{len(bad)} bad test case names")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
