#!/usr/bin/python3
"""Memory of `peergate serve` at the body limit (docs/server.md, "Memory"), measured from outside.

    bench/server/memory.py BUILD_DIR|PEERGATE_BINARY [SOURCE_DIR]

Each scenario starts a fresh `peergate serve` (shipping memory limits, --threads 2 unless
BENCH_MEMORY_THREADS says otherwise) on 127.0.0.1:0 and reads its peak RSS (VmHWM) and RSS (VmRSS)
from /proc:
  - idle: after start-up and one normal review;
  - one max-size review: an AdmissionReview of exactly --max-body-bytes (8 MiB), an array of zeros
    (a document tree pays one 24-byte value for every two bytes of it), then the RSS a moment after
    the answer; twice: the zeros under spec, which the review parser scans without building, and
    under metadata.annotations, which it keeps (a tree, capped by --max-document-bytes: 413);
  - 16 of them at once, on 16 connections, then the RSS after and a normal review;
  - the normal load: wrk (when installed) POSTing bench/server/make_review.py's 8 KiB review over
    16 keep-alive connections with one I/O thread, as bench/server/run.sh does.
Prints each figure with its target and PASS or MISS. Not a test: the exit status is 0 unless
something failed to run (a request without a well-formed answer, a server that died).

Environment: BENCH_MEMORY_THREADS (default 2), BENCH_DURATION (wrk seconds, default 10),
             BENCH_CONNECTIONS (wrk connections, default 16).
Needs: /usr/bin/python3, openssl-capable Python; wrk and taskset for the load figure (skipped without).
"""

import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1024 * 1024
MAX_BODY = 8 * MIB  # --max-body-bytes' default
CONCURRENT = 16

TARGETS = {  # figure -> target in MiB (peak or RSS below it), issue 12
    "one": 48,
    "sixteen": 128,
    "after": 24,
    "load": 16,
}


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


