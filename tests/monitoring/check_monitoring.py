#!/usr/bin/python3
"""peergate's metrics and samples/deploy/monitoring/, checked by Prometheus's own tools.

  metrics     `promtool check metrics` on a live /metrics scrape (after requests that create every
              labelled series: decisions, policy findings).
  prometheus  a real Prometheus server (127.0.0.1, a free port, storage in a temporary folder)
              scrapes `peergate serve` over TLS with the server's CA and evaluates the sample
              rules; a PromQL query through its HTTP API returns the number of admission
              requests the test sent. Then every PromQL expression of the Grafana dashboard is
              run through the same API (a parse error is a 400) and every metric name in it must
              be one the live /metrics exports.
  rules       the PrometheusRule's groups equal the plain rules file's; `promtool check rules`.

Exits 77 (ctest: skipped) when promtool or prometheus is not installed; `make deps` installs
Debian's prometheus package, so CI runs them.
Usage: check_monitoring.py --binary build/peergate --source . {metrics,prometheus,rules}
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import yaml

SKIP = 77
PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"
SOURCE = None
MONITORING = None  # samples/deploy/monitoring
serve_test = None  # tests/server/serve_test.py, imported once the paths are known


def start_server(test):
    """`peergate serve` with the integration tests' policies (deny/warn/audit-outside), and one
    review per decision sent, so that every labelled series exists. Returns (server, requests sent)."""
    policy_dir = os.path.join(tempfile.mkdtemp(prefix="peergate-monitoring-"), "policies")
    test.addCleanup(shutil.rmtree, os.path.dirname(policy_dir), True)
    serve_test.write_test_policies(policy_dir)
    server = serve_test.Server(test, ["--policies", policy_dir, "--log-level", "info"])
    sent = 0
    for namespace in ("confidential-ml", "default", "default", "warned", "audited"):
        resp, _ = server.post("/validate", serve_test.review(namespace))
        test.assertEqual(resp.status, 200)
        sent += 1
    return server, sent


def scrape(test, server):
    resp, body = server.get("/metrics")
    test.assertEqual(resp.status, 200)
    return body.decode()


def exported_names(exposition):
    """Sample names of an exposition (histograms give their _bucket, _sum and _count)."""
    names = set()
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


# ------------------------------------------------------------------------------------------------
# PromQL as the dashboard writes it

GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}
PROMQL_WORDS = {
    # functions and aggregations are followed by "(": these are the words that are not
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless",
    "inf", "nan",
}


def dashboard_expressions(node):
    """Every `expr` of the dashboard: panel targets and any templating query."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from dashboard_expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from dashboard_expressions(item)


