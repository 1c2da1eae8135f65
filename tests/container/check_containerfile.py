#!/usr/bin/python3
"""Static checks of Containerfile and .containerignore, against the repository and a real build.

No container engine is run. The checks:
  1. context:  every COPY/ADD source (without --from) exists in the repository and is not
               excluded by .containerignore (nor is any build input under it); .dockerignore, if
               present, says the same as .containerignore.
  2. sources:  everything the CMake configure of the build stage reads is copied to where CMake
               expects it: the add_subdirectory() directories (conditions evaluated with the
               stage's -D options), include()d files, ${PROJECT_SOURCE_DIR}/... references, and
               the repository headers that the copied C++ sources #include.
  3. runtime:  the runtime stage installs the Debian package of every shared library that
               `ldd BINARY` lists (mapped with `dpkg -S`), and nothing else.
  4. image:    numeric non-root USER; exec-form ENTRYPOINT at the path the binary is copied to,
               and that path is the build's output; CMD is a subcommand of the binary; EXPOSE is
               serve's default port; FROM debian:12 / a debian:12 variant; the build stage
               installs the Makefile's PACKAGES except the test-only ones; the version label is
               the project's version; apt-get installs skip recommends and drop the lists.

Exit 0: all passed; 1: a check failed; 77: static checks passed, but BINARY was configured with
options that change what it links (e.g. PEERGATE_SANITIZE=ON), so it says nothing about the image.
"""

import argparse
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

# Packages the Makefile installs for the tests only; not needed with PEERGATE_TESTS=OFF.
TEST_ONLY_PACKAGES = {"catch2", "openssl", "curl", "chromium", "python3", "prometheus", "libxml2-utils"}
TEST_ONLY_PREFIXES = ("python3-",)
# In every debian:12 image, slim included: apt (Priority: required) depends on the first three,
# and dpkg pre-depends on zlib1g.
BASE_IMAGE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1", "zlib1g"}
# Runtime packages that no library of the binary accounts for; add one only with a reason.
ALLOWED_EXTRA_RUNTIME_PACKAGES = set()
# Options that only add or remove test targets: they do not change what peergate links.
OPTIONS_NOT_AFFECTING_BINARY = {"PEERGATE_TESTS"}
# Files that configuring or compiling may read (used to check nothing needed is ignored).
BUILD_INPUT_SUFFIXES = (".cpp", ".cc", ".hpp", ".h", ".cmake", ".txt", ".yaml", ".yml", ".json", ".dict", ".in")

failures = []
notes = []


def fail(check, message):
    failures.append(f"FAIL [{check}] {message}")


def note(message):
    notes.append(message)


# ---------------------------------------------------------------------------------------------
# Containerfile parsing


class Instruction:
    def __init__(self, line, keyword, args):
        self.line, self.keyword, self.args = line, keyword, args

    def __repr__(self):
        return f"line {self.line}: {self.keyword} {self.args}"


class Stage:
    def __init__(self, index, image, name, line):
        self.index, self.image, self.name, self.line = index, image, name, line
        self.instructions = []


def parse_containerfile(path):
    """Stages of logical instructions: comment and blank lines dropped (also inside
    continuations, as the Dockerfile parser does), lines ending in `\\` joined."""
    with open(path, encoding="utf-8") as f:
        raw = f.read().splitlines()
    instructions, buffer, start = [], "", None
    for number, line in enumerate(raw, 1):
        stripped = line.strip()
        if start is None and not instructions and re.match(r"#\s*escape\s*=", stripped):
            raise SystemExit("check_containerfile.py: the escape parser directive is not supported")
        if not stripped or stripped.startswith("#"):
            continue
        if start is None:
            start = number
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1]
            continue
        instructions.append((start, buffer + line))
        buffer, start = "", None
    if buffer:
        instructions.append((start, buffer))
    stages = []
    for line, text in instructions:
        parts = text.strip().split(None, 1)
        keyword, args = parts[0].upper(), (parts[1] if len(parts) > 1 else "")
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(len(stages), words[0] if words else "", name, line))
        elif not stages:
            if keyword != "ARG":
                fail("image", f"line {line}: {keyword} before the first FROM")
            continue
        else:
            stages[-1].instructions.append(Instruction(line, keyword, args))
    return stages


def split_flags(args):
    """COPY/ADD arguments: ({flag: value}, [paths]) for the shell and the JSON (exec) form."""
    flags = {}
    rest = args.strip()
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        name, _, value = word[2:].partition("=")
        flags[name] = value
        rest = rest.strip()
    if rest.startswith("["):
        paths = json.loads(rest)
    else:
        paths = rest.split()
    return flags, paths


