#!/usr/bin/python3
"""Instructions per request of `peergate serve` in steady state (docs/server.md, "Benchmark").

    bench/server/instructions.py BUILD_DIR|PEERGATE_BINARY [SOURCE_DIR]

The CPU figure that does not depend on the machine's load: bench/server/run.sh's CPU time per
request swings by tens of percent on a shared machine, an instruction count does not. Runs
`peergate serve --threads 1` (logging at info to a file, as run.sh does) under callgrind twice
with the same certificate (`peergate certs`, so that no key is generated at start-up): each run
POSTs bench/server/make_review.py's 8 KiB review to /admit on keep-alive TLS connections, a warm-up
of WARMUP requests then FEW or MANY more, and exits by SIGTERM. The difference between the two
runs, divided by MANY - FEW, is what one request costs once every connection, buffer and cache is
warm. Printed: the user-space instructions of the I/O thread per request (the inclusive count of
run_io, server.cpp), of which inside webhook::handle_review (the engine) and outside it (the
server: TLS, HTTP, routing, logging, metrics, Asio), and those of the whole process (the log
writer thread included). System calls and the kernel's work are not counted: run.sh's CPU time
is the figure for those.

Valgrind counts a `rep movsb` copy (glibc's memcpy for large blocks) one instruction per byte, so
copying a request weighs more here than on the CPU; the figure is for comparing builds, not
machines. Not a test: the exit status is 0 unless something failed to run.

Environment: BENCH_INSTR_CONNECTIONS (keep-alive connections, used in turn; default 4).
Needs: valgrind (Debian valgrind: callgrind, callgrind_annotate), /usr/bin/python3.
"""

import http.client
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

WARMUP = 200
FEW = 200
MANY = 1200
IO_THREAD = "peergate::webhook::server::(anonymous namespace)::run_io("
HANDLER = "peergate::webhook::handle_review(peergate::step_kind,"


def inclusive_counts(profile):
    """{'process': n, 'io': n, 'handler': n}: instructions, from callgrind_annotate's inclusive costs."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", profile], check=True,
                         capture_output=True, text=True).stdout
    counts = {"process": 0, "io": 0, "handler": 0}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)$", line)
        if not m:
            continue
        n, what = int(m.group(1).replace(",", "")), m.group(2)
        if "PROGRAM TOTALS" in what:
            counts["process"] = n
        elif IO_THREAD in what:
            counts["io"] = max(counts["io"], n)
        elif HANDLER in what:
            counts["handler"] = max(counts["handler"], n)
    return counts


def run(binary, source, work, certs, review, count, connections):
    run_dir = tempfile.mkdtemp(dir=work)
    port_file = os.path.join(run_dir, "port")
    profile = os.path.join(run_dir, "callgrind.out")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}", binary, "serve", "--listen",
           "127.0.0.1:0", "--port-file", port_file, "--threads", "1", "--tls-cert", os.path.join(certs, "tls.crt"),
           "--tls-key", os.path.join(certs, "tls.key"), "--policies", os.path.join(source, "policies")]
    with open(os.path.join(run_dir, "peergate.log"), "wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"peergate did not start under callgrind; see {run_dir}/peergate.log")
            time.sleep(0.05)
        port = int(open(port_file).read())
        context = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
        clients = [http.client.HTTPSConnection("localhost", port, context=context, timeout=120)
                   for _ in range(connections)]
        for i in range(WARMUP + count):
            client = clients[i % connections]
            client.request("POST", "/admit?timeout=10s", body=review, headers={"Content-Type": "application/json"})
            response = client.getresponse()
            answer = response.read()
            if response.status != 200 or b'"allowed":true' not in answer:
                raise RuntimeError(f"unexpected answer {response.status}: {answer[:200]!r}")
        for client in clients:
            client.close()
        proc.send_signal(signal.SIGTERM)  # valgrind runs the server in its own process
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return inclusive_counts(profile)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    target = sys.argv[1]
    binary = os.path.realpath(os.path.join(target, "peergate") if os.path.isdir(target) else target)
    here = os.path.dirname(os.path.realpath(__file__))
    source = os.path.realpath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", ".."))
    connections = int(os.environ.get("BENCH_INSTR_CONNECTIONS", "4"))
    for tool in ("valgrind", "callgrind_annotate"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (apt-get install valgrind)")
    work = tempfile.mkdtemp(prefix="peergate-instructions-")
    try:
        review_file = os.path.join(work, "review.json")
        subprocess.run([sys.executable, os.path.join(here, "make_review.py"), source, review_file], check=True,
                       stdout=subprocess.DEVNULL)
        review = open(review_file, "rb").read()
        certs = os.path.join(work, "certs")
        subprocess.run([binary, "certs", "--service", "localhost", "--namespace", "bench", "--out", certs], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        few = run(binary, source, work, certs, review, FEW, connections)
        many = run(binary, source, work, certs, review, MANY, connections)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = MANY - FEW
    per = {k: (many[k] - few[k]) / n for k in many}
    if per["io"] <= 0 or per["handler"] <= 0:
        sys.exit("bench: run_io or handle_review not found in callgrind's output (a binary without symbols?)")
    print(f"peergate instructions: {len(review)}-byte review to /admit, {connections} keep-alive connections, "
          f"callgrind, runs of {WARMUP}+{MANY} and {WARMUP}+{FEW} requests")
    print(f"instructions per request on the I/O thread: {per['io'] / 1000:.1f}k: "
          f"{per['handler'] / 1000:.1f}k in webhook::handle_review, {(per['io'] - per['handler']) / 1000:.1f}k in the "
          f"server (TLS, HTTP, routing, logging, metrics, Asio); whole process {per['process'] / 1000:.1f}k")


if __name__ == "__main__":
    main()
