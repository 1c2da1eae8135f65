#!/usr/bin/python3
"""Checks the examples in README.md and docs/*.md (every file found, so new pages are covered).

Run: check_doc_examples.py --repo REPO --peergate BINARY [--docs-dir DIR] [-v]
Debian's python3 and python3-yaml only. Prints `ok FILE:LINE what` or `FAIL FILE:LINE: reason` per
checked fenced block, a summary, and exits 1 on any failure.

What is checked without a marker:
  ```yaml  PeerPodPolicy / PeerPodMutation / PeerPodPolicyException documents: `peergate check
           --now 2026-12-01T00:00:00Z` exits 0 with no diagnostic.
           PeerPodPolicyTest documents: `peergate test --now ...` exits 0 (a file with both gets both). A
           suite without a file name (see `file`) is placed in samples/tests/, where suites live,
           so its relative paths resolve as there. A `# yaml-language-server: $schema=PATH` first
           line must point at an existing file from where the block is placed.
           Other Kubernetes objects (apiVersion + kind): parse as YAML; Pods and workloads are
           also run through `peergate review`, which must not reject them as bad input (exit 2).
           Any other yaml block: parses as YAML.
  ```json  parses as JSON or JSON lines; an AdmissionReview request is run through
           `peergate review` (exit 0 or 1), a response needs `uid` and `allowed`.
  Other blocks (text, sh, console, ...) are checked only when marked.

Markers: HTML comment lines directly above the opening fence (several lines may be stacked):
  <!-- doc-test: skip -->                 not checked (a fragment that cannot stand alone; use sparingly)
  <!-- doc-test: expect-error CODE... --> a policy meant to be broken: `peergate check` exits 1 and
                                          prints every `[CODE]` (codes: policy-reference.md section 9)
  <!-- doc-test: expect-warning CODE... --> `peergate check` exits 0 and prints every `[CODE]`
  <!-- doc-test: file PATH -->            the block is the file PATH (relative to the repository root);
                                          without the marker, "saved as `PATH`" / "Save this as `PATH`"
                                          in the paragraph just above the block names it. The block is
                                          written there in the page's scratch root (below) and checked
                                          from that folder. If PATH exists in the repository, the block
                                          must equal it.
  <!-- doc-test: run -->                  a sh/console/text block of commands, run with the real binary
                                          in a scratch copy of the repository root (symlinks to the
                                          repository, plus the files the same page named earlier).
                                          With `$ ` prompts it is a transcript: every command must be
                                          `peergate ...`, `build/peergate ...` or `echo $?`, and the
                                          lines under a command are its expected output (stdout and
                                          stderr). Without prompts, the lines starting with `peergate `
                                          or `build/peergate ` are run, other lines (kubectl ...) are not.
                                          A command must exit 0 or 1, unless `$ echo $?` shows its status.
  <!-- doc-test: output -->               this block is the expected output of the block just above it:
                                          a run block without prompts, or a yaml block (the output of
                                          `peergate check NAME`, or of `peergate test NAME` for a suite).
  <!-- doc-test: excerpt PATH -->         the block occurs in the repository file PATH (as text, or
                                          inside a JSON string of it); a json block may instead be JSON
                                          values found in PATH (a base64 `patch` counts as its JSON Patch).
In expected output and excerpts, a line `...` stands for any number of lines, and `...` inside a line
(with the spaces around it) for any text. Nothing is written into the repository: the scratch roots
are in one temporary folder, removed at the end.
"""

import argparse
import base64
import difflib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

POLICY_KINDS = {"PeerPodPolicy", "PeerPodMutation", "PeerPodPolicyException"}
# The time `peergate check` and `peergate test` judge exceptions at: fixed, so that an example's
# expires never depends on the day the check runs.
DOC_NOW = "2026-12-01T00:00:00Z"
TEST_KIND = "PeerPodPolicyTest"
API_VERSION = "peergate.dev/v1alpha1"
REVIEWABLE_KINDS = {"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"}
RUN_LANGS = {"sh", "shell", "bash", "console", "text", ""}
MARKER_RE = re.compile(r"^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
FENCE_RE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)")
SAVED_AS_RE = re.compile(r"\b[Ss]aved? (?:this |it )?as `([^`]+)`")
COMMAND_TIMEOUT = 15