class Server:
    def __init__(self, binary, source, work, name, threads, extra=()):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "peergate.log"), "wb")
        cmd = [binary, "serve", "--listen", "127.0.0.1:0", "--port-file", port_file, "--threads", str(threads),
               "--cert-dir", os.path.join(self.dir, "certs"), "--policies", os.path.join(source, "policies"),
               "--log-level", "warn", *extra]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 20
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"peergate did not start; see {self.log.name}")
            time.sleep(0.02)
        self.port = int(open(port_file).read())
        self.context = ssl.create_default_context(cafile=os.path.join(self.dir, "certs", "ca.crt"))

    def peak_mib(self):
        return status_kib(self.proc.pid, "VmHWM") / 1024

    def rss_mib(self):
        return status_kib(self.proc.pid, "VmRSS") / 1024

    def post(self, body):
        """(status, Retry-After, payload); a connection the server closed counts as status 0."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=120)
        try:
            conn.request("POST", "/admit?timeout=10s", body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, resp.getheader("Retry-After"), resp.read()
        except (OSError, http.client.HTTPException) as e:
            return 0, None, repr(e).encode()
        finally:
            conn.close()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()


def normal_review(source):
    with open(os.path.join(source, "samples", "reviews", "pod-peer-allowed.json"), "rb") as f:
        return f.read()


def max_size_review(source, kept, size=MAX_BODY):
    """The sample pod as a review of exactly `size` bytes, padded as the server tests pad it: zeros
    under spec (scanned, never built) or, `kept`, under metadata.annotations (built as a tree)."""
    sys.path.insert(0, os.path.join(source, "tests", "server"))
    from serve_test import padded_to_size  # noqa: E402
    with open(os.path.join(source, "samples", "reviews", "pod-peer-allowed.json")) as f:
        return padded_to_size(json.load(f), size, kept)


def outcome(status, retry_after, payload):
    """A word for a well-formed answer; raises on anything else."""
    if status == 200:
        resp = json.loads(payload)["response"]
        return "allowed" if resp["allowed"] else "denied"
    if status in (413, 503):
        error = json.loads(payload)["error"]
        if not isinstance(error, str) or (status == 503 and retry_after is None):
            raise RuntimeError(f"malformed {status} answer: {payload[:200]!r}")
        return str(status)
    if status == 0:
        # A client shed with 503 while still sending its body may see the connection closed
        # after the server stopped discarding it: not an answer, reported as such.
        return "closed"
    raise RuntimeError(f"unexpected answer {status}: {payload[:200]!r}")


def tally(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return ", ".join(f"{n} {w}" for w, n in sorted(counts.items()))


results = []  # (label, value MiB, target MiB or None, note)


def figure(label, value, target=None, note=""):
    results.append((label, value, target, note))
    verdict = "" if target is None else f"target < {target} MiB  {'PASS' if value < target else 'MISS'}"
    print(f"{label:<78}{value:>8.1f} MiB  {verdict:<24}{note}", flush=True)


def settle(server):
    """The RSS once the server has finished with a request: the answer is sent before the heap is
    given back, so wait a moment for it to stop falling."""
    last = server.rss_mib()
    for _ in range(20):
        time.sleep(0.1)
        now = server.rss_mib()
        if now >= last:
            return now
        last = now
    return last


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    target = sys.argv[1]
    binary = os.path.realpath(os.path.join(target, "peergate") if os.path.isdir(target) else target)
    here = os.path.dirname(os.path.realpath(__file__))
    source = os.path.realpath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", ".."))
    threads = int(os.environ.get("BENCH_MEMORY_THREADS", "2"))
    duration = int(os.environ.get("BENCH_DURATION", "10"))
    connections = int(os.environ.get("BENCH_CONNECTIONS", "16"))
    work = tempfile.mkdtemp(prefix="peergate-memory-bench-")
    servers = []
    try:
        normal = normal_review(source)
        print(f"peergate memory bench: {MAX_BODY}-byte reviews, shipping limits "
              f"(--max-inflight-bytes 64Mi, --max-document-bytes 16Mi), --threads {threads}, a fresh server each")
        # Zeros under spec: the review parser scans them and builds nothing. Zeros under
        # annotations, which it keeps whole: the dearest body, a tree up to --max-document-bytes.
        for kept, where in ((False, "zeros under spec"), (True, "zeros under annotations")):
            big = max_size_review(source, kept)
            variant = "kept" if kept else "skipped"  # each server gets its own directory

            # Idle, then one max-size review.
            s = Server(binary, source, work, f"one-{variant}", threads)
            servers.append(s)
            outcome(*s.post(normal))
            figure("RSS idle (started, one normal review)", s.rss_mib())
            word = outcome(*s.post(big))
            figure(f"peak RSS, one max-size review ({where})", s.peak_mib(), TARGETS["one"], f"answered {word}")
            figure("RSS after it", settle(s), TARGETS["after"])
            s.stop()

            # Sixteen at once.
            s = Server(binary, source, work, f"sixteen-{variant}", threads)
            servers.append(s)
            outcome(*s.post(normal))
            answers = [None] * CONCURRENT

            def send(n):
                answers[n] = s.post(big)

            clients = [threading.Thread(target=send, args=(n,)) for n in range(CONCURRENT)]
            for c in clients:
                c.start()
            for c in clients:
                c.join()
            words = [outcome(*a) for a in answers]
            figure(f"peak RSS, {CONCURRENT} max-size reviews at once ({where})", s.peak_mib(), TARGETS["sixteen"],
                   tally(words))
            figure("RSS after them", settle(s), TARGETS["after"])
            if not s.alive() or outcome(*s.post(normal)) != "allowed":
                raise RuntimeError("the server no longer serves a normal review")
            s.stop()

        # The normal load, when wrk is there.
        wrk = shutil.which("wrk")
        taskset = shutil.which("taskset")
        if wrk and taskset:
            review_file = os.path.join(work, "review.json")
            subprocess.run([sys.executable, os.path.join(here, "make_review.py"), source, review_file], check=True,
                           stdout=subprocess.DEVNULL)
            s = Server(binary, source, work, "load", 1)
            servers.append(s)
            env = dict(os.environ, BENCH_REVIEW=review_file)
            run = subprocess.run([taskset, "-c", os.environ.get("BENCH_CLIENT_CPU", "1"), wrk, "-t1",
                                  f"-c{connections}", f"-d{duration}s", "-s", os.path.join(here, "admit.lua"),
                                  f"https://127.0.0.1:{s.port}/admit?timeout=10s"],
                                 env=env, check=True, capture_output=True, text=True)
            line = next((l for l in run.stdout.splitlines() if l.startswith("RESULT")), "")
            fields = dict(kv.split("=") for kv in line.split()[1:])
            errors = sum(int(fields.get(k, 0)) for k in ("non2xx", "connect_errors", "read_errors", "write_errors"))
            if not fields or errors:
                raise RuntimeError(f"wrk: {line or run.stdout}")
            figure(f"peak RSS under wrk ({connections} connections, {duration} s, 1 thread)", s.peak_mib(),
                   TARGETS["load"], f"{float(fields['rps']):.0f} requests/s")
            s.stop()
        else:
            print("peak RSS under wrk: skipped (wrk or taskset missing: apt-get install wrk util-linux)")
    except (RuntimeError, OSError, subprocess.CalledProcessError, ValueError, KeyError) as e:
        print(f"bench/server/memory.py: {e}", file=sys.stderr)
        return 1
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, True)
    missed = [r for r in results if r[2] is not None and r[1] >= r[2]]
    print(f"memory: {len([r for r in results if r[2] is not None]) - len(missed)} PASS, {len(missed)} MISS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