def exec_form(args):
    args = args.strip()
    if not args.startswith("["):
        return None
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def shell_commands(run_args):
    """A RUN's shell text as simple commands (lists of words), split at && || ; |."""
    lexer = shlex.shlex(run_args, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    commands, current = [], []
    for token in lexer:
        if token in ("&&", "||", ";", "|", "&"):
            if current:
                commands.append(current)
            current = []
        else:
            current.append(token)
    if current:
        commands.append(current)
    return commands


def strip_env(words):
    """Drops a leading `env` and VAR=value assignments."""
    i = 0
    while i < len(words) and (words[i] == "env" or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[i])):
        i += 1
    return words[i:]


def apt_installs(stage):
    """[(instruction, packages, words)] for each apt-get/apt install of the stage."""
    result = []
    for ins in stage.instructions:
        if ins.keyword != "RUN":
            continue
        for words in shell_commands(ins.args):
            words = strip_env(words)
            if not words or words[0] not in ("apt-get", "apt") or "install" not in words:
                continue
            packages, i = [], words.index("install") + 1
            while i < len(words):
                w = words[i]
                if w in ("-o", "-t", "-c"):
                    i += 2
                    continue
                if not w.startswith("-"):
                    packages.append(re.split(r"[=:/]", w)[0])
                i += 1
            result.append((ins, packages, words))
    return result


def resolve(workdir, path):
    return posixpath.normpath(posixpath.join(workdir, path))


# ---------------------------------------------------------------------------------------------
# .containerignore (the .dockerignore syntax: patterns relative to the context root, `**` for
# any number of directories, `!` to re-include, the last matching line wins; a pattern that
# matches a directory excludes everything under it; a trailing `/` is dropped, as docker does).


def load_ignore(path):
    patterns = []
    if not os.path.exists(path):
        return patterns
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:].strip()
            line = posixpath.normpath(line.lstrip("/"))
            patterns.append((negate, line, re.compile(pattern_regex(line))))
    return patterns


def pattern_regex(pattern):
    out, segments = "^", pattern.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "**":
            out += ".*" if last else "(?:.*/)?"
            continue
        j = 0
        while j < len(segment):
            c = segment[j]
            if c == "*":
                out += "[^/]*"
            elif c == "?":
                out += "[^/]"
            elif c == "[":
                end = segment.find("]", j + 1)
                if end < 0:
                    out += re.escape(c)
                else:
                    body = segment[j + 1:end]
                    out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                    j = end
            else:
                out += re.escape(c)
            j += 1
        if not last:
            out += "/"
    return out + "$"


def ignored(patterns, relpath):
    relpath = posixpath.normpath(relpath)
    parts = relpath.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = None
    for negate, text, regex in patterns:
        if any(regex.match(p) for p in prefixes):
            result = None if negate else text
    return result


# ---------------------------------------------------------------------------------------------
# CMake reading: commands with their arguments, if/else evaluated where the value is known.


def cmake_commands(text):
    """[(name, [args], line)] with comments, quoted and bracket arguments handled."""
    commands, i, n, line = [], 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c == "#":
            m = re.match(r"#\[(=*)\[", text[i:])
            if m:
                end = text.find("]" + m.group(1) + "]", i)
                end = n if end < 0 else end + len(m.group(1)) + 2
            else:
                end = text.find("\n", i)
                end = n if end < 0 else end
            line += text.count("\n", i, end)
            i = end
        elif c.isalpha() or c == "_":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[i:])
            name, j = m.group(0), i + m.end()
            while j < n and text[j] in " \t":
                j += 1
            if j >= n or text[j] != "(":
                i = j
                continue
            args, depth, j, start_line = [], 1, j + 1, line
            while j < n and depth:
                c = text[j]
                if c == "\n":
                    line += 1
                    j += 1
                elif c in " \t\r":
                    j += 1
                elif c == "#":
                    end = text.find("\n", j)
                    j = n if end < 0 else end
                elif c == "(":
                    depth += 1
                    args.append("(")
                    j += 1
                elif c == ")":
                    depth -= 1
                    if depth:
                        args.append(")")
                    j += 1
                elif c == '"':
                    k = j + 1
                    while k < n and text[k] != '"':
                        k += 2 if text[k] == "\\" else 1
                    args.append(text[j + 1:k])
                    line += text.count("\n", j, k)
                    j = k + 1
                elif c == "[" and re.match(r"\[(=*)\[", text[j:]):
                    m2 = re.match(r"\[(=*)\[", text[j:])
                    end = text.find("]" + m2.group(1) + "]", j)
                    end = n if end < 0 else end
                    args.append(text[j + m2.end():end])
                    line += text.count("\n", j, end)
                    j = end + len(m2.group(1)) + 2
                else:
                    m2 = re.match(r'(?:[^\s()#"\\]|\\.)+', text[j:])
                    args.append(m2.group(0))
                    j += m2.end()
            commands.append((name.lower(), args, start_line))
            i = j
        else:
            i += 1
    return commands


