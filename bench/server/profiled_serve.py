"""The part allocations.py (heaptrack) and instructions.py (callgrind) share: a review and a
certificate made once, `peergate serve --threads 1` started under the profiler's command, and
reviews POSTed to it on keep-alive TLS connections. Standard library only."""

import http.client
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time


def prepare(binary, source, work, here):
    """bench/server/make_review.py's review (bytes) and a certificate directory made by
    `peergate certs`, so that the server generates no key at start-up."""
    review_file = os.path.join(work, "review.json")
    subprocess.run([sys.executable, os.path.join(here, "make_review.py"), source, review_file], check=True,
                   stdout=subprocess.DEVNULL)
    certs = os.path.join(work, "certs")
    subprocess.run([binary, "certs", "--service", "localhost", "--namespace", "bench", "--out", certs], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return open(review_file, "rb").read(), certs


def serve_args(binary, port_file, certs, source):
    """The server's command line: one I/O thread, logging at info (to the caller's stderr file)."""
    return [binary, "serve", "--listen", "127.0.0.1:0", "--port-file", port_file, "--threads", "1", "--tls-cert",
            os.path.join(certs, "tls.crt"), "--tls-key", os.path.join(certs, "tls.key"), "--policies",
            os.path.join(source, "policies")]


def wait_for_port(proc, port_file, timeout, tool, run_dir):
    """The port the server wrote, once it listens; an error if it exits or takes over `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (os.path.exists(port_file) and open(port_file).read().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"peergate did not start under {tool}; see {run_dir}/peergate.log")
        time.sleep(0.05)
    return int(open(port_file).read())


def post_reviews(port, certs, review, total, connections, timeout):
    """POSTs `review` to /admit `total` times, on `connections` keep-alive connections in turn; an
    error on any answer that is not an allowed review."""
    context = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
    clients = [http.client.HTTPSConnection("localhost", port, context=context, timeout=timeout)
               for _ in range(connections)]
    for i in range(total):
        client = clients[i % connections]
        client.request("POST", "/admit?timeout=10s", body=review, headers={"Content-Type": "application/json"})
        response = client.getresponse()
        answer = response.read()
        if response.status != 200 or b'"allowed":true' not in answer:
            raise RuntimeError(f"unexpected answer {response.status}: {answer[:200]!r}")
    for client in clients:
        client.close()


def command_line(doc):
    """(peergate binary, this folder, source tree) from `SCRIPT BUILD_DIR|PEERGATE_BINARY [SOURCE_DIR]`;
    exits with the script's `doc` when no argument is given."""
    if len(sys.argv) < 2:
        sys.exit(doc)
    target = sys.argv[1]
    binary = os.path.realpath(os.path.join(target, "peergate") if os.path.isdir(target) else target)
    here = os.path.dirname(os.path.realpath(__file__))
    source = os.path.realpath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", ".."))
    return binary, here, source


def run_few_and_many(binary, here, source, prefix, run, few, many, connections):
    """The review (bytes) and run(binary, source, work, certs, review, count, connections)'s result
    for count = `few` and for count = `many`, in a scratch folder removed afterwards."""
    work = tempfile.mkdtemp(prefix=prefix)
    try:
        review, certs = prepare(binary, source, work, here)
        return (review, run(binary, source, work, certs, review, few, connections),
                run(binary, source, work, certs, review, many, connections))
    finally:
        shutil.rmtree(work, ignore_errors=True)
