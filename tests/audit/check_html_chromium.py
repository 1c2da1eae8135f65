#!/usr/bin/python3
"""Loads an HTML audit report in headless Chromium and checks what its script rendered against
the JSON report of the same input: the headline counts, the table, the filters (set through
the URL fragment), and the chart of requested VM sizes per namespace. Exits 77 (ctest
SKIP_RETURN_CODE) when Chromium is not installed (Debian package `chromium`).

Usage: check_html_chromium.py PEERGATE SAMPLES_DIR
"""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

SKIP = 77


class dom_reader(html.parser.HTMLParser):
    """Collects the text of elements with an id, the attributes of <body>, table rows, and the
    namespaces of the VM sizes chart with the bars drawn in each."""

    def __init__(self):
        super().__init__()
        self.ids, self.attrs, self.stack, self.body = {}, {}, [], {}
        self.result_rows = []
        self.in_results = False
        self.in_vm_chart = False
        self.vm_namespaces = []  # [attributes of the <g>, bars in it]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if a.get("id"):
            self.attrs[a["id"]] = a
            self.ids[a["id"]] = ""
        if tag == "table" and a.get("id") == "results":
            self.in_results = True
        if self.in_results and tag == "tr" and "data-result" in a:
            self.result_rows.append(a["data-result"])
        if tag == "svg" and a.get("id") == "chart-vm-sizes":
            self.in_vm_chart = True
        if self.in_vm_chart and tag == "g" and "data-namespace" in a:
            self.vm_namespaces.append([a, 0])
        if self.in_vm_chart and tag == "rect" and a.get("class") == "vm-bar" and self.vm_namespaces:
            self.vm_namespaces[-1][1] += 1
        if tag not in ("br", "meta", "input", "rect", "path", "link"):
            self.stack.append(a.get("id"))

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_results = False
        if tag == "svg":
            self.in_vm_chart = False
        if self.stack and tag not in ("br", "meta", "input", "rect", "path", "link"):
            self.stack.pop()

    def handle_data(self, data):
        for i in self.stack:
            if i:
                self.ids[i] += data


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def dump_dom(browser, url, profile):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=10000",
           "--dump-dom", url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    if proc.returncode != 0 or "<body" not in proc.stdout:
        print(proc.stderr[-3000:])
        raise SystemExit(f"chromium failed ({proc.returncode}) on {url}")
    reader = dom_reader()
    reader.feed(proc.stdout)
    return reader


def expected_results(report, predicate):
    n = 0
    for row in report["objects"]:
        for r in row["results"]:
            if predicate(row, r):
                n += 1
    return n