def truth(value):
    """CMake's if(<variable>): false for the false constants, true otherwise."""
    v = str(value).strip().upper()
    return not (v in ("", "0", "OFF", "NO", "FALSE", "N", "IGNORE", "NOTFOUND") or v.endswith("-NOTFOUND"))


def evaluate(args, variables):
    """True/False when the condition is a known option, optionally negated; None otherwise."""
    words = [a for a in args]
    negate = False
    while words and words[0] == "NOT":
        negate, words = not negate, words[1:]
    if len(words) == 1:
        name = re.sub(r"^\$\{(.*)\}$", r"\1", words[0])
        if name in variables:
            return truth(variables[name]) != negate
    return None


SOURCE_DIR_REF = re.compile(
    r"\$\{(PROJECT_SOURCE_DIR|CMAKE_SOURCE_DIR|CMAKE_CURRENT_SOURCE_DIR|CMAKE_CURRENT_LIST_DIR)\}(/[^\s\"';)]*)?")


def literal_path(path):
    """The part of a path before a glob or a variable, cut back to whole components."""
    cut = re.search(r"[*?\[$]", path)
    if not cut:
        return path.rstrip("/")
    head = path[:cut.start()]
    return head.rstrip("/") if head.endswith("/") else posixpath.dirname(head)