def with_grafana_variables(expr):
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def metric_names(expr):
    """The metric names an expression selects: identifiers outside strings, label matchers,
    grouping lists and ranges that are not functions, keywords or numbers."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings (label values, legends)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges
    text = re.sub(r"\boffset\s+-?[0-9a-z]+", " ", text)  # offset 5m
    text = re.sub(r"(?<![a-zA-Z0-9_:])[0-9][0-9.]*(?:[eE][+-]?[0-9]+)?", " ", text)  # numbers, 1e3
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word, rest = m.group(0), text[m.end():].lstrip()
        if rest.startswith("(") or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


class MetricNameExtraction(unittest.TestCase):
    """The extraction above, on expressions whose answer is known (it must be able to fail)."""

    def test_names_functions_and_labels_apart(self):
        self.assertEqual(
            metric_names('histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="y",le!="1"}[5m])))'), {"a_bucket"})
        self.assertEqual(metric_names("process_open_fds / process_max_fds > bool 0.5"),
                         {"process_open_fds", "process_max_fds"})
        self.assertEqual(metric_names("a_total * 1e3 + b_total offset 1h"), {"a_total", "b_total"})
        self.assertEqual(metric_names('min by (instance) (expiry_seconds) - time()'), {"expiry_seconds"})
        self.assertEqual(metric_names('sum without (rule) (increase(x_total{rule=~"a|b"}[1h] offset 5m))'),
                         {"x_total"})


# ------------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """A Prometheus server scraping one peergate over TLS every second, with the sample rules."""

    def __init__(self, test, server):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="peergate-prometheus-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [os.path.join(MONITORING, "peergate.rules.yaml")],
            "scrape_configs": [{
                "job_name": "peergate",
                "scheme": "https",
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "tls_config": {"ca_file": server.cafile, "server_name": "127.0.0.1"},
                "static_configs": [{"targets": [f"127.0.0.1:{server.port}"]}],
            }],
        }
        config_file = os.path.join(self.dir, "prometheus.yml")
        with open(config_file, "w") as f:
            yaml.safe_dump(config, f)
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w+")
        test.addCleanup(self.log.close)
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config_file}", f"--storage.tsdb.path={self.dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        test.addCleanup(self.stop)
        self.wait_until(lambda: self.get("/-/ready")[0] == 200, "Prometheus to be ready")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (urllib.error.URLError, ConnectionError):
            return None, b""

    def query(self, expr):
        """(HTTP status, decoded body) of an instant query."""
        status, body = self.get("/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        return status, json.loads(body) if body else {}

    def wait_until(self, condition, what, timeout=30):
        # Waits for an event Prometheus reports (ready, a scrape stored); the deadline only ends a hang.
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                self.test.fail(f"prometheus exited while waiting for {what}:\n{self.log_text()}")
            if time.monotonic() > deadline:
                self.test.fail(f"timed out waiting for {what}; prometheus log:\n{self.log_text()}")
            time.sleep(0.2)


class MetricsTests(unittest.TestCase):
    def test_promtool_check_metrics_passes_on_the_live_exposition(self):
        server, _ = start_server(self)
        text = scrape(self, server)
        # The series the dashboard and the rules rely on exist at all.
        names = exported_names(text)
        for name in ("peergate_policy_results_total", "peergate_policies_info", "process_cpu_seconds_total",
                     "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
                     "process_max_fds", "process_start_time_seconds", "peergate_build_info"):
            self.assertIn(name, names)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        # promtool reports lint problems on stdout with exit 0 in some versions: none allowed.
        self.assertEqual(r.stdout.decode().strip(), "", r.stdout.decode())


class PrometheusTests(unittest.TestCase):
    def test_prometheus_scrapes_over_tls_and_the_dashboard_queries_what_peergate_exports(self):
        server, sent = start_server(self)
        prometheus = Prometheus(self, server)

        def counted():
            status, doc = prometheus.query("sum(peergate_admission_requests_total)")
            result = doc.get("data", {}).get("result", []) if status == 200 else []
            return result and float(result[0]["value"][1]) == sent

        prometheus.wait_until(counted, f"a scrape holding the {sent} requests sent")
        status, doc = prometheus.query('up{job="peergate"}')
        self.assertEqual(status, 200)
        self.assertEqual([r["value"][1] for r in doc["data"]["result"]], ["1"])
        status, doc = prometheus.query('sum by (decision) (peergate_admission_requests_total{endpoint="validate"})')
        by_decision = {r["metric"]["decision"]: float(r["value"][1]) for r in doc["data"]["result"]}
        self.assertEqual(by_decision, {"allowed": 3.0, "denied": 2.0, "bad_request": 0.0, "error": 0.0})

        # The sample rules loaded into this server without an error.
        status, body = prometheus.get("/api/v1/rules")
        self.assertEqual(status, 200)
        groups = json.loads(body)["data"]["groups"]
        self.assertEqual([g["name"] for g in groups], ["peergate"])
        self.assertEqual(len(groups[0]["rules"]), len(rules_file_groups()[0]["rules"]))

        # The dashboard: every expression parses and evaluates, and names only exported metrics.
        with open(os.path.join(MONITORING, "grafana-dashboard.json")) as f:
            dashboard = json.load(f)
        exported = exported_names(scrape(self, server))
        expressions = list(dashboard_expressions(dashboard))
        self.assertGreaterEqual(len(expressions), 10)
        for expr in expressions:
            with self.subTest(expr=expr):
                concrete = with_grafana_variables(expr)
                self.assertNotIn("$", concrete, "a Grafana variable the test does not know")
                status, doc = prometheus.query(concrete)
                self.assertEqual(status, 200, doc.get("error"))
                names = metric_names(concrete)
                self.assertTrue(names, "no metric found in the expression")
                self.assertEqual(names - exported, set(), "not exported by peergate")


def rules_file_groups():
    with open(os.path.join(MONITORING, "peergate.rules.yaml")) as f:
        return yaml.safe_load(f)["groups"]


class RulesTests(unittest.TestCase):
    def test_the_prometheus_rule_holds_the_rules_file_groups(self):
        with open(os.path.join(MONITORING, "prometheusrule.yaml")) as f:
            rule = yaml.safe_load(f)
        self.assertEqual(rule["apiVersion"], "monitoring.coreos.com/v1")
        self.assertEqual(rule["kind"], "PrometheusRule")
        self.assertEqual(rule["spec"]["groups"], rules_file_groups())

    def test_promtool_check_rules(self):
        r = subprocess.run([PROMTOOL, "check", "rules", os.path.join(MONITORING, "peergate.rules.yaml")],
                           capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())

    def test_every_alert_has_a_promtool_unit_test(self):
        alerts = {r["alert"] for g in rules_file_groups() for r in g["rules"] if "alert" in r}
        with open(os.path.join(SOURCE, "tests", "monitoring", "rules_test.yaml")) as f:
            tests = yaml.safe_load(f)["tests"]
        tested = {t["alertname"] for case in tests for t in case.get("alert_rule_test", []) if t.get("exp_alerts")}
        quiet = {t["alertname"] for case in tests for t in case.get("alert_rule_test", []) if not t.get("exp_alerts")}
        self.assertEqual(alerts - tested, set(), "alerts never tested firing")
        self.assertEqual(alerts - quiet, set(), "alerts never tested staying quiet")


GROUPS = {"metrics": ["MetricNameExtraction", "MetricsTests"], "prometheus": ["PrometheusTests"],
          "rules": ["RulesTests"]}


def main():
    global SOURCE, MONITORING, serve_test
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("group", choices=sorted(GROUPS))
    args = parser.parse_args()
    SOURCE = os.path.abspath(args.source)
    MONITORING = os.path.join(SOURCE, "samples", "deploy", "monitoring")
    needed = [PROMTOOL] + ([PROMETHEUS] if args.group == "prometheus" else [])
    missing = [tool for tool in needed if not os.access(tool, os.X_OK)]
    if missing:
        print(f"skipped: {', '.join(missing)} not installed (Debian package prometheus; make deps)")
        return SKIP
    sys.path.insert(0, os.path.join(SOURCE, "tests", "server"))
    import serve_test as module
    serve_test = module
    serve_test.BINARY = os.path.abspath(args.binary)
    serve_test.SOURCE = SOURCE
    suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromName(name, sys.modules[__name__])
                               for name in GROUPS[args.group])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