class Block:
    def __init__(self, doc, line, lang, lines, markers, prose):
        self.doc = doc          # label of the page, e.g. docs/cli.md
        self.line = line        # line of the opening fence, from 1
        self.lang = lang
        self.lines = lines
        self.markers = markers  # list of (line, directive words)
        self.prose = prose      # the paragraph just above the block (markers excluded)

    @property
    def text(self):
        return "".join(l + "\n" for l in self.lines)

    def where(self):
        return f"{self.doc}:{self.line}"

    def marker(self, word):
        for _, words in self.markers:
            if words and words[0] == word:
                return words[1:]
        return None


def parse_markdown(label, text):
    """Fenced blocks, their markers and the prose above them; marker errors as (line, reason)."""
    blocks, errors = [], []
    lines = text.split("\n")
    pending, prose, paragraph_ended = [], [], False
    i = 0
    while i < len(lines):
        line = lines[i]
        m = FENCE_RE.match(line)
        if m:
            fence, lang = m.group(2), m.group(3).lower()
            body, j = [], i + 1
            while j < len(lines):
                close = re.match(r"^ {0,3}(`{3,}|~{3,})\s*$", lines[j])
                if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
                    break
                body.append(lines[j])
                j += 1
            blocks.append(Block(label, i + 1, lang, body, pending, " ".join(prose)))
            pending, prose, paragraph_ended = [], [], False
            i = j + 1
            continue
        mm = MARKER_RE.match(line)
        if mm:
            pending.append((i + 1, mm.group(1).split()))
        else:
            if pending:
                errors.append((pending[0][0], "doc-test marker not directly above a fenced block"))
                pending = []
            if not line.strip():
                paragraph_ended = True
            elif paragraph_ended:
                prose, paragraph_ended = [line.strip()], False
            else:
                prose.append(line.strip())
        i += 1
    if pending:
        errors.append((pending[0][0], "doc-test marker not directly above a fenced block"))
    return blocks, errors