def main():
    peergate, samples = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    browser = chromium()
    if not browser:
        print("SKIP: chromium is not installed (Debian package: chromium)")
        return SKIP
    failures = []

    def check(what, got, want):
        status = "ok  " if got == want else "FAIL"
        print(f"{status} {what}: {got!r}" + ("" if got == want else f", expected {want!r}"))
        if got != want:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        inputs = ["--policies", f"{samples}/policies", "-f", f"{samples}/cluster.json", "-f", f"{samples}/malformed-list.json"]
        page, data = os.path.join(tmp, "report.html"), os.path.join(tmp, "report.json")
        for fmt, out in (("html", page), ("json", data)):
            proc = subprocess.run([peergate, "audit", *inputs, "--format", fmt, "-o", out], capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"peergate audit --format {fmt} failed ({proc.returncode}): {proc.stderr}")
        report = json.load(open(data))
        summary = report["summary"]
        profile = os.path.join(tmp, "profile")

        dom = dump_dom(browser, "file://" + page, profile)
        check("body data-state (the script ran to the end)", dom.body.get("data-state"), "ready")
        for name in ("fail", "error", "warn", "pass", "skip"):
            check(f"headline {name}", dom.ids.get(f"count-{name}", "").strip(), str(summary[name]))
            check(f"headline {name} agrees with the embedded data", dom.attrs[f"count-{name}"].get("data-mismatch"), None)
        check("headline objects", dom.ids.get("count-rows", "").strip(), str(summary["rows"]))
        check("headline pods", dom.ids.get("count-pods", "").strip(), str(summary["pods"]))
        check("headline namespaces", dom.ids.get("count-namespaces", "").strip(), str(summary["namespaces"]))
        listed = expected_results(report, lambda row, r: r["result"] != "skip")
        check("results matching the default filter (all but skip)", dom.attrs["shown"].get("data-matching"), str(listed))
        check("table rows", len(dom.result_rows), min(listed, 200))
        order = {"fail": 0, "error": 1, "warn": 2, "pass": 3, "skip": 4}
        check("table sorted by result", dom.result_rows, sorted(dom.result_rows, key=order.get))
        check("charts are inline SVG", "chart-namespaces" in dom.attrs and "chart-policies" in dom.attrs, True)

        # Requested VM sizes: one group per namespace whose peer pods ask for a size, with the
        # sums of the JSON report, and a bar for each sum above 0.
        check("the VM sizes chart is there", "chart-vm-sizes" in dom.attrs, True)
        sized = {t["namespace"]: t for t in report["vmByNamespace"] if t["sizedPods"]}
        check("the samples have several namespaces with sized peer pods", len(sized) >= 2, True)
        drawn = {g["data-namespace"]: (g, bars) for g, bars in dom.vm_namespaces}
        check("VM sizes chart namespaces", sorted(drawn), sorted(sized))
        for ns, t in sorted(sized.items()):
            g, bars = drawn.get(ns, ({}, 0))
            check(f"VM sizes of {ns}", (g.get("data-vcpus"), g.get("data-memory-mib"), g.get("data-gpus")),
                  (str(t["vcpus"]), str(t["memoryMiB"]), str(t["gpus"])))
            check(f"bars drawn for {ns}", bars, sum(1 for k in ("vcpus", "memoryMiB", "gpus") if t[k]))
        vcpus = [int(g["data-vcpus"]) for g, _ in dom.vm_namespaces]
        check("VM sizes chart sorted by vCPUs", vcpus, sorted(vcpus, reverse=True))
        peer, asked = sum(t["peerPods"] for t in report["vmByNamespace"]), sum(t["sizedPods"] for t in sized.values())
        check("the note counts the peer pods", f"asked by {asked} of {peer} peer pods" in dom.ids.get("vm-sizes-note", ""),
              True)

        dom = dump_dom(browser, "file://" + page + "#result=fail&ns=team-a", profile)
        want = expected_results(report, lambda row, r: r["result"] == "fail" and row["namespace"] == "team-a")
        check("filter result=fail, namespace team-a", dom.attrs["shown"].get("data-matching"), str(want))
        check("filtered table rows", len(dom.result_rows), want)
        check("filtered rows are all fail", set(dom.result_rows), {"fail"} if want else set())

        dom = dump_dom(browser, "file://" + page + "#q=ORPHAN&result=fail,warn,pass,skip", profile)
        want = expected_results(report, lambda row, r: "orphan" in (row["kind"] + "/" + row["name"] + " " + r["message"]).lower())
        check("text filter q=ORPHAN (any case)", dom.attrs["shown"].get("data-matching"), str(want))

        # Messages are stored with a placeholder for the object's name, put back by the script.
        query = 'pod "debug" uses'
        dom = dump_dom(browser, "file://" + page + "#q=" + urllib.parse.quote(query) + "&result=fail,warn,pass,skip", profile)
        want = expected_results(report, lambda row, r: query in r["message"].lower())
        check(f"text filter on a message with its object's name ({query})", dom.attrs["shown"].get("data-matching"), str(want))
        check("that message is there", want > 0, True)

    print(f"{'FAIL' if failures else 'PASS'}: html report in headless chromium")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
