#!/usr/bin/python3
"""Integration tests for `peergate serve`.

Each test starts the real binary on 127.0.0.1:0 and talks to it over real TLS with CA
verification (Python's ssl and http.client). Readiness and reloads are awaited through the
server's JSON log lines (an event, not a sleep). Certificates for rotation and mTLS are made
with the openssl command line. VMPolicyTests also applies patches with python3-jsonpatch.

Usage: serve_test.py --binary build/peergate --source . [unittest args, e.g. EndpointTests]
"""

import argparse
import base64
import copy
import gzip
import hashlib
import http.client
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BINARY = None
SOURCE = None
STRESS_SECONDS = 3.0  # StressTests: --stress-seconds
STRESS_SEED = None  # StressTests: --stress-seed, random by default (printed)
CERTS = None  # a directory of test certificates, made once per run

# ---------------------------------------------------------------------------------------------
# Helpers


def run(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def make_ca(d, name):
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.crt", "-days", "2", "-subj", f"/CN={name}",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])


def make_leaf(d, name, ca, usage, cn, days=1):
    ext = f"{d}/{name}.ext"
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                f"extendedKeyUsage={usage}\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr", "-subj", f"/CN={cn}"])
    run(["openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/{ca}.crt", "-CAkey", f"{d}/{ca}.key",
         "-CAcreateserial", "-out", f"{d}/{name}.crt", "-days", str(days), "-extfile", ext])


def make_certificates(d):
    for ca in ("ca1", "ca2", "client-ca", "other-ca"):
        make_ca(d, ca)
    make_leaf(d, "server1", "ca1", "serverAuth", "server-one")
    make_leaf(d, "server2", "ca2", "serverAuth", "server-two", days=2)
    make_leaf(d, "client", "client-ca", "clientAuth", "kube-apiserver")
    make_leaf(d, "intruder", "other-ca", "clientAuth", "intruder")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data, atomic=False):
    mode = "wb" if isinstance(data, bytes) else "w"
    target = path + ".tmp" if atomic else path
    with open(target, mode) as f:
        f.write(data)
    if atomic:
        os.rename(target, path)


POLICY_HEADER = "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\n"


def policy_yaml(name, actions, namespaces):
    items = "".join(f'    - "{n}"\n' for n in namespaces)
    return (POLICY_HEADER + f"metadata:\n  name: {name}\nspec:\n  runtimeClassNames: [kata-remote]\n"
            f"  validationActions: [{', '.join(actions)}]\n  allowedNamespaces:\n{items}")


def shipped_mutation():
    return read(os.path.join(SOURCE, "policies", "peer-pods-mutation.yaml")).decode()


def sample_review(name="pod-peer-allowed.json"):
    with open(os.path.join(SOURCE, "samples", "reviews", name)) as f:
        return json.load(f)


_uid_counter = [0]


def review(namespace="confidential-ml", peer=True, containers=True, sample="pod-peer-allowed.json"):
    r = copy.deepcopy(sample_review(sample))
    _uid_counter[0] += 1
    r["request"]["uid"] = f"00000000-0000-4000-8000-{_uid_counter[0]:012d}"
    r["request"]["namespace"] = namespace
    obj = r["request"]["object"]
    obj["metadata"]["namespace"] = namespace
    if not peer:
        obj["spec"].pop("runtimeClassName", None)
    if not containers:
        obj["spec"]["containers"] = []
        obj["spec"].pop("initContainers", None)
    return r


class Server:
    """A `peergate serve` process, its log lines, and TLS clients for it."""

    def __init__(self, test, args=(), env=None, cafile=None, expect_start=True, listen="127.0.0.1:0", threads="2",
                 cpus=None, debounce="100ms"):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="peergate-serve-test-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.port_file = os.path.join(self.dir, "port")
        self.cafile = cafile or os.path.join(self.dir, "certs", "ca.crt")
        cmd = [BINARY, "serve", "--listen", listen, "--port-file", self.port_file, "--threads", threads,
               "--cert-dir", os.path.join(self.dir, "certs"), "--reload-debounce", debounce, *args]
        if "--log-level" not in args:
            cmd += ["--log-level", "debug"]
        full_env = dict(os.environ)
        for k in ("TLS_MIN_VERSION", "TLS_CIPHER_SUITES"):
            full_env.pop(k, None)
        full_env.update(env or {})
        self.lines = []
        self.raw = []
        self.cond = threading.Condition()
        pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=full_env, preexec_fn=pin)
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()
        test.addCleanup(self.kill)
        self.port = None
        if expect_start:
            line = self.wait_for(lambda l: l.get("msg") == "listening", timeout=20)
            self.port = line["port"]
            # The port file is written right after the log line, atomically.
            self.wait_for_file(self.port_file)
            test.assertEqual(int(read(self.port_file)), self.port)

    def _read_log(self):
        for raw in self.proc.stderr:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                line = json.loads(text)
            except ValueError:
                line = {"msg": "(not json)", "text": text}
            with self.cond:
                self.raw.append(text)
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.lines.append({"msg": "(exited)"})
            self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.lines)

    def log_tail(self, n=40):
        with self.cond:
            return "\n".join(self.raw[-n:])

    def wait_for(self, pred, timeout=10, after=0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[after:]:
                    if pred(line):
                        return line
                if any(l.get("msg") == "(exited)" for l in self.lines[after:]) and not pred({"msg": "(exited)"}):
                    self.test.fail("server exited while waiting; log:\n" + self.log_tail())
                left = deadline - time.monotonic()
                if left <= 0:
                    self.test.fail("timed out waiting for a log line; log:\n" + self.log_tail())
                self.cond.wait(left)

    def find(self, pred, after=0):
        with self.cond:
            return [l for l in self.lines[after:] if pred(l)]

    def wait_for_file(self, path, timeout=10):
        # The file is written right after the log line we already saw: this loop ends at once.
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                self.test.fail(f"{path} was not written")
            time.sleep(0.01)

    def context(self, cafile=None, cert=None, key=None):
        ctx = ssl.create_default_context(cafile=cafile or self.cafile)
        if cert:
            ctx.load_cert_chain(cert, key)
        return ctx

    def connection(self, context=None, host="127.0.0.1"):
        return http.client.HTTPSConnection(host, self.port, context=context or self.context(), timeout=10)

    def tls_socket(self, context=None):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return (context or self.context()).wrap_socket(raw, server_hostname="127.0.0.1")

    def post(self, path, body, conn=None, content_type="application/json", headers=None):
        own = conn is None
        conn = conn or self.connection()
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h = {"Content-Type": content_type} if content_type else {}
        h.update(headers or {})
        conn.request("POST", path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        if own:
            conn.close()
        return resp, payload

    def get(self, path, conn=None):
        own = conn is None
        conn = conn or self.connection()
        conn.request("GET", path)
        resp = conn.getresponse()
        payload = resp.read()
        if own:
            conn.close()
        return resp, payload

    def metrics(self):
        resp, body = self.get("/metrics")
        self.test.assertEqual(resp.status, 200)
        values = {}
        for line in body.decode().splitlines():
            if line.startswith("#") or not line:
                continue
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
        return values

    def terminate(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=15):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.test.fail("server did not exit; log:\n" + self.log_tail())
        self.reader.join(5)  # every line it wrote is in self.lines
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)
        self.proc.stderr.close()


def read_until_closed(sock, data=b"", allow_reset=False):
    """Everything the server sends until it closes the connection; with allow_reset, a reset or
    an unclean TLS end also counts as closed."""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ssl.SSLError, ConnectionError):
            if not allow_reset:
                raise
            return data
        if not chunk:
            return data
        data += chunk


def read_response(sock, data=b""):
    """One HTTP/1.1 response read from a socket: (status, headers, body, bytes read past it)."""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before the end of the headers: {data[:200]!r}")
        data += chunk
    head, _, data = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = dict(line.split(": ", 1) for line in lines[1:])
    length = int(headers.get("Content-Length", "0"))
    while len(data) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of a response body")
        data += chunk
    return status, headers, data[:length], data[length:]


def response_of(test, payload):
    doc = json.loads(payload)
    test.assertEqual(doc.get("kind"), "AdmissionReview")
    test.assertEqual(doc.get("apiVersion"), "admission.k8s.io/v1")
    return doc["response"]


def decision_of(test, server, path, body):
    """The response to review `body` POSTed to `path`: answered 200, for the review's own uid."""
    resp, payload = server.post(path, body)
    test.assertEqual(resp.status, 200, payload)
    r = response_of(test, payload)
    test.assertEqual(r["uid"], body["request"]["uid"])
    return r


def patch_of(resp):
    if "patch" not in resp:
        return []
    return json.loads(base64.b64decode(resp["patch"]))


def write_test_policies(d):
    """deny-outside (Deny) allows confidential-*, warned, audited; warn-outside (Warn) allows
    confidential-*, audited; audit-outside (Audit) allows confidential-*, warned."""
    os.makedirs(d, exist_ok=True)
    write(f"{d}/deny.yaml", policy_yaml("deny-outside", ["Deny"], ["confidential-*", "warned", "audited"]))
    write(f"{d}/warn.yaml", policy_yaml("warn-outside", ["Warn"], ["confidential-*", "audited"]))
    write(f"{d}/audit.yaml", policy_yaml("audit-outside", ["Audit"], ["confidential-*", "warned"]))
    write(f"{d}/mutation.yaml", shipped_mutation())


# ---------------------------------------------------------------------------------------------
# Tests