def normalise(text):
    lines = [l.rstrip() for l in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def inline_pattern(line, anything):
    """A line with `...` elisions as a regex; spaces around an elision are part of it."""
    return anything.join(re.escape(part) for part in re.split(r"\s*\.\.\.\s*", line))


def line_matches(expected, actual):
    if "..." not in expected:
        return expected == actual
    return re.fullmatch(inline_pattern(expected, ".*"), actual) is not None


def output_matches(expected_lines, actual_lines):
    exp, act = tuple(expected_lines), tuple(actual_lines)

    @functools.lru_cache(maxsize=None)
    def match(i, j):
        if i == len(exp):
            return j == len(act)
        if exp[i].strip() == "...":
            return match(i + 1, j) or (j < len(act) and match(i, j + 1))
        return j < len(act) and line_matches(exp[i], act[j]) and match(i + 1, j + 1)

    return match(0, 0)


def excerpt_regex(lines):
    parts = []
    for l in lines:
        if l.strip() == "...":
            parts.append(None)
        else:
            parts.append(inline_pattern(l, "[^\n]*"))
    out = ""
    for k, p in enumerate(parts):
        if p is None:
            out += r"(?:[^\n]*\n)*?"
        else:
            out += p + ("\n" if k + 1 < len(parts) else "")
    return re.compile(out)


def json_values(text):
    """The JSON values of a text: one document or JSON lines; raises ValueError."""
    try:
        return [json.loads(text)]
    except ValueError:
        pass
    values = []
    for n, l in enumerate(text.split("\n"), 1):
        if l.strip():
            try:
                values.append(json.loads(l))
            except ValueError as e:
                raise ValueError(f"line {n}: {e}") from None
    if not values:
        raise ValueError("empty")
    return values


def json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from json_strings(v)


def decoded_patch(value):
    """The JSON Patch of an AdmissionReview response's base64 `patch`, else None."""
    try:
        return json.loads(base64.b64decode(value, validate=True))
    except (ValueError, TypeError):
        return None


def contains_values(haystack, want):
    """Whether want (a list of JSON values) is a value inside haystack (len 1) or a run of a list."""
    if len(want) == 1 and haystack == want[0]:
        return True
    if isinstance(haystack, list):
        n = len(want)
        if any(haystack[k:k + n] == want for k in range(len(haystack) - n + 1)):
            return True
        return any(contains_values(v, want) for v in haystack)
    if isinstance(haystack, dict):
        for key, v in haystack.items():
            if key == "patch" and isinstance(v, str):
                patch = decoded_patch(v)
                if patch is not None and contains_values(patch, want):
                    return True
            if contains_values(v, want):
                return True
    return False


def short_diff(expected, actual):
    diff = list(difflib.unified_diff(expected, actual, "expected (docs; `...` is a wildcard)", "actual", n=1,
                                     lineterm=""))
    if len(diff) > 24:
        diff = diff[:24] + [f"... ({len(diff) - 24} more diff lines)"]
    return "\n".join("      " + d for d in diff)


class Checker:
    def __init__(self, repo, peergate, docs_dir, tmp, verbose):
        self.repo = os.path.abspath(repo)
        self.peergate = os.path.abspath(peergate)
        self.docs_dir = os.path.abspath(docs_dir)
        self.tmp = tmp
        self.verbose = verbose
        self.counts = {}
        self.failed = 0
        self.skipped = 0
        self.unchecked = 0
        self.bindir = os.path.join(tmp, "bin")
        os.makedirs(self.bindir)
        os.symlink(self.peergate, os.path.join(self.bindir, "peergate"))
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("TARGET_RUNTIMECLASS", "POD_VM_EXTENDED_RESOURCE", "NO_COLOR")}
        self.env.update(PATH=self.bindir + os.pathsep + "/usr/bin:/bin", TZ="UTC", LC_ALL="C.UTF-8",
                        NO_COLOR="1")
        self.unnamed = self.make_root("unnamed")

    # --- scratch copies of the repository root --------------------------------------------------
    def make_root(self, name):
        root = os.path.join(self.tmp, name)
        os.makedirs(root)
        for entry in os.listdir(self.repo):
            if entry != "build":
                os.symlink(os.path.join(self.repo, entry), os.path.join(root, entry))
        os.makedirs(os.path.join(root, "build"))
        os.symlink(self.peergate, os.path.join(root, "build", "peergate"))
        return root

    def place(self, root, relpath, text):
        """Writes text at root/relpath; the folders on the way become real (their entries links)."""
        parts = relpath.split("/")
        cur, src = root, self.repo
        for part in parts[:-1]:
            cur, src = os.path.join(cur, part), os.path.join(src, part)
            if os.path.islink(cur):
                os.unlink(cur)
                os.makedirs(cur)
                if os.path.isdir(src):
                    for entry in os.listdir(src):
                        os.symlink(os.path.join(src, entry), os.path.join(cur, entry))
            elif not os.path.isdir(cur):
                os.makedirs(cur)
        target = os.path.join(cur, parts[-1])
        if os.path.lexists(target):
            os.unlink(target)
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
        return target

    # --- running ----------------------------------------------------------------------------------
    def run(self, command, cwd, shell=True):
        if self.verbose:
            print(f"    $ {command}   (in {cwd})")
        argv = ["/bin/bash", "-c", command] if shell else command
        try:
            p = subprocess.run(argv, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            return 124, f"(timed out after {COMMAND_TIMEOUT} s)"
        return p.returncode, p.stdout.decode("utf-8", "replace")

    # --- reporting --------------------------------------------------------------------------------
    def ok(self, block, what, kind):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        print(f"ok {block.where()} {what}")

    def fail(self, block, reason, detail=None):
        self.failed += 1
        print(f"FAIL {block.where()}: {reason}")
        if detail:
            print(detail)

    # --- one page ---------------------------------------------------------------------------------
    def check_page(self, label, path):
        with open(path, encoding="utf-8") as f:
            blocks, errors = parse_markdown(label, f.read())
        for line, reason in errors:
            self.failed += 1
            print(f"FAIL {label}:{line}: {reason}")
        self.root = self.make_root("page-" + re.sub(r"[^A-Za-z0-9]+", "-", label))
        previous = None  # (block, how to produce its output) for an `output` marker
        for block in blocks:
            previous = self.check_block(block, previous)

    def check_block(self, block, previous):
        known = {"skip", "expect-error", "expect-warning", "file", "run", "output", "excerpt"}
        for line, words in block.markers:
            if not words or words[0] not in known:
                self.fail(block, f"unknown doc-test marker on line {line}: {' '.join(words) or '(empty)'}")
                return None
            if words[0] in ("file", "excerpt") and len(words) != 2:
                self.fail(block, f"`{words[0]}` needs exactly one path")
                return None
            if words[0] in ("expect-error", "expect-warning") and len(words) < 2:
                self.fail(block, f"`{words[0]}` needs at least one diagnostic code")
                return None
        if block.marker("skip") is not None:
            self.skipped += 1
            print(f"skip {block.where()} {block.lang or 'block'} (marked skip)")
            return None
        if block.marker("output") is not None:
            if previous == "failed":
                self.fail(block, "not compared: the block above it failed")
            elif previous is None:
                self.fail(block, "`output` marker, but the block above produces no output to compare")
            else:
                self.check_output(block, *previous)
            return None
        if block.marker("excerpt") is not None:
            self.check_excerpt(block, block.marker("excerpt")[0])
            return None
        if block.marker("run") is not None or block.lang in ("yaml", "yml"):
            failed_before = self.failed
            result = self.check_run(block) if block.marker("run") is not None else self.check_yaml(block)
            return "failed" if self.failed > failed_before else result
        if block.lang == "json":
            self.check_json(block)
            return None
        if block.marker("file") is not None or block.marker("expect-error") is not None:
            self.fail(block, f"`file`/`expect-error` markers apply to yaml blocks, not {block.lang or 'plain'} ones")
            return None
        self.unchecked += 1
        if self.verbose:
            print(f"    (not checked: {block.where()} {block.lang or 'plain'} block without a marker)")
        return None

    # --- yaml -------------------------------------------------------------------------------------
    def file_name(self, block):
        marked = block.marker("file")
        if marked is not None:
            return marked[0]
        m = SAVED_AS_RE.search(block.prose)
        return m.group(1) if m else None

    def check_yaml(self, block):
        expect_error = block.marker("expect-error")
        expect_warning = block.marker("expect-warning")
        name = self.file_name(block)
        if name is not None and (name.startswith("/") or ".." in name.split("/")):
            self.fail(block, f"file name {name!r} must be relative to the repository root, without '..'")
            return None
        if name is not None:
            in_repo = os.path.join(self.repo, name)
            if os.path.isfile(in_repo):
                with open(in_repo, encoding="utf-8") as f:
                    want = normalise(f.read())
                if normalise(block.text) != want:
                    self.fail(block, f"the block differs from {name} in the repository",
                              short_diff(normalise(block.text), want))
                    return None
        try:
            docs = [d for d in yaml.safe_load_all(block.text) if d is not None]
        except yaml.YAMLError as e:
            if expect_error is None:
                self.fail(block, "not valid YAML: " + " ".join(str(e).split()))
                return None
            docs = []
        maps = [d for d in docs if isinstance(d, dict)]
        kinds = [d.get("kind") for d in maps]
        is_peergate = (expect_error is not None or expect_warning is not None
                       or any(d.get("apiVersion", "").startswith("peergate.dev/") for d in maps
                              if isinstance(d.get("apiVersion"), str))
                       or any(k in POLICY_KINDS or k == TEST_KIND for k in kinds))
        if not is_peergate:
            k8s = [d for d in maps if "apiVersion" in d and "kind" in d]
            if not k8s:
                self.ok(block, "yaml (parses)", "yaml fragment")
                return None
            reviewable = [d for d in k8s if d["kind"] in REVIEWABLE_KINDS]
            what = ", ".join(sorted({str(d["kind"]) for d in k8s}))
            if reviewable:
                rel = name or f"doc-{self.slug(block)}.yaml"
                target = self.place(self.root if name else self.unnamed, rel, block.text)
                rc, out = self.run(["peergate", "review", "-o", "text", os.path.basename(target)],
                                   os.path.dirname(target), shell=False)
                if rc not in (0, 1):
                    self.fail(block, f"`peergate review` cannot evaluate these objects (exit {rc})",
                              "\n".join("      " + l for l in normalise(out)[:10]))
                    return None
                self.ok(block, f"kubernetes yaml ({what}; parsed, peergate review exit {rc})", "kubernetes yaml")
            else:
                self.ok(block, f"kubernetes yaml ({what}; parsed)", "kubernetes yaml")
            return None

        for d in maps:
            if d.get("apiVersion") != API_VERSION and (d.get("kind") in POLICY_KINDS or d.get("kind") == TEST_KIND):
                if expect_error is None:
                    self.fail(block, f"{d.get('kind')} with apiVersion {d.get('apiVersion')!r}, expected {API_VERSION}")
                    return None
        has_policy = expect_error is not None or any(k in POLICY_KINDS for k in kinds)
        has_test = TEST_KIND in kinds
        if has_test and expect_error is not None:
            self.fail(block, "expect-error applies to policies, not to test suites")
            return None

        # Where the block is written: its file name in this page's scratch root (later run blocks
        # of the page see it), or a name of its own in a shared scratch root; test suites without a
        # name go to samples/tests/, where suites live, so that their relative paths resolve as there.
        if name:
            target = self.place(self.root, name, block.text)
        elif has_test:
            target = self.place(self.unnamed, f"samples/tests/doc-{self.slug(block)}.yaml", block.text)
        else:
            target = self.place(self.unnamed, f"doc-{self.slug(block)}.yaml", block.text)
        cwd, base = os.path.dirname(target), os.path.basename(target)

        what = []
        # An editor's schema comment must point at the schema from where the file is said to be.
        schema = re.match(r"#\s*yaml-language-server:\s*\$schema=(\S+)", block.text)
        if schema and (name or has_test) and "://" not in schema.group(1):
            if not os.path.isfile(os.path.join(cwd, schema.group(1))):
                self.fail(block, f"$schema={schema.group(1)} does not exist relative to "
                                 f"{name or 'samples/tests/'}")
                return None
            what.append("$schema found")
        produced = None
        if has_policy:
            rc, out = self.run(["peergate", "check", "--now", DOC_NOW, base], cwd, shell=False)
            codes = set(re.findall(r"\[([a-z0-9-]+)\]$", out, re.M))
            produced = (rc, out)
            listing = "\n".join("      " + l for l in normalise(out)[:20])
            if expect_error is not None:
                missing = [c for c in expect_error if c not in codes]
                if rc != 1 or missing:
                    self.fail(block, f"expected `peergate check` to fail (exit 1) with {', '.join(expect_error)}; "
                                     f"got exit {rc}" + (f", missing {', '.join(missing)}" if missing else ""), listing)
                    return None
                what.append(f"policy, check fails as expected ({', '.join(expect_error)})")
            elif expect_warning is not None:
                missing = [c for c in expect_warning if c not in codes]
                if rc != 0 or missing:
                    self.fail(block, f"expected `peergate check` to pass with warnings {', '.join(expect_warning)}; "
                                     f"got exit {rc}" + (f", missing {', '.join(missing)}" if missing else ""), listing)
                    return None
                what.append(f"policy, check passes with the expected warnings ({', '.join(expect_warning)})")
            else:
                if rc != 0 or codes:
                    self.fail(block, f"`peergate check` reports problems (exit {rc})", listing)
                    return None
                what.append("policy, check passes")
        if has_test:
            rc, out = self.run(["peergate", "test", "--now", DOC_NOW, base], cwd, shell=False)
            if not has_policy:
                produced = (rc, out)
            if rc != 0:
                self.fail(block, f"`peergate test` fails (exit {rc})",
                          "\n".join("      " + l for l in normalise(out)[:20]))
                return None
            summary = normalise(out)[-1] if normalise(out) else ""
            what.append(f"test suite ({summary})")
        if name:
            what.append(f"as {name}")
        kind = ("policy + test suite" if has_policy and has_test else "test suite" if has_test
                else "policy (expected errors)" if expect_error is not None else "policy")
        self.ok(block, "; ".join(what), kind)
        return (block, produced)

    def slug(self, block):
        return re.sub(r"[^A-Za-z0-9]+", "-", block.doc).strip("-") + f"-L{block.line}"

    # --- json -------------------------------------------------------------------------------------
    def check_json(self, block):
        try:
            values = json_values(block.text)
        except ValueError as e:
            self.fail(block, f"not valid JSON or JSON lines: {e}")
            return
        reviewed = 0
        for n, v in enumerate(values):
            if not (isinstance(v, dict) and v.get("kind") == "AdmissionReview"):
                continue
            if "request" in v:
                target = self.place(self.unnamed, f"doc-{self.slug(block)}-{n}.json", json.dumps(v))
                rc, out = self.run(["peergate", "review", os.path.basename(target)], os.path.dirname(target),
                                   shell=False)
                if rc not in (0, 1):
                    self.fail(block, f"`peergate review` does not accept the AdmissionReview (exit {rc})",
                              "\n".join("      " + l for l in normalise(out)[:10]))
                    return
                reviewed += 1
            resp = v.get("response")
            if resp is not None and not (isinstance(resp, dict) and isinstance(resp.get("uid"), str)
                                         and isinstance(resp.get("allowed"), bool)):
                self.fail(block, "an AdmissionReview response needs a string uid and a boolean allowed")
                return
        extra = f", {reviewed} AdmissionReview(s) reviewed" if reviewed else ""
        self.ok(block, f"json ({len(values)} value{'s' if len(values) != 1 else ''} parsed{extra})", "json")

    # --- excerpts ---------------------------------------------------------------------------------
    def check_excerpt(self, block, relpath):
        path = os.path.join(self.repo, relpath)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            self.fail(block, f"excerpt of {relpath}: {e.strerror}")
            return
        try:
            file_values = json_values(text)
        except ValueError:
            file_values = []
        if block.lang == "json":
            # JSON is compared as values: the block's values (one, or a run of them, e.g. JSON lines)
            # must be a value of the file or a contiguous part of one of its lists. A response's
            # base64 `patch` counts as the JSON Patch it encodes. Failing that, as text (below).
            try:
                want = json_values(block.text)
            except ValueError as e:
                self.fail(block, f"not valid JSON or JSON lines: {e}")
                return
            if any(contains_values(v, want) for v in file_values):
                self.ok(block, f"json, {len(want)} value{'s' if len(want) != 1 else ''} found in {relpath}",
                        "excerpt")
                return
        haystacks = [text]
        for v in file_values:
            haystacks.extend(json_strings(v))
        rx = excerpt_regex(normalise(block.text))
        if not any(rx.search(h) for h in haystacks):
            self.fail(block, f"the block does not occur in {relpath}")
            return
        self.ok(block, f"excerpt of {relpath}", "excerpt")

    # --- run blocks -------------------------------------------------------------------------------
    @staticmethod
    def logical_lines(lines):
        out, cur, start = [], "", None
        for n, l in enumerate(lines):
            if start is None:
                start = n
            if l.rstrip().endswith("\\"):
                cur += l.rstrip()[:-1] + " "
                continue
            out.append((start, cur + l))
            cur, start = "", None
        if start is not None:
            out.append((start, cur))
        return out

    @staticmethod
    def is_peergate(command):
        return re.match(r"^(build/)?peergate(\s|$)", command) is not None

    def check_run(self, block):
        if block.lang not in RUN_LANGS:
            self.fail(block, f"`run` marker on a {block.lang} block")
            return None
        if any(l.startswith("$ ") for l in block.lines):
            self.check_transcript(block)
            return None
        commands = [c.strip() for _, c in self.logical_lines(block.lines)]
        commands = [c for c in commands if self.is_peergate(c)]
        if not commands:
            self.fail(block, "`run` block without a `peergate` command")
            return None
        combined = ""
        for c in commands:
            rc, out = self.run(c, self.root)
            if rc not in (0, 1):
                self.fail(block, f"`{c}` exits with {rc}", "\n".join("      " + l for l in normalise(out or "")[:10]))
                return None
            combined += out
        self.ok(block, f"run ({len(commands)} command{'s' if len(commands) != 1 else ''})", "run")
        return (block, (0, combined))

    def check_transcript(self, block):
        steps = []  # [command, expected lines]
        prelude = []
        for _, line in self.logical_lines(block.lines):
            if line.startswith("$ "):
                steps.append([line[2:].strip(), []])
            elif steps:
                steps[-1][1].append(line)
            elif line.strip():
                prelude.append(line)
        if prelude:
            self.fail(block, "transcript: text before the first `$ ` command")
            return
        last_rc = None
        for k, (command, expected) in enumerate(steps):
            if command == "echo $?":
                if last_rc is None:
                    self.fail(block, "transcript: `echo $?` before any command")
                    return
                actual = [str(last_rc)]
            elif self.is_peergate(command):
                rc, out = self.run(command, self.root)
                shows_status = k + 1 < len(steps) and steps[k + 1][0] == "echo $?"
                if rc not in (0, 1) and not shows_status:
                    self.fail(block, f"`{command}` exits with {rc} (show it with `$ echo $?` if intended)",
                              "\n".join("      " + l for l in normalise(out)[:10]))
                    return
                last_rc = rc
                actual = normalise(out)
            else:
                self.fail(block, f"transcript: cannot run `{command}` (only peergate commands and `echo $?`)")
                return
            want = normalise("\n".join(expected))
            if not output_matches(want, actual):
                self.fail(block, f"the output of `{command}` differs", short_diff(want, actual))
                return
        self.ok(block, f"run transcript ({len(steps)} command{'s' if len(steps) != 1 else ''}, output compared)", "run")

    def check_output(self, block, source, produced):
        if produced is None:
            self.fail(block, f"`output` marker, but {source.where()} produced no output")
            return
        _, out = produced
        want, actual = normalise(block.text), normalise(out)
        if not output_matches(want, actual):
            self.fail(block, f"differs from the output of the block at line {source.line}", short_diff(want, actual))
            return
        self.ok(block, f"output of the block at line {source.line}", "output")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", required=True, help="repository root (samples/, policies/, ...)")
    ap.add_argument("--peergate", required=True, help="the peergate binary")
    ap.add_argument("--docs-dir", help="where README.md and docs/*.md are read (default: --repo); "
                                       "for checking a modified copy")
    ap.add_argument("-v", "--verbose", action="store_true", help="print commands and unchecked blocks")
    args = ap.parse_args()
    if not (os.path.isfile(args.peergate) and os.access(args.peergate, os.X_OK)):
        print(f"FAIL {args.peergate}: not an executable file")
        return 1
    docs_dir = args.docs_dir or args.repo
    pages = []
    if os.path.isfile(os.path.join(docs_dir, "README.md")):
        pages.append("README.md")
    if os.path.isdir(os.path.join(docs_dir, "docs")):
        pages += sorted("docs/" + f for f in os.listdir(os.path.join(docs_dir, "docs")) if f.endswith(".md"))
    if not pages:
        print(f"FAIL {docs_dir}: no README.md or docs/*.md found")
        return 1
    tmp = tempfile.mkdtemp(prefix="peergate-doc-examples-")
    try:
        checker = Checker(args.repo, args.peergate, docs_dir, tmp, args.verbose)
        for page in pages:
            checker.check_page(page, os.path.join(docs_dir, page))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    checked = sum(checker.counts.values())
    by_kind = ", ".join(f"{n} {k}" for k, n in sorted(checker.counts.items()))
    print(f"{len(pages)} page{'s' if len(pages) != 1 else ''}: {checked} examples ok ({by_kind}), {checker.failed} failed, "
          f"{checker.skipped} skipped (marked), {checker.unchecked} blocks without a marker not checked")
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
