#!/usr/bin/python3
"""Heap allocations per request of `peergate serve` in steady state (docs/server.md, "Benchmark").

    bench/server/allocations.py BUILD_DIR|PEERGATE_BINARY [SOURCE_DIR]

Runs `peergate serve --threads 1` (logging at info to a file, as bench/server/run.sh does) under
heaptrack twice, with the same certificate (made once by `peergate certs`, so that no key is
generated at start-up): each run POSTs bench/server/make_review.py's 8 KiB review to /admit on
keep-alive TLS connections, a warm-up of WARMUP requests then FEW or MANY more, and exits by
SIGTERM. Only allocations made on the I/O thread (stacks through run_io) are counted: start-up,
the log writer, the file watchers and the audit writer do not depend on requests. The difference
between the two runs, divided by MANY - FEW, is what one request costs once every connection,
buffer and cache is warm (the TLS handshakes, the same in both runs, cancel out). It is split into
the allocations made inside webhook::handle_review (the engine: decoding, evaluation, the answer)
and the rest (the server: TLS records, HTTP parsing, routing, logging, metrics).

Prints the three figures per request, the total against the target (<= 4). Not a test: the exit
status is 0 unless something failed to run.

Environment: BENCH_ALLOC_CONNECTIONS (keep-alive connections, used in turn; default 4),
             BENCH_ALLOC_TOP (also print the N call sites of the server's allocations per request).
Needs: heaptrack (Debian heaptrack), /usr/bin/python3.
"""

import os
import platform
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
TARGET = 4
IO_THREAD = "run_io"  # the frame every I/O thread's work runs under (server.cpp)
HANDLER = "handle_review"


def count_allocations(heaptrack_file, flamegraph_file):
    """{'handler': n, 'server': n}: allocations on the I/O thread, from heaptrack's stacks."""
    subprocess.run(["heaptrack_print", heaptrack_file, "--flamegraph-cost-type", "allocations",
                    "-F", flamegraph_file], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    counts = {"handler": 0, "server": 0}
    server_sites = {}  # the innermost frames of the server's allocations -> count
    with open(flamegraph_file) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if IO_THREAD not in stack:
                continue
            if HANDLER in stack:
                counts["handler"] += int(n)
            else:
                counts["server"] += int(n)
                site = " < ".join(frame.split("(")[0][:80] for frame in reversed(stack.split(";")[-6:]))
                server_sites[site] = server_sites.get(site, 0) + int(n)
    return counts, server_sites


def run(binary, source, work, certs, review, count, connections):
    run_dir = tempfile.mkdtemp(dir=work)
    port_file = os.path.join(run_dir, "port")
    profile = os.path.join(run_dir, "heaptrack")
    # Without address randomisation (setarch -R) a frame without a symbol (most of libssl's) has
    # the same address in both runs, so that BENCH_ALLOC_TOP's call sites match across them.
    no_aslr = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
    cmd = [*no_aslr, "heaptrack", "-o", profile, *profiled_serve.serve_args(binary, port_file, certs, source)]
    with open(os.path.join(run_dir, "peergate.log"), "wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    try:
        port = profiled_serve.wait_for_port(proc, port_file, 60, "heaptrack", run_dir)
        profiled_serve.post_reviews(port, certs, review, WARMUP + count, connections, 60)
        # heaptrack runs the server as its child: the signal goes to the server itself.
        server = subprocess.run(["pgrep", "-P", str(proc.pid), "-f", port_file], capture_output=True,
                                text=True).stdout.split()
        if len(server) != 1:
            raise RuntimeError(f"cannot tell the server among heaptrack's children: {server}")
        os.kill(int(server[0]), signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    recorded = [f for f in os.listdir(run_dir) if f.startswith("heaptrack.")]
    if not recorded:
        raise RuntimeError(f"heaptrack wrote no profile in {run_dir}")
    return count_allocations(os.path.join(run_dir, recorded[0]), os.path.join(run_dir, "stacks.txt"))


def main():
    binary, here, source = profiled_serve.command_line(__doc__)
    connections = int(os.environ.get("BENCH_ALLOC_CONNECTIONS", "4"))
    for tool in ("heaptrack", "heaptrack_print", "pgrep"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (apt-get install heaptrack procps)")
    review, few, many = profiled_serve.run_few_and_many(binary, here, source, "peergate-alloc-", run, FEW, MANY,
                                                        connections)
    n = MANY - FEW
    (few, few_sites), (many, many_sites) = few, many
    handler = (many["handler"] - few["handler"]) / n
    server = (many["server"] - few["server"]) / n
    total = handler + server
    verdict = "PASS" if total <= TARGET else "MISS"
    print(f"peergate allocations: {len(review)}-byte review to /admit, {connections} keep-alive connections, "
          f"heaptrack, I/O thread, runs of {WARMUP}+{MANY} and {WARMUP}+{FEW} requests")
    print(f"heap allocations per request: {total:.1f} (target <= {TARGET}: {verdict}): "
          f"{handler:.1f} in webhook::handle_review, {server:.1f} in the server (TLS, HTTP, routing, logging, metrics)")
    top = int(os.environ.get("BENCH_ALLOC_TOP", "0"))
    sites = {k: (many_sites.get(k, 0) - few_sites.get(k, 0)) / n for k in set(few_sites) | set(many_sites)}
    for site, per_request in sorted(sites.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {per_request:6.2f}  {site}")


if __name__ == "__main__":
    main()