class CMakeWalk:
    """Follows add_subdirectory()/include() from the top-level CMakeLists.txt as configured."""

    def __init__(self, repo, variables):
        self.repo, self.variables = repo, dict(variables)
        self.required = {}  # repository-relative path -> why
        self.subdirectories = []
        self.options = {}  # name -> default
        self.peergate_output = None  # repository-relative source dir of add_executable(peergate)
        self.peergate_in_binary_dir = False

    def require(self, rel, why):
        rel = posixpath.normpath(rel)
        self.required.setdefault(rel, why)

    def walk(self, list_file, source_dir):
        with open(os.path.join(self.repo, list_file), encoding="utf-8") as f:
            commands = cmake_commands(f.read())
        list_dir = posixpath.dirname(list_file) or "."
        stack = []  # [(branch active: True/False/None, some earlier branch taken: True/False/None)]
        for name, args, line in commands:
            where = f"{list_file}:{line}"
            if name == "if":
                value = evaluate(args, self.variables)
                stack.append([value, value])
                continue
            if name == "elseif" and stack:
                taken = stack[-1][1]
                value = False if taken is True else evaluate(args, self.variables)
                stack[-1] = [value, True if taken is True or value is True else (None if None in (taken, value) else False)]
                continue
            if name == "else" and stack:
                taken = stack[-1][1]
                stack[-1] = [None if taken is None else not taken, True]
                continue
            if name == "endif" and stack:
                stack.pop()
                continue
            if any(active is False for active, _ in stack):
                continue
            if name == "option" and args:
                default = args[2] if len(args) > 2 else "OFF"
                self.options.setdefault(args[0], default)
                self.variables.setdefault(args[0], default)
            for arg in args:
                for m in SOURCE_DIR_REF.finditer(arg):
                    base = "." if m.group(1) in ("PROJECT_SOURCE_DIR", "CMAKE_SOURCE_DIR") else (
                        source_dir if m.group(1) == "CMAKE_CURRENT_SOURCE_DIR" else list_dir)
                    if m.group(2) is None:
                        continue  # the directory itself, e.g. a define read at run time
                    rel = posixpath.normpath(posixpath.join(base, literal_path(m.group(2)[1:]) or "."))
                    if rel != ".":
                        self.require(rel, f"{where}: {m.group(0)}")
            if name == "add_subdirectory" and args:
                sub = posixpath.normpath(posixpath.join(source_dir, args[0]))
                self.require(sub, f"{where}: add_subdirectory({args[0]})")
                if source_dir == ".":
                    self.subdirectories.append(sub)
                if os.path.exists(os.path.join(self.repo, sub, "CMakeLists.txt")):
                    self.walk(posixpath.join(sub, "CMakeLists.txt"), sub)
            elif name == "include" and args and ("/" in args[0] or args[0].endswith(".cmake")):
                inc = posixpath.normpath(posixpath.join(source_dir, args[0]))
                self.require(inc, f"{where}: include({args[0]})")
                if os.path.isfile(os.path.join(self.repo, inc)):
                    self.walk(inc, source_dir)
            elif name == "add_executable" and args and args[0] == "peergate":
                self.peergate_output = source_dir
            elif name == "set_target_properties" and args and args[0] == "peergate":
                joined = " ".join(args)
                if re.search(r"RUNTIME_OUTPUT_DIRECTORY \$\{(PROJECT|CMAKE)_BINARY_DIR\}", joined):
                    self.peergate_in_binary_dir = True


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True, help="repository root (the build context)")
    parser.add_argument("--binary", required=True, help="a peergate built from this repository")
    parser.add_argument("--containerfile", help="default: REPO/Containerfile")
    parser.add_argument("--ignore-file", help="default: REPO/.containerignore")
    parser.add_argument("--build", action="store_true",
                        help="also compile peergate from the copied files (slow; ctest only configures)")
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    containerfile = args.containerfile or os.path.join(repo, "Containerfile")
    ignore_file = args.ignore_file or os.path.join(repo, ".containerignore")
    checked = []

    stages = parse_containerfile(containerfile)
    if len(stages) < 2:
        fail("image", f"{containerfile}: {len(stages)} stage(s); a build stage and a runtime stage are expected")
        return report(checked)
    build = next((s for s in stages if s.name == "build"), None)
    runtime = stages[-1]
    if build is None or build is runtime:
        fail("image", "no stage named `build` before the runtime (last) stage")
        return report(checked)

    def walk_stage(stage):
        """The stage's instructions, each with the WORKDIR in effect."""
        workdir, steps = "/", []
        for ins in stage.instructions:
            if ins.keyword == "WORKDIR":
                workdir = resolve(workdir, ins.args.strip())
            steps.append((ins, workdir))
        return steps

    # ---- 1. context -----------------------------------------------------------------------
    patterns = load_ignore(ignore_file)
    if not os.path.exists(ignore_file):
        fail("context", f"{ignore_file} does not exist: the whole repository, build trees included, is the context")
    dockerignore, containerignore = os.path.join(repo, ".dockerignore"), os.path.join(repo, ".containerignore")
    if os.path.exists(dockerignore) and os.path.exists(containerignore):
        with open(dockerignore, encoding="utf-8") as a, open(containerignore, encoding="utf-8") as b:
            if a.read() != b.read():
                fail("context", ".dockerignore differs from .containerignore: docker and podman would send different contexts")
    context_sources = []
    for stage in stages:
        for ins, workdir in walk_stage(stage):
            if ins.keyword not in ("COPY", "ADD"):
                continue
            flags, paths = split_flags(ins.args)
            if "from" in flags or len(paths) < 2:
                if len(paths) < 2:
                    fail("context", f"line {ins.line}: {ins.keyword} needs a source and a destination")
                continue
            for src in paths[:-1]:
                if re.match(r"^[a-z]+://", src) or src.startswith("git@"):
                    fail("context", f"line {ins.line}: {ins.keyword} {src}: a URL, not a file of the repository")
                    continue
                if "$" in src:
                    fail("context", f"line {ins.line}: {src}: variables in sources are not supported by this check")
                    continue
                rel = posixpath.normpath(src.lstrip("/"))
                if rel.startswith(".."):
                    fail("context", f"line {ins.line}: {src} is outside the build context")
                    continue
                full = os.path.join(repo, rel)
                if not os.path.exists(full):
                    fail("context", f"line {ins.line}: {ins.keyword} source {src} does not exist in {repo}")
                    continue
                pattern = ignored(patterns, rel)
                if rel != "." and pattern:
                    fail("context", f"line {ins.line}: {ins.keyword} source {src} is excluded by `{pattern}` in {os.path.basename(ignore_file)}")
                    continue
                if os.path.isdir(full):
                    excluded = {}  # pattern -> build inputs under src it excludes
                    for dirpath, dirnames, filenames in os.walk(full):
                        for filename in filenames:
                            path = os.path.relpath(os.path.join(dirpath, filename), repo)
                            pattern = ignored(patterns, path) if filename.endswith(BUILD_INPUT_SUFFIXES) else None
                            if pattern:
                                excluded.setdefault(pattern, []).append(path)
                    for pattern, files in sorted(excluded.items()):
                        files.sort()
                        fail("context", f"line {ins.line}: `{pattern}` excludes {len(files)} source file(s) under {src}: "
                                        f"{' '.join(files[:3])}{' ...' if len(files) > 3 else ''}")
                context_sources.append(src)

    checked.append(f"context: COPY sources exist and are not ignored: {' '.join(context_sources)}")

    # ---- 2. sources -------------------------------------------------------------------------
    build_steps = walk_stage(build)
    configure = build_cmd = None
    strips = []
    copies = []  # (repo-relative source, is_dir, image path it lands at)
    for ins, workdir in build_steps:
        if ins.keyword in ("COPY", "ADD") and configure is None:
            flags, paths = split_flags(ins.args)
            if "from" in flags or len(paths) < 2:
                continue
            dest = resolve(workdir, paths[-1])
            into_dir = paths[-1].endswith("/") or len(paths) > 2 or paths[-1] in (".", "./")
            for src in paths[:-1]:
                rel = posixpath.normpath(src.lstrip("/"))
                full = os.path.join(repo, rel)
                if os.path.isdir(full):
                    copies.append((rel, True, dest))  # a directory's contents go into dest
                else:
                    copies.append((rel, False, posixpath.join(dest, posixpath.basename(rel)) if into_dir else dest))
        if ins.keyword == "RUN":
            for words in shell_commands(ins.args):
                words = strip_env(words)
                if words and words[0] == "strip":
                    strips.append((ins, workdir, [w for w in words[1:] if not w.startswith("-")]))
                if not words or words[0] != "cmake":
                    continue
                if "--build" in words:
                    build_cmd = (ins, workdir, words)
                elif configure is None and any(w.startswith("-S") or w.startswith("-B") for w in words):
                    configure = (ins, workdir, words)

    if configure is None:
        fail("sources", "the build stage has no `cmake -S ... -B ...` configure command")
        return report(checked)
    ins, workdir, words = configure

    def option_value(flag):
        for i, w in enumerate(words):
            if w == flag and i + 1 < len(words):
                return words[i + 1]
            if w.startswith(flag) and len(w) > len(flag):
                return w[len(flag):]
        return None

    source_root = resolve(workdir, option_value("-S") or ".")
    binary_dir = resolve(workdir, option_value("-B") or ".")
    defines = {}
    for i, w in enumerate(words):
        d = words[i + 1] if w == "-D" and i + 1 < len(words) else (w[2:] if w.startswith("-D") and len(w) > 2 else None)
        if d and "=" in d:
            name, _, value = d.partition("=")
            defines[name.split(":")[0]] = value

    def covered(rel):
        """True if the repository path `rel` lands at source_root/rel in the build stage."""
        want = posixpath.join(source_root, rel)
        for src, is_dir, dest in copies:
            if is_dir and (rel == src or rel.startswith(src + "/") or src == "."):
                inner = "" if rel == src else (rel if src == "." else rel[len(src) + 1:])
                if posixpath.normpath(posixpath.join(dest, inner)) == want:
                    return True
            if not is_dir and rel == src and dest == want:
                return True
        # A directory is covered when everything in it is (e.g. copied file by file).
        full = os.path.join(repo, rel)
        if os.path.isdir(full) and not any(src == rel or src.startswith(rel + "/") for src, _, _ in copies):
            return False
        if os.path.isdir(full):
            entries = [posixpath.join(rel, e) for e in os.listdir(full)]
            entries = [e for e in entries if not ignored(patterns, e)]
            return bool(entries) and all(covered(e) for e in entries)
        return False

    walk = CMakeWalk(repo, defines)
    walk.walk("CMakeLists.txt", ".")
    walk.require("CMakeLists.txt", "the top-level CMakeLists.txt")
    required = dict(walk.required)

    # Repository headers included by the copied C++ sources (resolved as the compiler would:
    # next to the including file, then from the repository root, engine's include directory).
    source_dirs = [d for d in required if os.path.isdir(os.path.join(repo, d))]
    for d in source_dirs:
        for dirpath, dirnames, filenames in os.walk(os.path.join(repo, d)):
            for filename in filenames:
                if not filename.endswith((".cpp", ".cc", ".hpp", ".h")):
                    continue
                path = os.path.join(dirpath, filename)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        m = re.match(r'\s*#\s*include\s*"([^"]+)"', line)
                        if not m:
                            continue
                        here = os.path.normpath(os.path.join(dirpath, m.group(1)))
                        target = here if os.path.isfile(here) else os.path.join(repo, m.group(1))
                        if os.path.isfile(target):
                            rel = os.path.relpath(target, repo)
                            required.setdefault(rel, f"{os.path.relpath(path, repo)}:{number}: #include \"{m.group(1)}\"")

    uncovered, hidden = [], 0  # a path under an uncovered directory is not reported again
    for rel, why in sorted(required.items()):
        if any(rel.startswith(u + "/") for u in uncovered):
            hidden += 1
            continue
        if rel.startswith(".."):
            fail("sources", f"{rel} ({why}) is outside the repository, so outside the build context")
            continue
        if not os.path.exists(os.path.join(repo, rel)):
            note(f"sources: {rel} ({why}) does not exist in the repository; not checked")
            continue
        if ignored(patterns, rel):
            uncovered.append(rel)
            fail("sources", f"{rel} ({why}) is excluded by `{ignored(patterns, rel)}` in {os.path.basename(ignore_file)}")
        elif not covered(rel):
            uncovered.append(rel)
            fail("sources", f"{rel} ({why}) is not copied to {posixpath.join(source_root, rel)} before `cmake -S` (line {ins.line})")
    if hidden:
        note(f"sources: {hidden} more required paths under the uncovered ones above")
    checked.append(f"sources: {len(required)} paths CMake and the sources read are copied under {source_root} "
                   f"(add_subdirectory: {', '.join(walk.subdirectories)}; -D {' '.join(f'{k}={v}' for k, v in sorted(defines.items()))})")

    # ---- 3. configure --------------------------------------------------------------------
    # The static walk above can miss what CMake reads in ways it does not model; CMake itself
    # cannot. Lay out exactly what the build stage copies (minus ignored files) and run its
    # configure command there. --build also compiles peergate (minutes; not run by ctest).
    configure_like_the_image(repo, patterns, copies, source_root, words, ins.line, args.build, checked)

    # Where the build leaves peergate, and what the runtime stage copies.
    if walk.peergate_output is None:
        fail("image", "no add_executable(peergate) found in the configured CMake files")
        return report(checked)
    built = posixpath.join(binary_dir, "peergate") if walk.peergate_in_binary_dir else posixpath.join(binary_dir, walk.peergate_output, "peergate")
    built = posixpath.normpath(built)
    if build_cmd is None:
        fail("image", "the build stage has no `cmake --build` command")
    else:
        bwords = build_cmd[2]
        targets = [bwords[i + 1] for i, w in enumerate(bwords) if w in ("--target", "-t") and i + 1 < len(bwords)]
        if targets and "peergate" not in targets and "all" not in targets:
            fail("image", f"line {build_cmd[0].line}: `cmake --build` builds {targets}, not peergate")
        build_dir = bwords[bwords.index("--build") + 1] if bwords.index("--build") + 1 < len(bwords) else ""
        if resolve(build_cmd[1], build_dir) != binary_dir:
            fail("image", f"line {build_cmd[0].line}: `cmake --build {build_dir}`, but the configure used -B {binary_dir}")
    for ins, workdir, files in strips:
        for file in files:
            if resolve(workdir, file) != built:
                fail("image", f"line {ins.line}: strip {file}: the build leaves peergate at {built}")
    if not strips:
        note("the build stage does not strip peergate: the image carries its symbol table")
    installed_at = None
    for ins, workdir in walk_stage(runtime):
        if ins.keyword != "COPY":
            continue
        flags, paths = split_flags(ins.args)
        if flags.get("from") not in (build.name, str(build.index)) or len(paths) < 2:
            continue
        if resolve("/", paths[0]) != built:
            fail("image", f"line {ins.line}: COPY --from={flags['from']} {paths[0]}: the build leaves peergate at {built}")
            continue
        dest = resolve(workdir, paths[-1])
        installed_at = posixpath.join(dest, "peergate") if paths[-1].endswith("/") else dest
    if installed_at is None:
        fail("image", f"the runtime stage does not COPY --from={build.name} {built}")

    # ---- 4. image -------------------------------------------------------------------------
    def image_parts(image):
        m = re.match(r"^(?:(?:docker\.io/)?library/|docker\.io/)?debian:([^@]+)(?:@sha256:[0-9a-f]{64})?$", image)
        return m.group(1) if m else None

    if image_parts(build.image) != "12":
        fail("image", f"line {build.line}: the build stage is FROM {build.image}, expected debian:12")
    tag = image_parts(runtime.image)
    if tag is None or not re.match(r"^12(?:\.\d+)*(?:-[a-z0-9.]+)?$", tag):
        fail("image", f"line {runtime.line}: the runtime stage is FROM {runtime.image}, expected a debian:12 variant (debian:12-slim)")
    checked.append(f"image: FROM {build.image} AS {build.name}, FROM {runtime.image}")

    users = [ins for ins in runtime.instructions if ins.keyword == "USER"]
    if not users:
        fail("image", "the runtime stage sets no USER: the container runs as root")
    else:
        user = users[-1].args.strip()
        uid, _, gid = user.partition(":")
        if not uid.isdigit():
            fail("image", f"line {users[-1].line}: USER {user}: not numeric, so runAsNonRoot cannot verify it")
        elif int(uid) == 0:
            fail("image", f"line {users[-1].line}: USER {user} is root")
        elif gid and not gid.isdigit():
            fail("image", f"line {users[-1].line}: USER {user}: the group is not numeric")
        else:
            checked.append(f"image: USER {user}")

    entrypoints = [ins for ins in runtime.instructions if ins.keyword == "ENTRYPOINT"]
    entrypoint = exec_form(entrypoints[-1].args) if entrypoints else None
    if not entrypoints:
        fail("image", "the runtime stage has no ENTRYPOINT")
    elif not entrypoint:
        fail("image", f"line {entrypoints[-1].line}: ENTRYPOINT is not in exec form: /bin/sh would be PID 1 and SIGTERM would not reach peergate")
    elif installed_at and entrypoint[0] != installed_at:
        fail("image", f"line {entrypoints[-1].line}: ENTRYPOINT runs {entrypoint[0]}, the binary is copied to {installed_at}")
    else:
        checked.append(f"image: ENTRYPOINT {entrypoint} = the COPY destination of {built}")

    makefile = os.path.join(repo, "Makefile")
    with open(makefile, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    m = re.search(r"^PACKAGES\s*[:?]?=(.*)$", text, re.MULTILINE)
    if not m:
        fail("image", "no PACKAGES := ... in the Makefile")
    else:
        make_packages = m.group(1).split()
        needed = [p for p in make_packages if p not in TEST_ONLY_PACKAGES and not p.startswith(TEST_ONLY_PREFIXES)]
        build_installs = apt_installs(build)
        build_packages = {p for _, pkgs, _ in build_installs for p in pkgs}
        missing = [p for p in needed if p not in build_packages]
        if missing:
            fail("image", f"the build stage does not install {' '.join(missing)} (Makefile PACKAGES)")
        test_only = sorted(p for p in build_packages if p in TEST_ONLY_PACKAGES or p.startswith(TEST_ONLY_PREFIXES))
        if test_only:
            fail("image", f"the build stage installs test-only packages: {' '.join(test_only)}")
        checked.append(f"image: build stage installs the Makefile's build packages: {' '.join(needed)}")

    for stage in (build, runtime):
        for ins, pkgs, words in apt_installs(stage):
            if "--no-install-recommends" not in words:
                fail("image", f"line {ins.line}: apt-get install without --no-install-recommends")
            if not re.search(r"rm\s+-[a-z]*r[a-z]*f?[a-z]*\s+/var/lib/apt/lists", ins.args):
                fail("image", f"line {ins.line}: the RUN that installs packages does not remove /var/lib/apt/lists")

    with open(os.path.join(repo, "CMakeLists.txt"), encoding="utf-8") as f:
        version = re.search(r"project\s*\([^)]*VERSION\s+([0-9][0-9.]*)", f.read())
    labels = {}
    for ins in runtime.instructions:
        if ins.keyword == "LABEL":
            for word in shlex.split(ins.args):
                key, _, value = word.partition("=")
                labels[key] = value
    if version and labels.get("org.opencontainers.image.version") != version.group(1):
        fail("image", f"label org.opencontainers.image.version is {labels.get('org.opencontainers.image.version')!r}, "
                      f"CMakeLists.txt says {version.group(1)}")
    elif version:
        checked.append(f"image: org.opencontainers.image.version = {version.group(1)} (project VERSION)")

    # ---- 3. runtime and the binary ---------------------------------------------------------
    # Whether BINARY is the build the image makes, as far as what it links goes.
    cache = os.path.join(os.path.dirname(os.path.abspath(args.binary)), "CMakeCache.txt")
    mismatched = []
    if os.path.exists(cache):
        with open(cache, encoding="utf-8", errors="replace") as f:
            cached = dict(re.findall(r"^([A-Za-z0-9_]+):[A-Z]+=(.*)$", f.read(), re.MULTILINE))
        for name, default in sorted(walk.options.items()):
            image_value = truth(defines.get(name, default))
            if name in cached and name not in OPTIONS_NOT_AFFECTING_BINARY and truth(cached[name]) != image_value:
                mismatched.append(f"{name}={cached[name]} (the image: {'ON' if image_value else 'OFF'})")
    else:
        note(f"no CMakeCache.txt next to {args.binary}: assuming it is configured like the image")

    if mismatched:
        note(f"binary checks skipped: {args.binary} is configured with {', '.join(mismatched)}")
    else:
        check_binary(args.binary, runtime, checked)

    code = report(checked)
    if code == 0 and mismatched:
        print("SKIPPED the checks against the binary (see above)")
        return 77
    return code


def configure_like_the_image(repo, patterns, copies, source_root, words, line, build, checked):
    cmake = shutil.which("cmake")
    if cmake is None:
        note("configure: cmake is not installed; the copied tree was not configured")
        return
    with tempfile.TemporaryDirectory(prefix="peergate-containerfile-") as tmp:
        src_root = os.path.join(tmp, "src")
        os.makedirs(src_root)
        for rel, is_dir, dest in copies:
            if not (dest == source_root or dest.startswith(source_root.rstrip("/") + "/")):
                continue
            target = os.path.join(src_root, posixpath.relpath(dest, source_root))
            full = os.path.join(repo, rel)
            if not is_dir:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(full, target)
                continue
            for dirpath, dirnames, filenames in os.walk(full):
                dirnames[:] = [d for d in dirnames if not ignored(patterns, os.path.relpath(os.path.join(dirpath, d), repo))]
                for filename in filenames:
                    path = os.path.join(dirpath, filename)
                    if ignored(patterns, os.path.relpath(path, repo)):
                        continue
                    out = os.path.join(target, os.path.relpath(path, full))
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    shutil.copy2(path, out)
        build_dir = os.path.join(tmp, "build")
        rest, skip = [], False
        for w in words[1:]:
            if skip:
                skip = False
                continue
            if w in ("-S", "-B"):
                skip = True
                continue
            if w.startswith(("-S", "-B")):
                continue
            rest.append(w)
        command = [cmake, "-S", src_root, "-B", build_dir] + rest
        r = subprocess.run(command, capture_output=True, text=True)
        if r.returncode != 0:
            tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-15:])
            fail("configure", f"line {line}: `{' '.join(words)}` fails on the copied files only:\n{tail}")
            return
        what = "configures"
        if build:
            r = subprocess.run([cmake, "--build", build_dir, "--target", "peergate"], capture_output=True, text=True)
            if r.returncode != 0:
                tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-15:])
                fail("configure", f"`cmake --build --target peergate` fails on the copied files only:\n{tail}")
                return
            what = "configures and builds peergate"
        checked.append(f"configure: the files the build stage copies, alone, {what} (`{' '.join(['cmake'] + rest)}`)")


