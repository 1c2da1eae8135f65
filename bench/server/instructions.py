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

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import profiled_serve  # noqa: E402 (beside this script)

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
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}",
           *profiled_serve.serve_args(binary, port_file, certs, source)]
    with open(os.path.join(run_dir, "peergate.log"), "wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    try:
        port = profiled_serve.wait_for_port(proc, port_file, 120, "callgrind", run_dir)
        profiled_serve.post_reviews(port, certs, review, WARMUP + count, connections, 120)
        proc.send_signal(signal.SIGTERM)  # valgrind runs the server in its own process
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return inclusive_counts(profile)


def main():
    binary, here, source = profiled_serve.command_line(__doc__)
    connections = int(os.environ.get("BENCH_INSTR_CONNECTIONS", "4"))
    for tool in ("valgrind", "callgrind_annotate"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (apt-get install valgrind)")
    review, few, many = profiled_serve.run_few_and_many(binary, here, source, "peergate-instructions-", run, FEW, MANY,
                                                        connections)
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