class EndpointTests(unittest.TestCase):
    """Decisions on every endpoint, the query string, and every bad-request status."""

    @classmethod
    def setUpClass(cls):
        cls.policy_dir = tempfile.mkdtemp(prefix="peergate-policies-")
        write_test_policies(cls.policy_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.policy_dir, True)

    def setUp(self):
        self.server = Server(self, ["--policies", self.policy_dir])

    def decide(self, path, body):
        return decision_of(self, self.server, path, body)

    def test_validate(self):
        allowed = self.decide("/validate", review("confidential-ml"))
        self.assertTrue(allowed["allowed"])
        self.assertNotIn("patch", allowed)
        self.assertNotIn("warnings", allowed)

        denied = self.decide("/validate", review("default"))
        self.assertFalse(denied["allowed"])
        self.assertEqual(denied["status"]["code"], 403)
        self.assertIn("deny-outside", denied["status"]["message"])

        warned = self.decide("/validate", review("warned"))
        self.assertTrue(warned["allowed"])
        self.assertTrue(any("warn-outside" in w for w in warned.get("warnings", [])), warned)
        self.assertNotIn("patch", warned)

        plain = self.decide("/validate", review("default", peer=False))
        self.assertTrue(plain["allowed"])

    def test_mutate_both_paths(self):
        for path in ("/mutate", "/mutate-v1-pod"):
            with self.subTest(path=path):
                patched = self.decide(path, review("confidential-ml"))
                self.assertTrue(patched["allowed"])
                self.assertEqual(patched.get("patchType"), "JSONPatch")
                ops = patch_of(patched)
                self.assertTrue(any(op["path"].startswith("/spec/containers/0/resources") for op in ops), ops)

                plain = self.decide(path, review("confidential-ml", peer=False))
                self.assertTrue(plain["allowed"])
                self.assertNotIn("patch", plain)
                self.assertNotIn("patchType", plain)

                refused = self.decide(path, review("confidential-ml", containers=False))
                self.assertFalse(refused["allowed"])
                self.assertGreaterEqual(refused["status"]["code"], 400)
                self.assertNotIn("patch", refused)

    def test_admit(self):
        allowed = self.decide("/admit", review("confidential-ml"))
        self.assertTrue(allowed["allowed"])
        self.assertTrue(patch_of(allowed))
        self.assertNotIn("warnings", allowed)

        denied = self.decide("/admit", review("default"))
        self.assertFalse(denied["allowed"])
        self.assertEqual(denied["status"]["code"], 403)
        self.assertNotIn("patch", denied)

        warned = self.decide("/admit", review("warned"))
        self.assertTrue(warned["allowed"])
        self.assertTrue(patch_of(warned))
        self.assertTrue(any("warn-outside" in w for w in warned.get("warnings", [])), warned)

    def test_decision_and_audit_log_lines(self):
        mark = self.server.mark()
        body = review("warned")
        self.decide("/admit?timeout=10s", body)
        uid = body["request"]["uid"]
        line = self.server.wait_for(lambda l: l.get("msg") == "admission" and l.get("uid") == uid, after=mark)
        self.assertEqual(line["endpoint"], "admit")
        self.assertEqual(line["decision"], "allowed")
        self.assertEqual(line["operation"], "CREATE")
        self.assertEqual(line["kind"], "Pod")
        self.assertEqual(line["namespace"], "warned")
        # The sample is a ReplicaSet's pod: a generateName and no name yet.
        self.assertEqual(line["generateName"], "inference-7d9c5b8f6d-")
        self.assertNotIn("name", line)
        self.assertTrue(line["user"])
        self.assertEqual(line["warnings"], 1)
        self.assertTrue(line["patched"])
        self.assertIn("warn-outside", line["policies"])
        self.assertIsInstance(line["latency_ms"], (int, float))

        audit_body = review("audited")
        self.decide("/validate", audit_body)
        audit = self.server.wait_for(lambda l: l.get("msg") == "audit" and l.get("uid") == audit_body["request"]["uid"],
                                     after=mark)
        self.assertEqual(audit["policy"], "audit-outside")
        self.assertEqual(audit["namespace"], "audited")

    def test_query_string_is_ignored_for_routing(self):
        r = self.decide("/validate?timeout=10s", review("default"))
        self.assertFalse(r["allowed"])
        r = self.decide("/mutate-v1-pod?timeout=30s&x=1", review("confidential-ml"))
        self.assertTrue(patch_of(r))
        resp, _ = self.server.get("/healthz?verbose")
        self.assertEqual(resp.status, 200)

    def test_content_type_parameters_accepted(self):
        resp, payload = self.server.post("/admit", review("default"), content_type="application/json; charset=utf-8")
        self.assertEqual(resp.status, 200)
        self.assertFalse(response_of(self, payload)["allowed"])
        resp, payload = self.server.post("/admit", review("default"), content_type="Application/JSON;charset=UTF-8")
        self.assertEqual(resp.status, 200)

    def test_bodies_in_pieces_pipelined_and_past_the_read_buffer(self):
        # A body of up to 64 KiB is read into the connection's read buffer and evaluated there;
        # a larger one into a string of its own. Either way, however it arrives (one byte range
        # at a time, or together with the next request), each request is answered whole, in
        # order, on the same keep-alive connection.
        def post(uid, namespace, padding):
            r = review(namespace)
            r["request"]["uid"] = uid
            r["request"]["object"]["metadata"].setdefault("annotations", {})["pad"] = "x" * padding
            body = json.dumps(r).encode()
            return body, (b"POST /validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                          b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

        cases = [("small", "default", 0), ("in-buffer", "confidential-ml", 50 * 1024),
                 ("string", "default", 70 * 1024), ("last", "confidential-ml", 0)]
        requests = [post(uid, ns, pad) for uid, ns, pad in cases]
        self.assertLess(len(requests[1][0]), 64 * 1024)
        self.assertGreater(len(requests[2][0]), 64 * 1024)
        s = self.server.tls_socket()
        # The first request in pieces of 700 bytes, each its own TLS record.
        first = requests[0][1]
        for i in range(0, len(first), 700):
            s.sendall(first[i:i + 700])
            time.sleep(0.002)
        # The others in one go: pipelined, in the server's buffers at once.
        s.sendall(b"".join(request for _, request in requests[1:]))
        rest = b""
        for uid, namespace, _ in cases:
            status, headers, payload, rest = read_response(s, rest)
            self.assertEqual(status, 200, payload)
            self.assertNotIn("Connection", headers)
            answer = response_of(self, payload)
            self.assertEqual(answer["uid"], uid)
            self.assertEqual(answer["allowed"], namespace != "default", answer)
        self.assertEqual(rest, b"")
        s.close()

    def assert_error(self, resp, payload, status):
        self.assertEqual(resp.status, status, payload)
        self.assertEqual(resp.getheader("Content-Type"), "application/json")
        doc = json.loads(payload)
        self.assertIsInstance(doc.get("error"), str)
        self.assertLess(len(payload), 300)

    def test_bad_requests_keep_the_connection_and_the_server(self):
        conn = self.server.connection()
        conn.request("GET", "/admit")
        resp = conn.getresponse()
        self.assert_error(resp, resp.read(), 405)
        self.assertEqual(resp.getheader("Allow"), "POST")
        sock = conn.sock

        resp, payload = self.server.post("/validate", review(), conn=conn, content_type="text/plain")
        self.assert_error(resp, payload, 415)
        resp, payload = self.server.post("/validate", review(), conn=conn, content_type=None)
        self.assert_error(resp, payload, 415)
        resp, payload = self.server.post("/admit", b"{not json", conn=conn)
        self.assert_error(resp, payload, 400)
        resp, payload = self.server.post("/admit", b'{"kind":"Pod","apiVersion":"v1"}', conn=conn)
        self.assert_error(resp, payload, 400)
        resp, payload = self.server.post("/nowhere", review(), conn=conn)
        self.assert_error(resp, payload, 404)
        resp, payload = self.server.post("/healthz", b"{}", conn=conn)
        self.assert_error(resp, payload, 405)
        self.assertEqual(resp.getheader("Allow"), "GET, HEAD")
        conn.request("HEAD", "/healthz")
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (200, b""))  # headers only, connection still in step

        # Still the same keep-alive connection, still deciding.
        r = response_of(self, self.server.post("/admit", review("default"), conn=conn)[1])
        self.assertFalse(r["allowed"])
        self.assertIs(conn.sock, sock)
        conn.close()

        m = self.server.metrics()
        self.assertGreaterEqual(m['peergate_admission_requests_total{endpoint="admit",decision="bad_request"}'], 3)
        self.assertGreaterEqual(m['peergate_http_responses_total{code="415"}'], 2)

    def test_body_over_the_default_limit_is_413(self):
        big = b'{"kind":"AdmissionReview","pad":"' + b"x" * (8 * 1024 * 1024 + 10) + b'"}'
        resp, payload = self.server.post("/admit", big)
        self.assert_error(resp, payload, 413)
        self.assertEqual(resp.getheader("Connection"), "close")
        # A review just under the limit is decided.
        near = review("default")
        near["request"]["object"]["metadata"]["annotations"]["padding"] = "y" * (7 * 1024 * 1024)
        r = response_of(self, self.server.post("/admit", near)[1])
        self.assertFalse(r["allowed"])
        resp, _ = self.server.get("/healthz")
        self.assertEqual(resp.status, 200)

    def test_malformed_http_is_400(self):
        s = self.server.tls_socket()
        s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        data = read_until_closed(s)
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data)
        resp, _ = self.server.get("/healthz")
        self.assertEqual(resp.status, 200)

    def test_headers_over_the_limit_are_431(self):
        s = self.server.tls_socket()
        s.sendall(b"POST /admit HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (20 * 1024) + b"\r\n\r\n")
        data = read_until_closed(s, allow_reset=True)
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 431 "), data[:100])
        resp, _ = self.server.get("/healthz")
        self.assertEqual(resp.status, 200)

    def test_header_limit_does_not_depend_on_how_the_bytes_arrive(self):
        # The same header section, over and under --max-header-bytes (16 KiB by default), sent in
        # one write, in 1 KiB pieces, and with the request line apart from the fields.
        def send(section, pieces):
            s = self.server.tls_socket()
            try:
                for piece in pieces(section):
                    s.sendall(piece)
                    time.sleep(0.002)  # separate TLS records, read separately
            except (ssl.SSLError, ConnectionError):
                pass  # refused before the end (431): the answer is waiting
            try:
                data = s.recv(4096)
            except (ssl.SSLError, ConnectionError) as e:
                data = repr(e).encode()
            s.close()
            return data[:12]

        def section(total):
            head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            lines = b""
            while len(head) + len(lines) + 100 + 4 <= total:
                lines += b"X-Field-%05d: " % len(lines) + b"f" * 80 + b"\r\n"
            lines += b"X-Fill: " + b"f" * (total - len(head) - len(lines) - len(b"X-Fill: \r\n\r\n")) + b"\r\n"
            data = head + lines + b"\r\n"
            self.assertEqual(len(data), total)
            return data

        patterns = {
            "one write": lambda d: [d],
            "1 KiB pieces": lambda d: [d[i:i + 1024] for i in range(0, len(d), 1024)],
            "request line apart": lambda d: [d[:d.index(b"\r\n") + 2], d[d.index(b"\r\n") + 2:]],
        }
        for total, expected in ((15 * 1024, b"HTTP/1.1 200"), (16 * 1024, b"HTTP/1.1 200"),
                                (16 * 1024 + 1, b"HTTP/1.1 431"), (20 * 1024, b"HTTP/1.1 431"),
                                (23 * 1024, b"HTTP/1.1 431")):
            for name, pieces in patterns.items():
                with self.subTest(total=total, arrival=name):
                    self.assertEqual(send(section(total), pieces), expected)

    def test_health_ready_metrics(self):
        resp, payload = self.server.get("/healthz")
        self.assertEqual((resp.status, json.loads(payload)["status"]), (200, "ok"))
        resp, payload = self.server.get("/readyz")
        self.assertEqual((resp.status, json.loads(payload)["status"]), (200, "ready"))
        self.decide("/admit", review("default"))
        self.decide("/validate", review("confidential-ml"))
        resp, payload = self.server.get("/metrics")
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/plain; version=0.0.4"))
        text = payload.decode()
        for name in ("peergate_admission_requests_total", "peergate_admission_duration_seconds",
                     "peergate_policy_results_total", "peergate_policy_reloads_total", "peergate_policies_loaded",
                     "peergate_tls_certificate_expiry_timestamp_seconds", "peergate_build_info"):
            self.assertIn(f"# TYPE {name} ", text)
        m = self.server.metrics()
        self.assertGreaterEqual(m['peergate_admission_requests_total{endpoint="admit",decision="denied"}'], 1)
        self.assertGreaterEqual(m['peergate_admission_requests_total{endpoint="validate",decision="allowed"}'], 1)
        self.assertGreaterEqual(m['peergate_admission_duration_seconds_count{endpoint="admit"}'], 1)
        self.assertEqual(m['peergate_admission_duration_seconds_bucket{endpoint="admit",le="+Inf"}'],
                         m['peergate_admission_duration_seconds_count{endpoint="admit"}'])
        self.assertGreaterEqual(
            m['peergate_policy_results_total{policy="deny-outside",rule="allowed-namespaces",action="deny",result="violation"}'], 1)
        self.assertEqual(m['peergate_policies_loaded{kind="PeerPodPolicy"}'], 3)
        self.assertGreater(m["peergate_tls_certificate_expiry_timestamp_seconds"], time.time())
        self.assertTrue(any(k.startswith("peergate_build_info{version=") for k in m))

    def test_keep_alive_reuses_one_connection(self):
        conn = self.server.connection()
        self.server.post("/admit", review(), conn=conn)
        sock = conn.sock
        for ns in ("default", "confidential-a", "warned"):
            resp, _ = self.server.post("/admit", review(ns), conn=conn)
            self.assertEqual(resp.status, 200)
            self.assertIs(conn.sock, sock)
        conn.close()


class TlsTests(unittest.TestCase):
    """Embedded certificate, TLS versions, cipher suites, ALPN, mTLS."""

    def test_embedded_certificate_sans_and_ca_file(self):
        server = Server(self)
        line = server.find(lambda l: l.get("msg") == "embedded certificate")[0]
        self.assertEqual(os.path.abspath(line["ca_file"]), os.path.abspath(server.cafile))
        for host in ("127.0.0.1", "localhost"):
            conn = server.connection(host=host)
            conn.request("GET", "/healthz")
            self.assertEqual(conn.getresponse().status, 200)
            sans = conn.sock.getpeercert()["subjectAltName"]
            conn.close()
        self.assertIn(("DNS", "localhost"), sans)
        self.assertIn(("IP Address", "127.0.0.1"), sans)
        self.assertTrue(any(k == "IP Address" and v in ("::1", "0:0:0:0:0:0:0:1") for k, v in sans), sans)

    def test_ipv6_loopback(self):
        try:
            probe = socket.socket(socket.AF_INET6)
            probe.bind(("::1", 0))
            probe.close()
        except OSError:
            self.skipTest("no IPv6 loopback")
        server = Server(self, listen="[::1]:0")
        raw = socket.create_connection(("::1", server.port), timeout=10)
        s = server.context().wrap_socket(raw, server_hostname="::1")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200"))
        s.close()

    def test_alpn_never_h2(self):
        server = Server(self)
        ctx = server.context()
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        s = server.tls_socket(ctx)
        self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
        s.close()
        ctx = server.context()
        ctx.set_alpn_protocols(["h2"])
        s = server.tls_socket(ctx)
        self.assertIsNone(s.selected_alpn_protocol())
        s.close()

    def test_tls_1_1_refused_by_default_and_1_3_minimum(self):
        server = Server(self)
        old = server.context()
        old.set_ciphers("DEFAULT:@SECLEVEL=0")
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            server.tls_socket(old)
        tls12 = server.context()
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        s = server.tls_socket(tls12)
        self.assertEqual(s.version(), "TLSv1.2")
        s.close()

        strict = Server(self, ["--tls-min-version", "1.3"])
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            strict.tls_socket(tls12)
        s = strict.tls_socket()
        self.assertEqual(s.version(), "TLSv1.3")
        s.close()

    def test_upstream_environment_variables(self):
        server = Server(self, env={"TLS_MIN_VERSION": "VersionTLS12",
                                   "TLS_CIPHER_SUITES": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"})
        ctx = server.context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        s = server.tls_socket(ctx)
        self.assertEqual(s.cipher()[0], "ECDHE-ECDSA-AES256-GCM-SHA384")
        s.close()
        ctx = server.context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            server.tls_socket(ctx)

        for env in ({"TLS_MIN_VERSION": "VersionTLS11"}, {"TLS_MIN_VERSION": "VersionTLS10"},
                    {"TLS_MIN_VERSION": "VersionTLS13", "TLS_CIPHER_SUITES": "TLS_AES_128_GCM_SHA256"},
                    {"TLS_CIPHER_SUITES": "TLS_NOT_A_SUITE"}):
            with self.subTest(env=env):
                bad = Server(self, env=env, expect_start=False)
                self.assertNotEqual(bad.wait_exit(), 0)
                self.assertFalse(os.path.exists(bad.port_file))

    def test_mtls_required_and_verified(self):
        server = Server(self, ["--tls-cert", f"{CERTS}/server1.crt", "--tls-key", f"{CERTS}/server1.key",
                               "--client-ca", f"{CERTS}/client-ca.crt"], cafile=f"{CERTS}/ca1.crt")
        good = server.context(cert=f"{CERTS}/client.crt", key=f"{CERTS}/client.key")
        resp, payload = server.post("/admit", review("default"), conn=server.connection(good))
        self.assertEqual(resp.status, 200)
        self.assertFalse(response_of(self, payload)["allowed"])

        for ctx in (server.context(), server.context(cert=f"{CERTS}/intruder.crt", key=f"{CERTS}/intruder.key")):
            with self.assertRaises((ssl.SSLError, ConnectionError, http.client.RemoteDisconnected)):
                server.post("/admit", review("default"), conn=server.connection(ctx))
        resp, _ = server.get("/healthz", conn=server.connection(good))
        self.assertEqual(resp.status, 200)


class RotationTests(unittest.TestCase):
    """Certificate files changed in place: new connections get the new pair, open ones stay."""

    def test_rotation_keeps_open_connections_and_rejects_a_broken_pair(self):
        d = tempfile.mkdtemp(prefix="peergate-rotation-")
        self.addCleanup(shutil.rmtree, d, True)
        cert, key = f"{d}/tls.crt", f"{d}/tls.key"
        shutil.copy(f"{CERTS}/server1.crt", cert)
        shutil.copy(f"{CERTS}/server1.key", key)
        server = Server(self, ["--tls-cert", cert, "--tls-key", key], cafile=f"{CERTS}/ca1.crt")
        ca1 = server.context(cafile=f"{CERTS}/ca1.crt")
        ca2 = server.context(cafile=f"{CERTS}/ca2.crt")

        old = server.connection(ca1)
        old.request("GET", "/healthz")
        self.assertEqual(old.getresponse().read(), b'{"status":"ok"}')
        old_sock = old.sock
        expiry_before = server.metrics()["peergate_tls_certificate_expiry_timestamp_seconds"]

        mark = server.mark()
        write(cert, read(f"{CERTS}/server2.crt"))  # in place, as a Secret update seen through a hostPath
        write(key, read(f"{CERTS}/server2.key"))
        line = server.wait_for(lambda l: l.get("msg") == "tls certificate reloaded" and "server-two" in l.get("subject", ""),
                               after=mark)
        self.assertIn("server-two", line["subject"])
        server.cafile = f"{CERTS}/ca2.crt"

        # New connections present the new certificate ...
        resp, _ = server.get("/healthz", conn=server.connection(ca2))
        self.assertEqual(resp.status, 200)
        with self.assertRaises(ssl.SSLCertVerificationError):
            server.get("/healthz", conn=server.connection(ca1))
        # ... and the keep-alive connection opened before is still the same, still served.
        resp, payload = server.post("/admit", review("default"), conn=old)
        self.assertEqual(resp.status, 200)
        self.assertIs(old.sock, old_sock)
        self.assertIn("server-one", str(old.sock.getpeercert()["subject"]))
        old.close()
        m = server.metrics()
        self.assertNotEqual(m["peergate_tls_certificate_expiry_timestamp_seconds"], expiry_before)
        self.assertGreaterEqual(m['peergate_tls_reloads_total{result="success"}'], 1)

        # A broken pair (key of another certificate) is reported and the current one kept.
        mark = server.mark()
        write(key, read(f"{CERTS}/server1.key"), atomic=True)
        failed = server.wait_for(lambda l: l.get("msg") == "tls certificate reload failed", after=mark)
        self.assertIn("does not match", failed["error"])
        resp, _ = server.get("/healthz", conn=server.connection(ca2))
        self.assertEqual(resp.status, 200)
        self.assertGreaterEqual(server.metrics()['peergate_tls_reloads_total{result="failure"}'], 1)


class ReloadTests(unittest.TestCase):
    """Policy reloads: a good one is served, a broken one is reported and the good set kept."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="peergate-reload-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def allowed(self, server, ns):
        resp, payload = server.post("/validate", review(ns))
        self.assertEqual(resp.status, 200)
        return response_of(self, payload)["allowed"]

    def test_good_then_broken_reload(self):
        policies = f"{self.dir}/policies"
        os.makedirs(policies)
        write(f"{policies}/allowed.yaml", policy_yaml("allowed", ["Deny"], ["confidential-*"]))
        server = Server(self, ["--policies", policies])
        self.assertFalse(self.allowed(server, "newteam"))

        mark = server.mark()
        write(f"{policies}/allowed.yaml", policy_yaml("allowed", ["Deny"], ["confidential-*", "newteam"]), atomic=True)
        server.wait_for(lambda l: l.get("msg") == "policies loaded" and l.get("cause") in ("change", "poll"), after=mark)
        self.assertTrue(self.allowed(server, "newteam"))

        mark = server.mark()
        write(f"{policies}/allowed.yaml",
              policy_yaml("allowed", ["Maybe"], ["confidential-*"]) + "  bogus: [\n")  # broken YAML
        failed = server.wait_for(lambda l: l.get("msg") == "policy reload failed", after=mark)
        self.assertTrue(failed["kept_previous"])
        self.assertGreaterEqual(failed["errors"], 1)
        diagnostics = server.find(lambda l: l.get("msg") == "policy diagnostic", after=mark)
        self.assertTrue(diagnostics and all(d["file"].endswith("allowed.yaml") for d in diagnostics), diagnostics)
        self.assertTrue(self.allowed(server, "newteam"))  # the last good set still serves
        self.assertFalse(self.allowed(server, "default"))

        m = server.metrics()
        self.assertEqual(m['peergate_policy_reloads_total{result="success"}'], 1)
        self.assertEqual(m['peergate_policy_reloads_total{result="failure"}'], 1)

        # Fixed again, then a reload on SIGHUP.
        mark = server.mark()
        write(f"{policies}/allowed.yaml", policy_yaml("allowed", ["Deny"], ["confidential-*"]), atomic=True)
        server.wait_for(lambda l: l.get("msg") == "policies loaded", after=mark)
        self.assertFalse(self.allowed(server, "newteam"))
        mark = server.mark()
        server.terminate(signal.SIGHUP)
        server.wait_for(lambda l: l.get("msg") == "policies loaded" and l.get("cause") == "signal", after=mark)
        self.assertEqual(server.proc.poll(), None)

    def test_configmap_symlink_swap(self):
        # A ConfigMap volume: files are symlinks through ..data, which is swapped atomically.
        root = f"{self.dir}/cm"
        os.makedirs(f"{root}/..v1")
        write(f"{root}/..v1/policy.yaml", policy_yaml("cm", ["Deny"], ["confidential-*"]))
        os.symlink("..v1", f"{root}/..data")
        os.symlink("..data/policy.yaml", f"{root}/policy.yaml")
        server = Server(self, ["--policies", root])  # the mounted directory, as in a Deployment
        self.assertFalse(self.allowed(server, "swapped"))

        mark = server.mark()
        os.makedirs(f"{root}/..v2")
        write(f"{root}/..v2/policy.yaml", policy_yaml("cm", ["Deny"], ["confidential-*", "swapped"]))
        os.symlink("..v2", f"{root}/..data_tmp")
        os.rename(f"{root}/..data_tmp", f"{root}/..data")
        shutil.rmtree(f"{root}/..v1")
        server.wait_for(lambda l: l.get("msg") == "policies loaded" and l.get("cause") in ("change", "poll"), after=mark)
        self.assertTrue(self.allowed(server, "swapped"))

    def test_broken_policies_at_start_refuse_to_start(self):
        write(f"{self.dir}/bad.yaml", policy_yaml("bad", ["Sometimes"], ["x"]))
        server = Server(self, ["--policies", f"{self.dir}/bad.yaml"], expect_start=False)
        self.assertNotEqual(server.wait_exit(), 0)
        self.assertTrue(server.find(lambda l: l.get("msg") == "policy diagnostic"))


class ShutdownTests(unittest.TestCase):
    def test_sigterm_finishes_the_request_in_flight(self):
        server = Server(self, ["--shutdown-timeout", "20s", "--log-level", "trace"])
        idle = server.connection()
        idle.request("GET", "/healthz")
        idle.getresponse().read()  # an idle keep-alive connection must not hold the exit

        body = json.dumps(review("default")).encode()
        s = server.tls_socket()
        s.sendall(b"POST /admit?timeout=10s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:1000])
        server.wait_for(lambda l: l.get("msg") == "request headers read" and l.get("target") == "/admit?timeout=10s")
        mark = server.mark()
        server.terminate(signal.SIGTERM)
        server.wait_for(lambda l: l.get("msg") == "shutting down", after=mark)
        server.wait_for(lambda l: l.get("msg") == "draining", after=mark)  # listener closed
        s.sendall(body[1000:])
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 10:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, payload = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), data[:200])
        self.assertIn(b"Connection: close", head)
        payload = read_until_closed(s, payload, allow_reset=True)  # the rest of the body, then the server closes
        self.assertFalse(response_of(self, payload)["allowed"])
        # Drain started: no new connections.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
        s.close()
        started = time.monotonic()
        self.assertEqual(server.wait_exit(), 0)
        self.assertLess(time.monotonic() - started, 10)
        self.assertTrue(server.find(lambda l: l.get("msg") == "stopped"))
        idle.close()

    def test_requests_already_sent_when_draining_starts_are_all_answered(self):
        # The apiserver keeps its keep-alive connections to a pod that is shutting down. Whatever
        # it has sent when the drain starts is read and answered; only the last answer closes.
        # Deterministic: the next request sits in the socket buffer while the first is answered.
        # With one I/O thread connections run without a strand, with two on their own strands.
        for threads in ("1", "2"):
            with self.subTest(threads=threads):
                self.check_requests_already_sent_when_draining_starts_are_all_answered(threads)

    def check_requests_already_sent_when_draining_starts_are_all_answered(self, threads):
        server = Server(self, ["--shutdown-timeout", "20s", "--log-level", "trace"], threads=threads)
        s = server.tls_socket()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200 "))  # a keep-alive connection, reused below

        def post(uid, namespace):
            r = review(namespace)
            r["request"]["uid"] = uid
            body = json.dumps(r).encode()
            return (b"POST /validate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

        first, second = post("first", "default"), post("second", "confidential-ml")
        s.sendall(first[:-100])
        server.wait_for(lambda l: l.get("msg") == "request headers read")
        mark = server.mark()
        server.terminate(signal.SIGTERM)
        server.wait_for(lambda l: l.get("msg") == "draining", after=mark)
        s.sendall(first[-100:] + second)  # one TLS record: both are in the server's buffers at once
        data = read_until_closed(s, allow_reset=True)
        s.close()
        answers = []
        while data:
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
            answers.append((head, rest[:length]))
            data = rest[length:]
        self.assertEqual([json.loads(body)["response"]["uid"] for _, body in answers], ["first", "second"],
                         server.log_tail())
        self.assertNotIn(b"Connection: close", answers[0][0])  # the client had more to say
        self.assertIn(b"Connection: close", answers[1][0])
        self.assertFalse(json.loads(answers[0][1])["response"]["allowed"])
        self.assertTrue(json.loads(answers[1][1])["response"]["allowed"])
        self.assertEqual(server.wait_exit(), 0)

    def test_shutdown_delay_keeps_serving_new_connections_then_exits(self):
        server = Server(self, ["--shutdown-delay", "1500ms", "--shutdown-timeout", "5s"])
        kept = server.connection()
        kept.request("GET", "/healthz")
        resp = kept.getresponse()
        resp.read()
        self.assertIsNone(resp.getheader("Connection"))  # keep-alive before SIGTERM
        mark = server.mark()
        server.terminate(signal.SIGTERM)
        started = time.monotonic()
        line = server.wait_for(lambda l: l.get("msg") == "shutting down", after=mark)
        self.assertEqual(line.get("delay_ms"), 1500)
        # A keep-alive connection opened before is still served, and retired after that answer.
        resp, payload = server.post("/admit", review("default"), conn=kept)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.getheader("Connection"), "close")
        kept.close()
        # During the delay: a new connection is accepted, readiness says no, reviews are answered.
        resp, _ = server.get("/readyz")
        self.assertEqual(resp.status, 503)
        resp, payload = server.post("/admit", review("default"))
        self.assertEqual(resp.status, 200)
        self.assertFalse(response_of(self, payload)["allowed"])
        self.assertFalse(server.find(lambda l: l.get("msg") == "draining", after=mark))
        self.assertEqual(server.wait_exit(), 0)
        self.assertGreaterEqual(time.monotonic() - started, 1.4)
        self.assertTrue(server.find(lambda l: l.get("msg") == "draining", after=mark))

    def test_default_threads_follow_the_cpu_affinity(self):
        # --threads 0 counts the CPUs the process may use (a container's limit caps it the same
        # way through the cgroup quota), not the machine's.
        server = Server(self, threads="0", cpus={sorted(os.sched_getaffinity(0))[0]})
        self.assertEqual(server.find(lambda l: l.get("msg") == "starting")[0]["threads"], 1)
        server.terminate(signal.SIGTERM)
        self.assertEqual(server.wait_exit(), 0)

    def test_sighup_at_any_moment_of_the_shutdown_never_ends_the_process(self):
        # SIGHUP asks for a reload. Sent without a pause from SIGTERM until the process is gone, one
        # comes after the serving loop has let the signal go, while the audit log and the log are
        # flushed: were its default action back (Asio restores it), it would end the process there.
        for attempt in range(5):
            with self.subTest(attempt=attempt):
                d = tempfile.mkdtemp(prefix="peergate-sighup-")
                self.addCleanup(shutil.rmtree, d, True)
                server = Server(self, ["--audit-log", os.path.join(d, "audit.jsonl")])
                server.terminate(signal.SIGTERM)
                while server.proc.poll() is None:
                    os.kill(server.proc.pid, signal.SIGHUP)  # an exited, unreaped process takes it too
                self.assertEqual(server.wait_exit(), 0, server.log_tail())
                self.assertTrue(server.find(lambda l: l.get("msg") == "stopped"))

    def test_sigint_with_nothing_in_flight_exits_zero(self):
        server = Server(self)
        server.terminate(signal.SIGINT)
        self.assertEqual(server.wait_exit(), 0)


class UpstreamEnvironmentTests(unittest.TestCase):
    """Upstream's TARGET_RUNTIMECLASS and POD_VM_EXTENDED_RESOURCE act on the embedded defaults, as
    on the upstream webhook; a policy that writes other values keeps them and says so at each load."""

    ENV = {"TARGET_RUNTIMECLASS": "kata-remote-x", "POD_VM_EXTENDED_RESOURCE": "example.com/vm"}

    def mutate(self, server, runtime_class):
        body = review("confidential-ml")
        body["request"]["object"]["spec"]["runtimeClassName"] = runtime_class
        resp, payload = server.post("/mutate-v1-pod", body)
        self.assertEqual(resp.status, 200, payload)
        return response_of(self, payload)

    @staticmethod
    def resources_added(response):
        """The resource names the patch adds to containers[0] (JSON Pointer ~1 decoded)."""
        prefix = "/spec/containers/0/resources/"
        return {op["path"].rsplit("/", 1)[1].replace("~1", "/").replace("~0", "~")
                for op in patch_of(response) if op["op"] == "add" and op["path"].startswith(prefix)}

    def test_embedded_defaults_follow_the_variables(self):
        server = Server(self, env=self.ENV)  # no --policies: the shipped policies/ compiled in
        patched = self.mutate(server, "kata-remote-x")
        self.assertTrue(patched["allowed"])
        self.assertEqual(self.resources_added(patched), {"example.com/vm"}, patch_of(patched))

        untouched = self.mutate(server, "kata-remote")
        self.assertTrue(untouched["allowed"])
        self.assertNotIn("patch", untouched)
        self.assertFalse(server.find(lambda l: l.get("code") == "environment-mismatch"))

    def test_written_values_win_and_are_reported_at_every_load(self):
        policies = tempfile.mkdtemp(prefix="peergate-env-")
        self.addCleanup(shutil.rmtree, policies, True)
        write(f"{policies}/mutation.yaml", shipped_mutation().replace(
            "spec:\n", "spec:\n  runtimeClassName: kata-remote\n  extendedResource: kata.peerpods.io/vm\n", 1))
        server = Server(self, ["--policies", policies], env=self.ENV)
        mismatches = server.find(lambda l: l.get("code") == "environment-mismatch")
        self.assertEqual(len(mismatches), 2, mismatches)
        self.assertTrue(all(m["severity"] == "warning" and m["file"].endswith("mutation.yaml") for m in mismatches))
        self.assertIn("TARGET_RUNTIMECLASS", mismatches[0]["message"])
        self.assertIn("POD_VM_EXTENDED_RESOURCE", mismatches[1]["message"])
        # The file wins: kata-remote pods are counted with the resource the file names.
        self.assertEqual(self.resources_added(self.mutate(server, "kata-remote")), {"kata.peerpods.io/vm"})
        self.assertNotIn("patch", self.mutate(server, "kata-remote-x"))
        # Logged again at the next load.
        mark = server.mark()
        server.terminate(signal.SIGHUP)
        server.wait_for(lambda l: l.get("msg") == "policies loaded" and l.get("cause") == "signal", after=mark)
        self.assertEqual(len(server.find(lambda l: l.get("code") == "environment-mismatch", after=mark)), 2)


class AuditLogTests(unittest.TestCase):
    def test_denials_and_warnings_are_in_the_audit_log_after_sigterm_and_rotated(self):
        log = os.path.join(tempfile.mkdtemp(prefix="peergate-audit-"), "audit.jsonl")
        self.addCleanup(shutil.rmtree, os.path.dirname(log), True)
        server = Server(self, ["--audit-log", log, "--audit-log-max-bytes", "2Ki", "--audit-log-max-files", "3"])
        conn = server.connection()
        for i in range(20):  # about 400 bytes a line: several rotations
            r = review("default")
            r["request"]["uid"] = f"audit-{i}"
            resp, body = server.post("/admit", json.dumps(r).encode(), conn=conn)
            self.assertEqual(resp.status, 200)
            self.assertFalse(response_of(self, body)["allowed"])
        conn.close()
        server.terminate(signal.SIGTERM)
        self.assertEqual(server.wait_exit(), 0)
        files = [log] + [f"{log}.{n}" for n in (1, 2, 3)]
        self.assertFalse(os.path.exists(f"{log}.4"), "at most 3 rotated files are kept")
        lines = []
        for f in files:
            self.assertTrue(os.path.exists(f), f)
            with open(f) as handle:
                lines += [json.loads(l) for l in handle if l.strip()]
        self.assertTrue(all(os.path.getsize(f) <= 2048 for f in files))
        uids = {l["uid"] for l in lines}
        # The newest lines are never lost: the last request answered before SIGTERM is there.
        self.assertIn("audit-19", uids)
        last = [l for l in lines if l["uid"] == "audit-19"][0]
        self.assertEqual(last["policy"], "peer-pods-allowed-namespaces")
        self.assertEqual(last["namespace"], "default")
        self.assertEqual(last["action"], "deny")

    def test_a_controller_made_pod_keeps_its_generate_name_from_serve_to_audit_from_log(self):
        # A ReplicaSet's pod: CREATE with metadata.generateName and no name (the apiserver sends
        # request.name empty). The server's log line, the audit log and the report all say so.
        log = os.path.join(tempfile.mkdtemp(prefix="peergate-audit-"), "audit.jsonl")
        self.addCleanup(shutil.rmtree, os.path.dirname(log), True)
        server = Server(self, ["--audit-log", log])
        r = review("default")
        r["request"].pop("name", None)
        meta = r["request"]["object"]["metadata"]
        meta.pop("name", None)
        meta["generateName"] = "web-7c5ddbdf54-"
        r["request"]["userInfo"] = {"username": "system:serviceaccount:kube-system:replicaset-controller"}
        uid = r["request"]["uid"]
        mark = server.mark()
        resp, body = server.post("/validate", json.dumps(r).encode())
        self.assertEqual(resp.status, 200)
        self.assertFalse(response_of(self, body)["allowed"])
        line = server.wait_for(lambda l: l.get("msg") == "admission" and l.get("uid") == uid, after=mark)
        self.assertEqual(line.get("generateName"), "web-7c5ddbdf54-", line)
        self.assertNotIn("name", line)
        server.terminate(signal.SIGTERM)
        self.assertEqual(server.wait_exit(), 0)

        with open(log) as handle:
            lines = [json.loads(l) for l in handle if l.strip()]
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(lines[0]["generateName"], "web-7c5ddbdf54-", lines[0])
        self.assertNotIn("name", lines[0])

        report = subprocess.run([BINARY, "audit", "--from-log", log, "--format", "json"], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(report.returncode, 0, report.stderr)
        entries = json.loads(report.stdout)["entries"]
        self.assertEqual(len(entries), 1, entries)
        self.assertEqual(entries[0]["generateName"], "web-7c5ddbdf54-", entries[0])
        self.assertNotIn("name", entries[0])
        self.assertEqual(entries[0]["user"], "system:serviceaccount:kube-system:replicaset-controller")
        table = subprocess.run([BINARY, "audit", "--from-log", log], capture_output=True, text=True, timeout=60)
        self.assertIn("Pod/web-7c5ddbdf54-*", table.stdout)


VM_ANNOTATION = "io.katacontainers.config.hypervisor."


def initdata_fixture(name):
    """A file of tests/data/initdata, made by GNU gzip and coreutils base64 (make_fixtures.sh)."""
    return read(os.path.join(SOURCE, "tests", "data", "initdata", name)).decode()


def write_vm_policies(d):
    """The shipped mutation; a Deny namespace policy for team-* and lab-*; team-vm-limits (Deny,
    team-*) with every limit, its initdata list holding the fixture document's sha256 (as
    sha256sum printed it); lab-vm-advice ([Warn, Audit], lab-*) with 2 vCPUs at most."""
    os.makedirs(d, exist_ok=True)
    allowed_sha256 = initdata_fixture("initdata.toml.sha256").split()[0]
    write(f"{d}/mutation.yaml", shipped_mutation())
    write(f"{d}/namespaces.yaml", policy_yaml("peer-pods-namespaces", ["Deny"], ["team-*", "lab-*"]))
    write(f"{d}/team-vm.yaml",
          "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodVMPolicy\nmetadata:\n  name: team-vm-limits\nspec:\n"
          "  runtimeClassNames: [kata-remote]\n  validationActions: [Deny]\n  namespaces: [\"team-*\"]\n  vm:\n"
          "    instanceTypes: [\"Standard_DC*as_v5\", {regex: \"m6a\\\\.(large|xlarge)\"}]\n"
          "    maxVCPUs: 4\n    maxMemory: 16Gi\n    maxGPUs: 0\n    images: []\n"
          f"    initData:\n      digests: [\"sha256:{allowed_sha256}\"]\n")
    write(f"{d}/lab-vm.yaml",
          "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodVMPolicy\nmetadata:\n  name: lab-vm-advice\nspec:\n"
          "  runtimeClassNames: [kata-remote]\n  validationActions: [Warn, Audit]\n  namespaces: [\"lab-*\"]\n"
          "  vm:\n    maxVCPUs: 2\n")


def vm_pod_review(namespace, cpu, memory, annotations=None):
    """The sample peer pod with one container sized cpu/memory (requests = limits) and no other
    resources, so the mutation writes default_vcpus = cpu and default_memory = memory in MiB."""
    r = review(namespace)
    obj = r["request"]["object"]
    spec = obj["spec"]
    spec.pop("initContainers", None)
    for c in spec["containers"]:
        c.pop("resources", None)
    spec["containers"][0]["resources"] = {"requests": {"cpu": cpu, "memory": memory},
                                          "limits": {"cpu": cpu, "memory": memory}}
    obj["metadata"].setdefault("annotations", {}).update({VM_ANNOTATION + k: v for k, v in (annotations or {}).items()})
    return r


def deployment_review(namespace, cpu, operation="CREATE", replicas=2, old_cpu=None):
    """kubectl's Deployment (samples/objects/deployment-web.json, kata-remote) with its template's
    container sized cpu/2Gi (requests = limits: the apiserver defaults a Pod's requests to its
    limits, not a template's); an UPDATE's old object is the same Deployment sized old_cpu."""
    with open(os.path.join(SOURCE, "samples", "objects", "deployment-web.json")) as f:
        base = json.load(f)

    def sized(c, n):
        d = copy.deepcopy(base)
        d["metadata"]["namespace"] = namespace
        d["spec"]["replicas"] = n
        size = {"cpu": c, "memory": "2Gi"}
        d["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": size, "limits": dict(size)}
        return d

    _uid_counter[0] += 1
    request = {
        "uid": f"00000000-0000-4000-9000-{_uid_counter[0]:012d}",
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "name": "web", "namespace": namespace, "operation": operation,
        "userInfo": {"username": "alice@example.com", "groups": ["system:authenticated"]},
        "object": sized(cpu, replicas),
        "oldObject": sized(old_cpu, 2) if operation == "UPDATE" else None,
    }
    return {"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": request}


class VMPolicyTests(unittest.TestCase):
    """PeerPodVMPolicy and PeerPodMutation in one chain: the VM the mutation writes is the one
    checked; initdata made by real gzip and base64; templates; Warn; metrics and logs by rule."""

    @classmethod
    def setUpClass(cls):
        import jsonpatch  # Debian python3-jsonpatch, an RFC 6902 implementation nobody here wrote
        cls.jsonpatch = jsonpatch
        cls.policy_dir = tempfile.mkdtemp(prefix="peergate-vm-policies-")
        write_vm_policies(cls.policy_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.policy_dir, True)

    def start(self, *args):
        self.server = Server(self, ["--policies", self.policy_dir, *args])

    def decide(self, path, body):
        return decision_of(self, self.server, path, body)

    def patched(self, body, answer):
        """The review's object after python3-jsonpatch applied the answer's patch."""
        self.assertEqual(answer.get("patchType"), "JSONPatch", answer)
        return self.jsonpatch.apply_patch(body["request"]["object"], patch_of(answer))

    def with_object(self, body, obj):
        """The same review about `obj` (what a validating webhook sees behind the mutating one)."""
        again = copy.deepcopy(body)
        again["request"]["object"] = obj
        return again

    def test_the_vm_the_mutation_writes_is_checked(self):
        self.start()
        body = vm_pod_review("team-a", "6", "8Gi")
        # The mutate path alone allows it: it writes the sizes, it judges nothing.
        mutated = self.decide("/mutate", body)
        self.assertTrue(mutated["allowed"], mutated)
        pod = self.patched(body, mutated)
        self.assertEqual(pod["metadata"]["annotations"][VM_ANNOTATION + "default_vcpus"], "6")
        self.assertEqual(pod["metadata"]["annotations"][VM_ANNOTATION + "default_memory"], "8192")

        denied = self.decide("/admit", body)
        self.assertFalse(denied["allowed"], denied)
        self.assertEqual(denied["status"]["code"], 403)
        self.assertNotIn("patch", denied)
        message = denied["status"]["message"]
        self.assertIn('[team-vm-limits] Pod "inference-7d9c5b8f6d-*" asks for a VM with 6 vCPUs in namespace "team-a"; '
                      "at most 4 allowed", message)
        self.assertNotIn("memory", message)  # 8192 MiB is within 16Gi

        # A validating webhook behind a separate mutating one sees the mutated pod: same answer.
        behind = self.decide("/validate", self.with_object(body, pod))
        self.assertFalse(behind["allowed"])
        self.assertEqual(behind["status"]["message"], message)

    def test_a_pod_within_the_limits_is_allowed_with_its_patch(self):
        self.start()
        body = vm_pod_review("team-a", "2", "4Gi", {"machine_type": "m6a.xlarge"})
        allowed = self.decide("/admit", body)
        self.assertTrue(allowed["allowed"], allowed)
        self.assertNotIn("warnings", allowed)
        pod = self.patched(body, allowed)
        annotations = pod["metadata"]["annotations"]
        self.assertEqual(annotations[VM_ANNOTATION + "default_vcpus"], "2")
        self.assertEqual(annotations[VM_ANNOTATION + "default_memory"], "4096")
        self.assertEqual(annotations[VM_ANNOTATION + "machine_type"], "m6a.xlarge")
        resources = pod["spec"]["containers"][0]["resources"]
        self.assertEqual(resources["limits"], {"kata.peerpods.io/vm": "1"})
        # The mutated pod passes validation too, and a second pass has nothing left to patch.
        self.assertTrue(self.decide("/validate", self.with_object(body, pod))["allowed"])
        again = self.decide("/admit", self.with_object(body, pod))
        self.assertTrue(again["allowed"], again)
        self.assertNotIn("patch", again)

        # An instance type that neither the glob nor the regex allows.
        other = self.decide("/admit", vm_pod_review("team-a", "2", "4Gi", {"machine_type": "Standard_D4s_v5"}))
        self.assertFalse(other["allowed"])
        self.assertIn('asks for a VM of instance type "Standard_D4s_v5" in namespace "team-a"; allowed: '
                      "Standard_DC*as_v5", other["status"]["message"])

    def test_initdata_made_by_gzip_and_base64(self):
        self.start()
        good = self.decide("/admit", vm_pod_review("team-a", "1", "1Gi", {"cc_init_data": initdata_fixture("initdata.b64")}))
        self.assertTrue(good["allowed"], good)
        self.assertTrue(patch_of(good))
        # base64 wrapped at 76 columns, as `base64` writes by default: the same document.
        wrapped = self.decide("/admit", vm_pod_review("team-a", "1", "1Gi",
                                                      {"cc_init_data": initdata_fixture("initdata.wrapped.b64")}))
        self.assertTrue(wrapped["allowed"], wrapped)

        # Two gzip members (cat a.gz b.gz): a valid stream of another document, the fixture twice.
        concatenated = initdata_fixture("concatenated.b64")
        document = gzip.decompress(base64.b64decode(concatenated))
        self.assertEqual(document, 2 * read(os.path.join(SOURCE, "tests", "data", "initdata", "initdata.toml")))
        other = self.decide("/admit", vm_pod_review("team-a", "1", "1Gi", {"cc_init_data": concatenated}))
        self.assertFalse(other["allowed"])
        self.assertNotIn("patch", other)
        message = other["status"]["message"]
        self.assertIn("[team-vm-limits]", message)
        self.assertIn("asks for a VM with initdata sha256:" + hashlib.sha256(document).hexdigest()[:40], message)

        bad = self.decide("/admit", vm_pod_review("team-a", "1", "1Gi", {"cc_init_data": initdata_fixture("not-gzip.b64")}))
        self.assertFalse(bad["allowed"])
        self.assertIn("asks for a VM with an invalid cc_init_data", bad["status"]["message"])
        self.assertIn("not gzip data", bad["status"]["message"])

    def test_an_oversized_deployment_fails_at_apply(self):
        self.start()
        for path in ("/validate", "/admit"):
            with self.subTest(path=path):
                big = self.decide(path, deployment_review("team-a", "8"))
                self.assertFalse(big["allowed"], big)
                self.assertIn('[team-vm-limits] Deployment "web" asks for a VM with 8 vCPUs in namespace "team-a"; '
                              "at most 4 allowed", big["status"]["message"])
                self.assertNotIn("patch", big)  # templates are checked, never patched
                small = self.decide(path, deployment_review("team-a", "3"))
                self.assertTrue(small["allowed"], small)
                self.assertNotIn("patch", small)
        # Scaling a Deployment that is already over the limit changes no VM: never blocked.
        scaled = self.decide("/validate", deployment_review("team-a", "8", "UPDATE", replicas=5, old_cpu="8"))
        self.assertTrue(scaled["allowed"], scaled)
        raised = self.decide("/validate", deployment_review("team-a", "8", "UPDATE", old_cpu="2"))
        self.assertFalse(raised["allowed"], raised)

    def test_a_warn_vm_policy_allows_with_warnings_and_audits(self):
        self.start()
        mark = self.server.mark()
        body = vm_pod_review("lab-1", "3", "2Gi")
        warned = self.decide("/admit", body)
        self.assertTrue(warned["allowed"], warned)
        self.assertTrue(patch_of(warned))
        self.assertEqual(warned.get("warnings"),
                         ['[lab-vm-advice] Pod "inference-7d9c5b8f6d-*" asks for a VM with 3 vCPUs in namespace '
                          '"lab-1"; at most 2 allowed'])
        uid = body["request"]["uid"]
        audit = self.server.wait_for(lambda l: l.get("msg") == "audit" and l.get("uid") == uid, after=mark)
        self.assertEqual((audit["policy"], audit["rule"]), ("lab-vm-advice", "vcpus"))
        line = self.server.wait_for(lambda l: l.get("msg") == "admission" and l.get("uid") == uid, after=mark)
        self.assertEqual(line["warnings"], 1)
        self.assertIn("lab-vm-advice", line["policies"])

    def test_metrics_and_audit_log_count_vm_results_by_rule(self):
        log = os.path.join(tempfile.mkdtemp(prefix="peergate-audit-"), "audit.jsonl")
        self.addCleanup(shutil.rmtree, os.path.dirname(log), True)
        self.start("--audit-log", log)
        over = vm_pod_review("team-a", "6", "8Gi")
        within = vm_pod_review("team-a", "2", "4Gi", {"cc_init_data": initdata_fixture("initdata.b64")})
        other_initdata = vm_pod_review("team-a", "2", "4Gi", {"cc_init_data": initdata_fixture("concatenated.b64")})
        deployment = deployment_review("team-a", "8")
        lab = vm_pod_review("lab-1", "3", "2Gi")
        self.assertFalse(self.decide("/admit", over)["allowed"])  # vcpus violated, five limits pass
        self.assertTrue(self.decide("/mutate", over)["allowed"])  # the mutation alone: no VM findings
        self.assertTrue(self.decide("/admit", within)["allowed"])  # every limit passes
        self.assertFalse(self.decide("/admit", other_initdata)["allowed"])  # initdata violated
        self.assertFalse(self.decide("/validate", deployment)["allowed"])  # vcpus violated (template)
        self.assertTrue(self.decide("/admit", lab)["allowed"])  # lab-vm-advice: warn and audit

        m = self.server.metrics()

        def results(policy, rule, action, result):
            return m.get(f'peergate_policy_results_total{{policy="{policy}",rule="{rule}",action="{action}",'
                         f'result="{result}"}}', 0)

        self.assertEqual(m['peergate_policies_loaded{kind="PeerPodVMPolicy"}'], 2)
        self.assertEqual(m['peergate_policies_loaded{kind="PeerPodPolicy"}'], 1)
        self.assertEqual(self.server.find(lambda l: l.get("msg") == "policies loaded")[0]["vm_policies"], 2)
        team = "team-vm-limits"
        self.assertEqual(results(team, "vcpus", "deny", "violation"), 2)
        self.assertEqual(results(team, "vcpus", "none", "pass"), 2)
        self.assertEqual(results(team, "initdata", "deny", "violation"), 1)
        self.assertEqual(results(team, "initdata", "none", "pass"), 3)
        for rule in ("instance-type", "memory", "gpus", "image"):
            self.assertEqual(results(team, rule, "none", "pass"), 4, rule)
            self.assertEqual(results(team, rule, "deny", "violation"), 0, rule)
        self.assertEqual(results("lab-vm-advice", "vcpus", "warn", "violation"), 1)
        self.assertEqual(results("lab-vm-advice", "vcpus", "audit", "violation"), 1)
        self.assertEqual(results("peer-pods", "mutation", "none", "pass"), 5)  # 4 admits, 1 mutate
        self.assertEqual(results("peer-pods-namespaces", "allowed-namespaces", "none", "pass"), 5)
        # Bounded: each policy only under its own kind's rules.
        rules_of = {}
        for key in m:
            found = re.match(r'peergate_policy_results_total\{policy="([^"]*)",rule="([^"]*)",', key)
            if found:
                rules_of.setdefault(found.group(1), set()).add(found.group(2))
        self.assertEqual(rules_of["peer-pods-namespaces"], {"allowed-namespaces"})
        self.assertEqual(rules_of["peer-pods"], {"mutation"})
        self.assertEqual(rules_of[team], {"instance-type", "vcpus", "memory", "gpus", "image", "initdata"})
        self.assertEqual(rules_of["lab-vm-advice"], {"vcpus"})

        self.server.terminate(signal.SIGTERM)
        self.assertEqual(self.server.wait_exit(), 0)
        with open(log) as handle:
            lines = [json.loads(l) for l in handle if l.strip()]
        self.assertEqual(sorted((l["uid"], l["policy"], l["rule"], l["action"]) for l in lines), sorted([
            (over["request"]["uid"], team, "vcpus", "deny"),
            (other_initdata["request"]["uid"], team, "initdata", "deny"),
            (deployment["request"]["uid"], team, "vcpus", "deny"),
            (lab["request"]["uid"], "lab-vm-advice", "vcpus", "warn"),
            (lab["request"]["uid"], "lab-vm-advice", "vcpus", "audit"),
        ]))
        self.assertIn("6 vCPUs", next(l["message"] for l in lines if l["uid"] == over["request"]["uid"]))


def rfc3339(t):
    """Unix time `t` (whole seconds) as RFC 3339 in UTC."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def exception_yaml(name, policy, namespace, expires, warn_before="1h", reason="OPS-1: trial"):
    return ("apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicyException\n"
            f"metadata:\n  name: {name}\nspec:\n  policies: [{policy}]\n  namespaces: [{namespace}]\n"
            f'  expires: "{expires}"\n  reason: "{reason}"\n  warnBefore: {warn_before}\n')


class ExceptionTests(unittest.TestCase):
    """PeerPodPolicyException over TLS: an exception applies (audit annotation, warning near its
    end, peergate_exception_uses_total), ends by the clock with no reload, and review, test and
    audit give the server's decision at the same --now."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="peergate-exception-policies-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        write(f"{self.dir}/policy.yaml", policy_yaml("deny-outside", ["Deny"], ["confidential-*"]))
        write(f"{self.dir}/mutation.yaml", shipped_mutation())

    def decide(self, server, body):
        resp, payload = server.post("/validate", body)
        self.assertEqual(resp.status, 200, payload)
        return response_of(self, payload)

    def test_an_exception_ends_by_the_clock_without_a_reload(self):
        # A few seconds ahead: enough to start the server and decide once before it ends.
        expires = int(time.time()) + 8
        write(f"{self.dir}/exception.yaml", exception_yaml("ml-trial", "deny-outside", "ml-research", rfc3339(expires)))
        server = Server(self, ["--policies", self.dir])
        loaded = server.find(lambda l: l.get("msg") == "policies loaded")
        self.assertEqual(loaded[-1]["exceptions"], 1, loaded)
        mark = server.mark()

        body = review("ml-research")
        active = self.decide(server, body)
        self.assertLess(time.time(), expires, "the machine was too slow to decide before the exception ended")
        self.assertTrue(active["allowed"], active)
        self.assertEqual(active["auditAnnotations"],
                         {"ml-trial": f"exempts deny-outside until {rfc3339(expires)}: OPS-1: trial"})
        self.assertEqual(active["warnings"],
                         [f'exception "ml-trial" for policy "deny-outside" expires {rfc3339(expires)}'])
        decided = server.wait_for(lambda l: l.get("msg") == "admission" and l.get("uid") == body["request"]["uid"])
        self.assertEqual(decided["decision"], "allowed")
        used = server.wait_for(lambda l: l.get("msg") == "exception used" and l.get("uid") == body["request"]["uid"])
        self.assertEqual((used["exception"], used["policy"], used["namespace"]), ("ml-trial", "deny-outside", "ml-research"))
        metrics = server.metrics()
        self.assertEqual(metrics['peergate_exception_uses_total{exception="ml-trial",policy="deny-outside"}'], 1)
        self.assertEqual(metrics['peergate_policies_loaded{kind="PeerPodPolicyException"}'], 1)
        left = metrics["peergate_exception_nearest_expiry_seconds"]
        self.assertTrue(0 < left <= 8, left)
        # Another namespace is not covered: refused as usual.
        self.assertFalse(self.decide(server, review("ml-other"))["allowed"])

        # At expires it stops applying: the clock, not a reload, ends it. Waiting for the clock is
        # the point of this test, so this one sleeps.
        time.sleep(max(0.0, expires - time.time()) + 0.2)
        expired = self.decide(server, review("ml-research"))
        self.assertFalse(expired["allowed"], expired)
        self.assertEqual(expired["status"]["code"], 403)
        self.assertIn("[deny-outside]", expired["status"]["message"])
        self.assertNotIn("auditAnnotations", expired)
        self.assertNotIn("warnings", expired)
        self.assertEqual(server.find(lambda l: l.get("msg") in ("policies loaded", "policy reload failed"), mark), [])
        metrics = server.metrics()
        self.assertEqual(metrics['peergate_exception_uses_total{exception="ml-trial",policy="deny-outside"}'], 1)
        self.assertEqual(metrics['peergate_policy_reloads_total{result="success"}'], 0)
        self.assertLess(metrics["peergate_exception_nearest_expiry_seconds"], 0)

    def cli(self, *args, stdin=None):
        return subprocess.run([BINARY, *args], input=stdin, capture_output=True, text=True, timeout=60)

    def test_review_test_and_audit_decide_as_the_server_at_the_same_now(self):
        now = int(time.time())
        # One active and near its end (warnBefore 2h), one ended an hour ago (check warns, loads).
        write(f"{self.dir}/exception.yaml",
              exception_yaml("ml-trial", "deny-outside", "ml-research", rfc3339(now + 3600), warn_before="2h") + "---\n" +
              exception_yaml("old-trial", "deny-outside", "ml-old", rfc3339(now - 3600)))
        server = Server(self, ["--policies", self.dir])
        at = rfc3339(time.time())  # the server decides at its clock; the CLI is told the same second
        for namespace in ("ml-research", "ml-old", "ml-other"):
            with self.subTest(namespace=namespace):
                body = review(namespace)
                served = self.decide(server, body)
                # review: the same response, at the same time.
                path = os.path.join(self.dir, f"review-{namespace}.json")  # JSON: not a policy file
                write(path, json.dumps(body))
                run = self.cli("review", "--step", "validate", "--now", at, "--policies", self.dir, path)
                self.assertIn(run.returncode, (0, 1), run.stderr)
                offline = json.loads(run.stdout.splitlines()[0])["response"]
                self.assertEqual(offline, served)

                # test: a case that expects what the server answered.
                expect = {"allowed": served["allowed"], "warnings": served.get("warnings", []),
                          "auditAnnotations": served.get("auditAnnotations", {}),
                          "results": [{"policy": "deny-outside", "rule": "allowed-namespaces",
                                       "result": "skip" if served["allowed"] else "violation"}]}
                suite = {"apiVersion": "peergate.dev/v1alpha1", "kind": "PeerPodPolicyTest",
                         "metadata": {"name": "same-as-serve"},
                         "spec": {"policies": [self.dir],
                                  "cases": [{"name": namespace, "now": at, "step": "validate",
                                             "reviewFile": path, "expect": expect}]}}
                suite_path = os.path.join(self.dir, f"suite-{namespace}.json")  # JSON: not a policy file
                write(suite_path, json.dumps(suite))
                run = self.cli("test", suite_path)
                self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

                # audit: the stored pod, evaluated at the same time: skip with the exception's name
                # and reason where the server let it in, fail where it refused it.
                run = self.cli("audit", "--now", at, "--policies", self.dir, "--format", "json", "-f", "-",
                               stdin=json.dumps(body["request"]["object"]))
                self.assertEqual(run.returncode, 0, run.stderr)
                report = json.loads(run.stdout)
                results = {r["policy"]: r for r in report["objects"][0]["results"]}
                policy = results["deny-outside"]
                if served["allowed"]:
                    self.assertEqual(policy["result"], "skip", policy)
                    self.assertEqual(policy["message"], f'exempt by exception "ml-trial" until {rfc3339(now + 3600)}: '
                                                        "OPS-1: trial")
                else:
                    self.assertEqual(policy["result"], "fail", policy)
        self.assertTrue(self.decide(server, review("ml-research"))["allowed"])


class SlowClientTests(unittest.TestCase):
    def test_slow_headers_are_cut_off_while_others_are_served(self):
        server = Server(self, ["--header-timeout", "1s", "--idle-timeout", "30s"])
        slow = server.tls_socket()
        slow.setblocking(False)
        results = {}

        def trickle():
            start = time.monotonic()
            header = b"POST /admit HTTP/1.1\r\nHost: slow\r\n" + b"X-Slow: " + b"a" * 200
            sent = 0
            while time.monotonic() - start < 15 and sent < len(header):
                try:
                    slow.send(header[sent:sent + 1])
                    sent += 1
                except ssl.SSLWantWriteError:
                    pass
                except (ssl.SSLError, OSError):
                    break
                # Pace one byte every 100 ms; a readable socket means the server closed it.
                r, _, _ = select.select([slow], [], [], 0.1)
                if r:
                    try:
                        if slow.recv(4096) == b"":
                            break
                    except ssl.SSLWantReadError:
                        continue
                    except (ssl.SSLError, OSError):
                        break
            results["elapsed"] = time.monotonic() - start
            results["sent"] = sent
            results["header"] = len(header)

        t = threading.Thread(target=trickle)
        t.start()
        served = 0
        while t.is_alive() and served < 200:
            resp, payload = server.post("/admit", review("default"))
            self.assertEqual(resp.status, 200)
            served += 1
        t.join()
        slow.close()
        self.assertGreater(served, 0)
        # Cut off before the headers were complete (they would take ~25 s at this pace), about
        # --header-timeout after the first byte.
        self.assertLess(results["sent"], results["header"], results)
        self.assertLess(results["elapsed"], 10, results)
        self.assertGreaterEqual(results["elapsed"], 0.8, results)
        self.assertGreaterEqual(server.metrics()['peergate_connection_timeouts_total{phase="header"}'], 1)

    def test_idle_keep_alive_is_closed(self):
        server = Server(self, ["--idle-timeout", "500ms"])
        s = server.tls_socket()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(4096)
        self.assertTrue(data.startswith(b"HTTP/1.1 200"))
        s.settimeout(5)
        started = time.monotonic()
        try:
            self.assertEqual(s.recv(4096), b"")
        except (ssl.SSLError, ConnectionError):
            pass
        self.assertLess(time.monotonic() - started, 4)

    def test_max_connections(self):
        server = Server(self, ["--max-connections", "2"])
        a, b = server.tls_socket(), server.tls_socket()
        for s in (a, b):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            c = server.tls_socket()
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            if c.recv(4096) == b"":
                raise ConnectionError("closed")
        a.close()
        # Once the server has seen the close (asynchronously), a new connection is accepted again.
        def until_accepted(action):
            deadline = time.monotonic() + 15
            while True:
                try:
                    return action()
                except (ssl.SSLError, ConnectionError, OSError, http.client.HTTPException):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)

        resp, _ = until_accepted(lambda: server.get("/healthz"))
        self.assertEqual(resp.status, 200)
        b.close()
        self.assertGreaterEqual(until_accepted(server.metrics)["peergate_connections_rejected_total"], 1)


MAX_BODY_BYTES = 8 * 1024 * 1024  # --max-body-bytes' default


def padded_to_size(r, size, kept=False):
    """The review `r` as a body of exactly `size` bytes: an array of zeros (the cheapest bytes to
    send and, for a document tree, the dearest to decode: one value for every two bytes) and a
    label that makes up the last byte. The zeros go under the object's spec, which the review
    parser scans without building; with `kept`, under metadata.annotations, which it keeps whole,
    so a document tree of them is built. Also used by bench/server/memory.py."""
    obj = r["request"]["object"]
    obj["metadata"].setdefault("labels", {})["fill"] = ""
    if kept:
        obj["metadata"].setdefault("annotations", {})["padding"] = "PADDING"
    else:
        obj["spec"]["padding"] = "PADDING"
    text = json.dumps(r, separators=(",", ":"))
    room = size - (len(text) - len('"PADDING"')) - 2  # for the zeros between [ and ]
    zeros = (room + 1) // 2  # "0", then ",0" each
    text = text.replace('"fill":""', '"fill":"' + "x" * (room - (2 * zeros - 1)) + '"')
    body = text.replace('"PADDING"', "[" + ",".join(["0"] * zeros) + "]").encode()
    assert len(body) == size, (len(body), size)
    return body


def max_size_review(size=MAX_BODY_BYTES, uid_suffix=0, kept=False):
    """(uid, body): a review of exactly `size` bytes (padded_to_size)."""
    r = review("confidential-ml")
    r["request"]["uid"] = f"00000000-0000-4000-9000-{uid_suffix:012d}"
    return r["request"]["uid"], padded_to_size(r, size, kept)


class MemoryTests(unittest.TestCase):
    """Reviews at the body limit, one and several at once, with the shipping memory limits and with
    small ones: every answer is well formed (a review, or a 413/503 JSON error), the process lives
    on and serves a normal review afterwards. Memory figures are bench/server/memory.py's, not
    assertions here."""

    def check_answer(self, status, headers, payload, uid):
        """A review answered (200, this uid, allowed true or false) or refused with a JSON error."""
        self.assertIn(status, (200, 413, 503), payload[:300])
        doc = json.loads(payload)
        if status == 200:
            resp = response_of(self, payload)
            self.assertEqual(resp["uid"], uid)
            self.assertIsInstance(resp["allowed"], bool)
            if not resp["allowed"]:
                self.assertIsInstance(resp["status"]["message"], str)
            return "allowed" if resp["allowed"] else "denied"
        self.assertEqual(list(doc), ["error"], doc)
        self.assertIsInstance(doc["error"], str)
        if status == 503:
            self.assertEqual(headers.get("Retry-After"), "1")
            self.assertIn("--max-inflight-bytes", doc["error"])
        else:
            self.assertTrue("--max-document-bytes" in doc["error"] or "--max-body-bytes" in doc["error"] or
                            "too large" in doc["error"], doc)
        return str(status)

    def post_raw(self, server, body, context=None):
        """POSTs `body` to /admit as a careful client does with a large body: headers first with
        `Expect: 100-continue`, the body only after `100 Continue`. Returns (status, headers, payload)."""
        sock = server.tls_socket(context)
        sock.settimeout(60)
        try:
            sock.sendall(b"POST /admit?timeout=10s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
            status, headers, payload, rest = read_response(sock)
            if status == 100:
                sock.sendall(body)
                status, headers, payload, _ = read_response(sock, rest)
            return status, headers, payload
        finally:
            sock.close()

    def check_still_serving(self, server):
        self.assertIsNone(server.proc.poll(), "the server died; log:\n" + server.log_tail())
        resp, payload = server.post("/admit", review("confidential-ml"))
        self.assertEqual(resp.status, 200, payload)
        self.assertTrue(response_of(self, payload)["allowed"])
        self.assertEqual(server.get("/healthz")[0].status, 200)
        values = server.metrics()
        self.assertEqual(values["peergate_request_bytes_in_flight"], 0)
        return values

    def test_one_max_size_review_with_the_shipping_limits(self):
        server = Server(self, ["--log-level", "info"])
        # Zeros the parser scans without building (answered), then zeros it keeps (a tree over
        # --max-document-bytes: 413).
        for kept, expected in ((False, "allowed"), (True, "413")):
            uid, body = max_size_review(kept=kept)
            status, headers, payload = self.post_raw(server, body)
            outcome = self.check_answer(status, headers, payload, uid)
            print(f"\nmemory: one {len(body)}-byte review, zeros kept={kept}: {outcome}", file=sys.stderr)
            self.assertEqual(outcome, expected)
            self.check_still_serving(server)

    def test_max_size_reviews_at_once(self):
        # Room for two bodies at the limit: of six sent at once, some are likely shed with 503.
        server = Server(self, ["--log-level", "info", "--max-inflight-bytes", "16Mi"])
        context = server.context()
        reviews = [max_size_review(uid_suffix=n, kept=n % 2 == 1) for n in range(6)]
        answers = [None] * len(reviews)

        def send(n):
            try:
                answers[n] = self.post_raw(server, reviews[n][1], context)
            except (OSError, ValueError) as e:
                answers[n] = e

        threads = [threading.Thread(target=send, args=(n,)) for n in range(len(reviews))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        outcomes = []
        for n, answer in enumerate(answers):
            self.assertIsInstance(answer, tuple, f"client {n} got no answer: {answer!r}; log:\n{server.log_tail()}")
            outcomes.append(self.check_answer(*answer, reviews[n][0]))
        print(f"\nmemory: {len(reviews)} max-size reviews at once: {outcomes}", file=sys.stderr)
        values = self.check_still_serving(server)
        self.assertEqual(values["peergate_request_bytes_in_flight_limit"], 16 * 1024 * 1024)

    def test_a_body_over_the_budget_is_refused_503_before_it_is_read(self):
        server = Server(self, ["--max-inflight-bytes", "8Mi"])
        uid, body = max_size_review()
        head = (f"POST /admit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n").encode()
        # The first client sends its headers and a little of its body: its body holds the budget.
        first = server.tls_socket()
        first.sendall(head + b"\r\n" + body[:1000])
        deadline = time.monotonic() + 10
        while server.metrics()["peergate_request_bytes_in_flight"] != len(body):
            self.assertLess(time.monotonic(), deadline, "the first body never held the budget")
            time.sleep(0.02)
        # The second asks to send the same: 503 with Retry-After, its body never asked for.
        second = server.tls_socket()
        second.sendall(head + b"Expect: 100-continue\r\n\r\n")
        status, headers, payload, _ = read_response(second)
        second.close()
        self.assertEqual(status, 503, payload)
        self.assertEqual(headers["Connection"], "close")
        self.check_answer(503, headers, payload, uid)
        self.assertEqual(server.metrics()["peergate_requests_shed_total"], 1)
        # The first body, sent whole, is answered; then the budget is free again.
        first.sendall(body[1000:])
        status, headers, payload, _ = read_response(first)
        first.close()
        self.check_answer(status, headers, payload, uid)
        self.check_still_serving(server)

    def test_a_chunked_body_holds_the_body_limit_until_answered(self):
        server = Server(self, ["--max-inflight-bytes", "8Mi"])
        r = review("confidential-ml")
        body = json.dumps(r).encode()
        chunked = server.tls_socket()
        chunked.sendall(b"POST /admit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % 100 + body[:100] + b"\r\n")
        deadline = time.monotonic() + 10
        while server.metrics()["peergate_request_bytes_in_flight"] != MAX_BODY_BYTES:
            self.assertLess(time.monotonic(), deadline, "the chunked body never held the budget")
            time.sleep(0.02)
        # Any other body is shed meanwhile; a request without one is not.
        resp, payload = server.post("/admit", review("confidential-ml"))
        self.check_answer(resp.status, resp.headers, payload, None)
        self.assertEqual(resp.status, 503)
        self.assertEqual(server.get("/healthz")[0].status, 200)
        rest = body[100:]
        chunked.sendall(b"%x\r\n" % len(rest) + rest + b"\r\n0\r\n\r\n")
        status, headers, payload, _ = read_response(chunked)
        chunked.close()
        self.assertEqual(status, 200, payload)
        self.assertEqual(self.check_answer(status, headers, payload, r["request"]["uid"]), "allowed")
        self.check_still_serving(server)

    def test_a_review_over_its_memory_budget_gets_413_and_the_connection_serves_on(self):
        server = Server(self, ["--max-document-bytes", "1Mi"])
        uid, body = max_size_review(400 * 1024, kept=True)
        conn = server.connection()
        resp, payload = server.post("/admit", body, conn=conn)
        self.assertEqual(resp.status, 413, payload)
        self.check_answer(413, resp.headers, payload, uid)
        self.assertIn("--max-document-bytes", json.loads(payload)["error"])
        # The body was read whole: the same connection goes on.
        resp, payload = server.post("/admit", review("confidential-ml"), conn=conn)
        self.assertEqual(resp.status, 200, payload)
        conn.close()
        self.check_still_serving(server)


class StressTests(unittest.TestCase):
    """Many keep-alive connections while policies (good and broken), the serving certificate and
    the audit log change, with SIGTERM at a random moment. Seeded: the seed is printed, and
    --stress-seed repeats a run; --stress-seconds makes it longer (the default suits CI)."""

    def test_concurrent_load_reloads_rotation_and_sigterm(self):
        rng = random.Random(STRESS_SEED)
        print(f"\nstress: seed {STRESS_SEED}, {STRESS_SECONDS} s (repeat with --stress-seed {STRESS_SEED})",
              file=sys.stderr)
        deadline = time.monotonic() + STRESS_SECONDS
        rounds = 0
        while rounds == 0 or time.monotonic() < deadline:
            self.run_round(random.Random(rng.getrandbits(64)), rounds)
            rounds += 1

    def run_round(self, rng, number):
        d = tempfile.mkdtemp(prefix="peergate-stress-")
        self.addCleanup(shutil.rmtree, d, True)
        policies, audit = f"{d}/policies", f"{d}/audit.jsonl"
        os.makedirs(policies)
        cert, key, cafile = f"{d}/tls.crt", f"{d}/tls.key", f"{d}/cas.crt"
        shutil.copy(f"{CERTS}/server1.crt", cert)
        shutil.copy(f"{CERTS}/server1.key", key)
        write(cafile, read(f"{CERTS}/ca1.crt") + read(f"{CERTS}/ca2.crt"))

        # Generation g of the policies allows exactly namespace ns-g; a broken generation never
        # loads. A denial names the generation that answered ("allowed: ns-g").
        lock = threading.Lock()
        generations = {"written": 0, "good": [0]}

        def write_generation(broken):
            with lock:
                generations["written"] += 1
                g = generations["written"]
            actions = ["Sometimes"] if broken else ["Deny"]
            write(f"{policies}/policy.yaml", policy_yaml("generations", actions, [f"ns-{g}"]), atomic=True)
            if not broken:
                with lock:
                    generations["good"].append(g)

        write(f"{policies}/policy.yaml", policy_yaml("generations", ["Deny"], ["ns-0"]))
        server = Server(self, ["--policies", policies, "--tls-cert", cert, "--tls-key", key,
                               "--audit-log", audit, "--audit-log-max-bytes", "4Ki", "--audit-log-max-files", "2",
                               "--shutdown-timeout", "20s", "--log-level", "info"],
                        cafile=cafile, threads=str(rng.choice([1, 2, 4])), debounce="5ms")
        context = server.context()

        stop = threading.Event()
        terminated_at = [None]
        results = []  # (worker, sent_at, namespace, status, payload or error)

        def worker(n, wrng):
            conn = server.connection(context)
            try:
                while not stop.is_set():
                    with lock:
                        good = list(generations["good"])
                    g = wrng.choice(good[-3:] + [wrng.choice(good)])
                    r = review(f"ns-{g}")
                    body = json.dumps(r).encode()
                    try:
                        conn.request("POST", "/validate", body=body, headers={"Content-Type": "application/json"})
                    except (OSError, http.client.HTTPException):
                        if terminated_at[0] is None:
                            raise
                        return  # not sent: the server is draining or gone
                    sent_at = time.monotonic()
                    try:
                        resp = conn.getresponse()
                        payload = resp.read()
                        results.append((n, sent_at, g, r["request"]["uid"], resp.status, payload))
                    except (OSError, http.client.HTTPException) as e:
                        results.append((n, sent_at, g, r["request"]["uid"], None, repr(e)))
                        return
            finally:
                conn.close()

        def churn():
            while not stop.wait(rng.uniform(0.02, 0.15)):
                what = rng.random()
                if what < 0.45:
                    write_generation(broken=False)
                elif what < 0.6:
                    write_generation(broken=True)
                elif what < 0.7:
                    server.terminate(signal.SIGHUP)
                else:  # in place and in two steps, as a hostPath Secret: a mismatched pair is refused
                    pair = rng.choice(["server1", "server2"])
                    write(cert, read(f"{CERTS}/{pair}.crt"))
                    write(key, read(f"{CERTS}/{pair}.key"))

        threads = [threading.Thread(target=worker, args=(n, random.Random(rng.getrandbits(64))))
                   for n in range(rng.choice([4, 8, 16]))]
        churner = threading.Thread(target=churn)
        for t in threads + [churner]:
            t.start()
        time.sleep(rng.uniform(0.3, 1.2))
        terminated_at[0] = time.monotonic()
        server.terminate(signal.SIGTERM)
        code = server.wait_exit(60)
        stop.set()
        for t in threads + [churner]:
            t.join(30)
        self.assertEqual(code, 0, server.log_tail())
        self.assertTrue(server.find(lambda l: l.get("msg") == "stopped"))
        self.assertFalse(server.find(lambda l: l.get("msg") == "(not json)"), server.log_tail())

        good = set(generations["good"])
        answered = {}
        seen_by_worker = {}
        for n, sent_at, g, uid, status, payload in sorted(results, key=lambda r: r[1]):
            if status is None:
                self.assertGreater(sent_at, terminated_at[0],
                                   f"round {number}: a request sent before SIGTERM was not answered: {payload}")
                continue
            self.assertEqual(status, 200, payload)
            resp = response_of(self, payload)
            self.assertEqual(resp["uid"], uid)
            if resp["allowed"]:
                served = g  # only generation g allows ns-g
            else:
                served = int(re.search(r"\(allowed: ns-(\d+)\)", resp["status"]["message"]).group(1))
                self.assertNotEqual(served, g, resp)
            self.assertIn(served, good, f"answered by generation {served}, which never loaded cleanly")
            # One client's requests are sequential and reloads only move forward.
            self.assertGreaterEqual(served, seen_by_worker.get(n, 0), f"worker {n} went back in time")
            seen_by_worker[n] = served
            answered[uid] = resp["allowed"]
        self.assertTrue(answered, "no request was answered")

        # The audit log: complete JSON lines, rotated, every one about a denied request we sent.
        files = [f for f in (audit, f"{audit}.1", f"{audit}.2") if os.path.exists(f)]
        self.assertFalse(os.path.exists(f"{audit}.3"))
        for f in files:
            with open(f) as handle:
                for line in handle:
                    entry = json.loads(line)
                    self.assertIs(answered.get(entry["uid"]), False, entry)
        print(f"stress: round {number}: {len(threads)} connections, {len(answered)} answered, "
              f"{sum(1 for r in results if r[4] is None)} cut off after SIGTERM, "
              f"{len(server.find(lambda l: l.get('msg') == 'policies loaded')) - 1} policy reloads, "
              f"{len(server.find(lambda l: l.get('msg') == 'policy reload failed'))} refused, "
              f"{len(server.find(lambda l: l.get('msg') == 'tls certificate reloaded'))} certificate reloads, "
              f"{len(files)} audit files", file=sys.stderr)


def main():
    global BINARY, SOURCE, CERTS, STRESS_SECONDS, STRESS_SEED
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--stress-seconds", type=float, default=STRESS_SECONDS)
    parser.add_argument("--stress-seed", type=int, default=random.SystemRandom().getrandbits(32))
    args, rest = parser.parse_known_args()
    STRESS_SECONDS, STRESS_SEED = args.stress_seconds, args.stress_seed
    BINARY = os.path.abspath(args.binary)
    SOURCE = os.path.abspath(args.source)
    for tool in ("openssl",):
        if shutil.which(tool) is None:
            print(f"{tool} is needed", file=sys.stderr)
            return 1
    CERTS = tempfile.mkdtemp(prefix="peergate-test-certs-")
    try:
        make_certificates(CERTS)
        prog = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2)
        return 0 if prog.result.wasSuccessful() and prog.result.testsRun > 0 else 1
    finally:
        shutil.rmtree(CERTS, True)


if __name__ == "__main__":
    sys.exit(main())