def owning_packages(path):
    """Debian packages that ship `path` (trying the /usr-merged and resolved spellings)."""
    candidates = []
    real_dir = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    for p in (path, real_dir, os.path.realpath(path)):
        candidates += [p, p[4:] if p.startswith("/usr/") else "/usr" + p]
    seen = set()
    for candidate in candidates:
        if candidate in seen:
            continue
        seen.add(candidate)
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        packages = set()
        for line in result.stdout.splitlines():
            if line.startswith("diversion by"):
                continue
            owners, _, owned = line.rpartition(": ")
            if owned == candidate:
                packages |= {o.strip().split(":")[0] for o in owners.split(",")}
        if packages:
            return packages, candidate
    return set(), None


def check_binary(binary, runtime, checked):
    if not os.access(binary, os.X_OK):
        fail("runtime", f"{binary} is not an executable file")
        return
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if ldd.returncode != 0:
        fail("runtime", f"ldd {binary} failed: {ldd.stderr.strip() or ldd.stdout.strip()}")
        return
    libraries = []
    for line in ldd.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            fail("runtime", f"ldd {binary}: {line}")
            continue
        m = re.match(r"^(\S+)\s+=>\s+(/\S+)", line) or re.match(r"^(/\S+)\s+\(", line)
        if m:
            libraries.append((m.group(1), m.group(m.lastindex)))
    needed = {}  # package -> [sonames]
    for soname, path in libraries:
        packages, _ = owning_packages(path)
        if not packages:
            fail("runtime", f"{soname} ({path}): no Debian package owns it (dpkg -S), so apt cannot install it")
            continue
        for p in packages:
            needed.setdefault(p, []).append(soname)
    runtime_installs = apt_installs(runtime)
    installed = {p for _, pkgs, _ in runtime_installs for p in pkgs}
    for package, sonames in sorted(needed.items()):
        if package in installed or package in BASE_IMAGE_PACKAGES:
            continue
        fail("runtime", f"{', '.join(sonames)} comes from {package}, which the runtime stage does not install")
    for package in sorted(installed - set(needed) - ALLOWED_EXTRA_RUNTIME_PACKAGES):
        fail("runtime", f"the runtime stage installs {package}, which no library of {binary} needs")
    mapping = "; ".join(f"{p}: {' '.join(s)}" for p, s in sorted(needed.items()))
    checked.append(f"runtime: ldd {binary} -> {mapping}")
    checked.append(f"runtime: installed {' '.join(sorted(installed))}; from the base image: "
                   f"{' '.join(sorted(set(needed) & BASE_IMAGE_PACKAGES - installed))}")

    # CMD: a subcommand of this binary; EXPOSE: serve's default --listen port.
    cmds = [ins for ins in runtime.instructions if ins.keyword == "CMD"]
    cmd = exec_form(cmds[-1].args) if cmds else None
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    section = help_text.split("Subcommands:", 1)[1] if "Subcommands:" in help_text else ""
    subcommands = re.findall(r"^\s+([a-z][a-z0-9-]*)\s", section, re.MULTILINE)
    if not cmds:
        fail("image", "the runtime stage has no CMD (peergate without a subcommand only prints its usage)")
    elif not cmd:
        fail("image", f"line {cmds[-1].line}: CMD is not in exec form, so it is not passed to the ENTRYPOINT as arguments")
    elif cmd[0] not in subcommands:
        fail("image", f"line {cmds[-1].line}: CMD {cmd}: {cmd[0]} is not a subcommand of {binary} ({' '.join(subcommands)})")
    else:
        checked.append(f"image: CMD {cmd}: a subcommand of the binary")
        if cmd[0] == "serve":
            serve_help = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stdout
            m = re.search(r"--listen\s+\S*?=\S*:(\d+)\b", serve_help)
            exposed = {p.split("/")[0] for ins in runtime.instructions if ins.keyword == "EXPOSE" for p in ins.args.split()}
            if not m:
                fail("image", f"cannot read serve's default --listen port from `{binary} serve --help`")
            elif m.group(1) not in exposed:
                fail("image", f"EXPOSE {' '.join(sorted(exposed)) or '(none)'}: serve listens on {m.group(1)} by default")
            else:
                checked.append(f"image: EXPOSE {m.group(1)} = serve's default --listen port")


def report(checked):
    for line in checked:
        print(f"ok   {line}")
    for line in notes:
        print(f"note {line}")
    for line in failures:
        print(line)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print(f"all {len(checked)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
