#!/usr/bin/python3
"""The deploy kit, checked with tools nobody here wrote.

  certs      `peergate certs`: openssl verify, the SAN list, key usage, --force, and a real TLS
             client (curl) that reaches `peergate serve` by the Service's DNS names only.
  manifests  `peergate manifests`: the objects and every option, read back with PyYAML (a YAML
             1.1 reader: a string written plain that it would read as a boolean or a number
             fails here), the ConfigMap's policies loaded again by `peergate check`.
  deployment `peergate serve` started with the Deployment's args, the Secret and the ConfigMap laid
             out as kubelet mounts them; its probes and each webhook entry's path answered.
  kustomize  `kubectl kustomize` of samples/deploy/base and of each overlay equals what
             `peergate manifests` prints for the same options (exit 77, skipped, without kubectl).

usage: check_deploy.py GROUP --peergate BIN --repo DIR [--shared DIR]
"""

import argparse
import base64
import copy
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

NS = "peergate-system"
SERVICE_NAMES = ["peergate", f"peergate.{NS}", f"peergate.{NS}.svc", f"peergate.{NS}.svc.cluster.local"]
WORKLOADS = {"apps": {"deployments", "replicasets", "statefulsets", "daemonsets"}, "batch": {"jobs", "cronjobs"}}

failures = []


def check(condition, what):
    if condition:
        print(f"ok   {what}")
    else:
        print(f"FAIL {what}")
        failures.append(what)
    return condition


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


# ---------------------------------------------------------------- certs

def openssl_text(cert):
    return run(["openssl", "x509", "-in", cert, "-noout", "-text"]).stdout


def group_certs(peergate, tmp, serve):
    out = tmp / "certs"
    r = run([peergate, "certs", "--service", "peergate", "--namespace", NS, "--out", str(out), "--days", "30"])
    check(r.returncode == 0, f"certs: exit 0 ({r.stderr.strip()})")
    ca, crt, key = out / "ca.crt", out / "tls.crt", out / "tls.key"
    check(all(p.exists() for p in (ca, crt, key)), "certs: ca.crt, tls.crt, tls.key written")
    check((key.stat().st_mode & 0o077) == 0, "certs: tls.key is readable by its owner only")
    steps = r.stdout.splitlines()
    secret = next((i for i, l in enumerate(steps) if "create secret tls peergate-tls" in l), None)
    apply = next((i for i, l in enumerate(steps) if "peergate manifests --namespace peergate-system --ca-bundle" in l), None)
    check(secret is not None and apply is not None and secret < apply,
          "certs: prints the next steps, the Secret before the webhooks")
    other = run([peergate, "certs", "--service", "gate", "--namespace", NS, "--out", str(tmp / "gate")])
    check("create secret tls gate-tls" in other.stdout and "--name gate" in other.stdout,
          "certs: another Service name carries into the next steps (--name)")

    v = run(["openssl", "verify", "-CAfile", str(ca), str(crt)])
    check(v.returncode == 0 and v.stdout.strip().endswith("OK"), f"certs: openssl verify ({v.stdout.strip()} {v.stderr.strip()})")
    v = run(["openssl", "verify", "-purpose", "sslserver", "-CAfile", str(ca), str(crt)])
    check(v.returncode == 0, "certs: openssl verify -purpose sslserver")
    v = run(["openssl", "verify", "-purpose", "sslclient", "-CAfile", str(ca), str(crt)])
    check(v.returncode != 0, "certs: not valid for client authentication (serverAuth only)")

    san = run(["openssl", "x509", "-in", str(crt), "-noout", "-ext", "subjectAltName"]).stdout
    names = [part.strip()[4:] for part in san.splitlines()[1].split(",")] if len(san.splitlines()) > 1 else []
    check(names == SERVICE_NAMES, f"certs: SANs are exactly {SERVICE_NAMES} (got {names})")

    leaf, root = openssl_text(str(crt)), openssl_text(str(ca))
    check("TLS Web Server Authentication" in leaf, "certs: extendedKeyUsage serverAuth")
    check("X509v3 Key Usage: critical" in leaf and "Digital Signature" in leaf, "certs: keyUsage digitalSignature, critical")
    check("CA:FALSE" in leaf, "certs: the serving certificate is not a CA")
    check("CA:TRUE" in root and "Certificate Sign" in root, "certs: the CA is a CA that signs certificates")
    check(f"CN = peergate.{NS}.svc" in leaf, "certs: subject CN is NAME.NS.svc")

    end = run(["openssl", "x509", "-in", str(crt), "-noout", "-checkend", str(29 * 86400)])
    check(end.returncode == 0, "certs: valid for at least 29 days")
    end = run(["openssl", "x509", "-in", str(crt), "-noout", "-checkend", str(31 * 86400)])
    check(end.returncode != 0, "certs: --days 30 means expiry within 31 days")

    pub_key = run(["openssl", "pkey", "-in", str(key), "-pubout"]).stdout
    pub_crt = run(["openssl", "x509", "-in", str(crt), "-noout", "-pubkey"]).stdout
    check(pub_key and pub_key == pub_crt, "certs: tls.key is the key of tls.crt")

    digest = lambda: [hashlib.sha256(p.read_bytes()).hexdigest() for p in (ca, crt, key)]
    before = digest()
    again = run([peergate, "certs", "--service", "peergate", "--namespace", NS, "--out", str(out)])
    check(again.returncode == 2 and "--force" in again.stderr and "tls.key" in again.stderr,
          f"certs: existing files refused without --force ({again.stderr.strip()})")
    check(digest() == before, "certs: refused run left the files unchanged")
    forced = run([peergate, "certs", "--service", "peergate", "--namespace", NS, "--out", str(out), "--force"])
    after = digest()
    check(forced.returncode == 0 and all(a != b for a, b in zip(after, before)), "certs: --force replaces all three")

    for bad, needle in ((["--service", "Peer_Gate"], "Service name"), (["--service", "1peergate"], "starting with a letter"),
                        (["--namespace", "-bad"], "namespace name"), (["--days", "0"], "days")):
        args = {"--service": "peergate", "--namespace": NS, "--out": str(tmp / "unused"), "--days": "10"}
        args[bad[0]] = bad[1]
        r = run([peergate, "certs"] + [x for kv in args.items() for x in kv])
        check(r.returncode == 2 and needle in r.stderr and not (tmp / "unused").exists(),
              f"certs: {bad} refused naming {needle!r} ({r.stderr.strip().splitlines()[-1] if r.stderr else ''})")

    if serve:
        serve_with_service_certificate(peergate, tmp, ca, crt, key)


def serve_with_service_certificate(peergate, tmp, ca, crt, key):
    """A real TLS client trusts the server by the Service's names, and only by them."""
    port_file = tmp / "port"
    server = subprocess.Popen([peergate, "serve", "--listen", "127.0.0.1:0", "--port-file", str(port_file),
                               "--tls-cert", str(crt), "--tls-key", str(key), "--log-level", "warn"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 20
        while not port_file.exists() and time.time() < deadline and server.poll() is None:
            time.sleep(0.05)
        if not check(port_file.exists(), "certs: peergate serve started with the certificate"):
            return
        port = port_file.read_text().strip()
        for name in SERVICE_NAMES[1:]:
            r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--resolve", f"{name}:{port}:127.0.0.1",
                     "--cacert", str(ca), f"https://{name}:{port}/readyz"])
            check(r.stdout == "200", f"certs: curl https://{name}/readyz verified by ca.crt ({r.stdout} {r.stderr.strip()})")
        r = run(["curl", "-sS", "-o", "/dev/null", "--resolve", f"other.{NS}.svc:{port}:127.0.0.1",
                 "--cacert", str(ca), f"https://other.{NS}.svc:{port}/readyz"])
        check(r.returncode == 60, f"certs: a name outside the SANs fails verification (curl exit {r.returncode})")
        s = run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", f"peergate.{NS}.svc",
                 "-verify_hostname", f"peergate.{NS}.svc", "-CAfile", str(ca), "-verify_return_error", "-brief"],
                input="")
        check("Verification: OK" in s.stderr or "Verification: OK" in s.stdout,
              "certs: openssl s_client verifies the chain and the host name")
    finally:
        server.terminate()
        server.wait(timeout=30)


# ---------------------------------------------------------------- manifests

def manifests(peergate, *args, expect=0):
    r = run([peergate, "manifests", "--namespace", NS, *args])
    if r.returncode != expect:
        check(False, f"manifests {' '.join(args)}: exit {r.returncode}, expected {expect}: {r.stderr.strip()}")
        return None, r
    if expect != 0:
        return None, r
    return [d for d in yaml.safe_load_all(r.stdout) if d is not None], r


def by_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def one(docs, kind):
    found = by_kind(docs, kind)
    check(len(found) == 1, f"exactly one {kind} (got {len(found)})")
    return found[0] if found else {}


def namespace_selector(webhook, operator):
    exprs = webhook["namespaceSelector"]["matchExpressions"]
    assert len(exprs) == 1 and exprs[0]["key"] == "kubernetes.io/metadata.name" and exprs[0]["operator"] == operator
    return exprs[0]["values"]


def namespace_not_in(webhook):
    return namespace_selector(webhook, "NotIn")


def check_system_split(hooks, name, label):
    """validate and admit see every namespace: the mutation's excluded ones through a second
    entry that fails open, so an outage never blocks kube-system's pods."""
    check([w["name"] for w in hooks] == [name, "system." + name], f"{label}: entries {name} and system.{name}")
    if len(hooks) != 2:
        return
    main, system = hooks
    excluded = ["kube-system", "peer-pods-webhook-system"]
    check(namespace_not_in(main) == [NS] + excluded, f"{label}: {name} gets every namespace but peergate's and the excluded ones")
    check(namespace_selector(system, "In") == excluded and system["failurePolicy"] == "Ignore",
          f"{label}: system.{name} gets the excluded namespaces, failurePolicy Ignore")
    check({k: v for k, v in main.items() if k not in ("name", "namespaceSelector", "failurePolicy")}
          == {k: v for k, v in system.items() if k not in ("name", "namespaceSelector", "failurePolicy")},
          f"{label}: both entries call the same path with the same rules")


def rules_of(webhook):
    """{(group, resource): operations}"""
    out = {}
    for rule in webhook["rules"]:
        assert rule["apiVersions"] == ["v1"] and rule["scope"] == "Namespaced"
        for g in rule["apiGroups"]:
            for r in rule["resources"]:
                out[(g, r)] = sorted(rule["operations"])
    return out


def check_common_webhook(w, path, failure="Fail", timeout=10, label=""):
    check(w["sideEffects"] == "None" and w["admissionReviewVersions"] == ["v1"], f"{label}: sideEffects None, v1 reviews")
    check(w["failurePolicy"] == failure and w["timeoutSeconds"] == timeout, f"{label}: failurePolicy {failure}, timeout {timeout}")
    svc = w["clientConfig"]["service"]
    check(svc == {"namespace": NS, "name": "peergate", "path": path, "port": 443}, f"{label}: calls Service peergate:443{path}")


def group_manifests(peergate, repo, shared, tmp):
    docs, r = manifests(peergate)
    if docs is None:
        return
    kinds = [d["kind"] for d in docs]
    check(kinds == ["Namespace", "ServiceAccount", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget",
                    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"],
          f"manifests: objects in apply order, webhooks last ({kinds})")
    check(r.stdout.startswith("# Made by peergate") and "--ca-bundle" in r.stdout.split("---")[0],
          "manifests: the header says how to make the Secret and the caBundle")

    dep = one(docs, "Deployment")
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    c = pod["containers"][0]
    check(spec["replicas"] == 2, "deployment: 2 replicas by default")
    check(spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items(),
          "deployment: selector matches the pod labels")
    check(c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "https", "scheme": "HTTPS"}, "deployment: readiness /readyz over HTTPS")
    check(c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "https", "scheme": "HTTPS"}, "deployment: liveness /healthz over HTTPS")
    check({p["name"]: p["containerPort"] for p in c["ports"]} == {"https": 9443}, "deployment: port https 9443")
    check(set(c["resources"]["requests"]) == {"cpu", "memory"} and set(c["resources"]["limits"]) == {"cpu", "memory"},
          "deployment: requests and limits for cpu and memory")
    sc, psc = c["securityContext"], pod["securityContext"]
    check(sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True and sc["runAsNonRoot"] is True
          and sc["capabilities"]["drop"] == ["ALL"], "deployment: no privilege escalation, read-only root, non-root, all capabilities dropped")
    check(psc["runAsNonRoot"] is True and psc["seccompProfile"] == {"type": "RuntimeDefault"}, "deployment: pod non-root, seccomp RuntimeDefault")
    check("runAsUser" not in sc and "runAsUser" not in psc, "deployment: no fixed UID (OpenShift's restricted SCC assigns one)")
    delay = next((a.split("=", 1)[1] for a in c["args"] if a.startswith("--shutdown-delay=")), "")
    check(delay.endswith("s") and delay[:-1].isdigit() and int(delay[:-1]) >= 1
          and pod["terminationGracePeriodSeconds"] > int(delay[:-1]) + 25 and "lifecycle" not in c,
          "deployment: keeps serving a moment after SIGTERM (--shutdown-delay), grace period above delay + drain, no preStop shell")
    anti = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
    check(anti["topologyKey"] == "kubernetes.io/hostname" and anti["labelSelector"]["matchLabels"] == spec["selector"]["matchLabels"],
          "deployment: replicas prefer different nodes")
    check(pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == one(docs, "ServiceAccount")["metadata"]["name"],
          "deployment: its ServiceAccount, no API token")
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    cm = one(docs, "ConfigMap")
    policies_arg = [a for a in c["args"] if a.startswith("--policies=")]
    check(c["args"][0] == "serve" and len(policies_arg) == 1, "deployment: runs `peergate serve --policies=...`")
    policy_mount = mounts.get(policies_arg[0].split("=", 1)[1]) if policies_arg else None
    check(policy_mount is not None and "subPath" not in policy_mount
          and volumes[policy_mount["name"]]["configMap"]["name"] == cm["metadata"]["name"],
          "deployment: --policies is the ConfigMap mounted as a directory (no subPath: edits reach the pod)")
    tls_secret = next(v["secret"]["secretName"] for v in volumes.values() if "secret" in v)
    for flag in ("--tls-cert=", "--tls-key="):
        path = next((a.split("=", 1)[1] for a in c["args"] if a.startswith(flag)), "")
        mount = mounts.get(os.path.dirname(path))
        check(mount is not None and volumes[mount["name"]].get("secret", {}).get("secretName") == tls_secret,
              f"deployment: {flag[:-1]} is in the mounted Secret {tls_secret}")
    check(tls_secret == "peergate-tls", "deployment: the Secret is peergate-tls, as `peergate certs` prints")

    svc = one(docs, "Service")
    check(svc["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}], "service: 443 -> https (9443)")
    check(svc["spec"]["selector"] == spec["selector"]["matchLabels"], "service: selects the Deployment's pods")
    pdb = one(docs, "PodDisruptionBudget")
    check(pdb["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"] and pdb["spec"]["maxUnavailable"] == 1,
          "pdb: one pod at a time")
    check(one(docs, "Namespace")["metadata"]["name"] == NS, "namespace: peergate-system")

    # The policies in the ConfigMap load again, and are the shipped ones.
    shipped = {p.name: p.read_text() for p in sorted((repo / "policies").glob("*.yaml"))}
    check(cm["data"] == shipped, "configmap: holds the embedded (shipped) policies, one key per file")
    cm_dir = tmp / "configmap"
    cm_dir.mkdir()
    for name, text in cm["data"].items():
        (cm_dir / name).write_text(text)
    c2 = run([peergate, "check", str(cm_dir)])
    check(c2.returncode == 0, f"configmap: its policies pass `peergate check` ({c2.stdout.strip().splitlines()[-1:]})")

    mw = one(docs, "MutatingWebhookConfiguration")["webhooks"]
    vw = one(docs, "ValidatingWebhookConfiguration")["webhooks"]
    check(len(mw) == 1, "mutating: one entry")
    check_system_split(vw, "validate.peergate.dev", "validating")
    m, v = mw[0], vw[0]
    check_common_webhook(m, "/mutate-v1-pod", label="mutating")
    check_common_webhook(v, "/validate", label="validating")
    check(rules_of(m) == {("", "pods"): ["CREATE"]} and m["reinvocationPolicy"] == "IfNeeded", "mutating: Pods, CREATE, reinvocation IfNeeded")
    check(namespace_not_in(m) == [NS, "kube-system", "peer-pods-webhook-system"],
          f"mutating: NotIn own namespace + the upstream preset ({namespace_not_in(m)})")
    expected_rules = {("", "pods"): ["CREATE", "UPDATE"]}
    expected_rules.update({(g, r): ["CREATE", "UPDATE"] for g, rs in WORKLOADS.items() for r in rs})
    check(rules_of(v) == expected_rules, "validating: Pods and the six workload kinds, CREATE and UPDATE")
    check("caBundle" not in m["clientConfig"] and "caBundle" not in v["clientConfig"], "webhooks: no caBundle without a CA option")
    check(all(w.get("matchConditions", [{}])[0].get("name") == "peer-pods-only" for w in mw + vw),
          "webhooks: the peer-pods-only matchConditions by default")
    d_all, _ = manifests(peergate, "--all-pods")
    if d_all:
        check(all("matchConditions" not in w for o in d_all if "webhooks" in o for w in o["webhooks"]),
              "--all-pods: no matchConditions, every pod is sent")
    check("env" not in one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0],
          "deployment: no env when upstream's variables are not set")
    # Upstream's variables, as a user migrating keeps them: the shipped policies leave the runtime
    # class and the resource to them, so the Deployment must carry them and matchConditions follow.
    upstream = {"TARGET_RUNTIMECLASS": "kata-remote-x", "POD_VM_EXTENDED_RESOURCE": "example.com/vm"}
    r_env = run([peergate, "manifests", "--namespace", NS], env=dict(os.environ, **upstream))
    check(r_env.returncode == 0, f"manifests with upstream's variables: exit 0 ({r_env.stderr.strip()})")
    if r_env.returncode == 0:
        d_env = [d for d in yaml.safe_load_all(r_env.stdout) if d is not None]
        container = one(d_env, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        check(container.get("env") == [{"name": k, "value": v} for k, v in upstream.items()],
              f"deployment: carries TARGET_RUNTIMECLASS and POD_VM_EXTENDED_RESOURCE ({container.get('env')})")
        expressions = [c["expression"] for o in d_env if "webhooks" in o for w in o["webhooks"]
                       for c in w.get("matchConditions", [])]
        check(expressions and all("'kata-remote-x'" in e and "'kata-remote'" not in e for e in expressions),
              "webhooks: matchConditions name $TARGET_RUNTIMECLASS, not kata-remote")
    check("Globs and regexes cannot be expressed in a namespaceSelector" in r.stdout, "mutating: the YAML comment on globs and regexes")

    # Mutation exclusions: the openshift preset, globs and regexes, and two runtime classes.
    osc = [l.strip() for l in (shared / "fixtures/upstream/osc-1.8-excluded-namespaces.txt").read_text().splitlines()
           if l.strip() and not l.startswith("#")]
    pol = tmp / "pol"
    pol.mkdir()
    (pol / "mutation.yaml").write_text(
        "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodMutation\nmetadata: {name: remote}\nspec:\n"
        "  runtimeClassName: kata-remote\n  excludedNamespaces:\n    presets: [upstream, openshift]\n"
        "    names: [tenant-x, \"infra-*\", {regex: \"ops-[0-9]+\"}]\n"
        "---\napiVersion: peergate.dev/v1alpha1\nkind: PeerPodMutation\nmetadata: {name: other}\nspec:\n"
        "  runtimeClassName: kata-other\n  excludedNamespaces:\n    presets: [openshift]\n    names: [kube-system]\n")
    docs2, r2 = manifests(peergate, "--policies", str(pol))
    if docs2:
        values = namespace_not_in(one(docs2, "MutatingWebhookConfiguration")["webhooks"][0])
        # Only names both runtime classes exclude may be left out of the webhook. The openshift
        # preset is the operator's 66 names of the fixture plus openshift-kube-proxy (newer code).
        check(values[0] == NS and set(values[1:]) == set(osc) | {"openshift-kube-proxy", "kube-system"} and "tenant-x" not in values
              and len(values) == len(set(values)),
              f"mutating: NotIn = names excluded for every runtime class ({len(values) - 1} names, {len(osc)} in the OSC fixture)")
        check('"infra-*", /ops-[0-9]+/' in r2.stdout or "infra-*, /ops-[0-9]+/" in r2.stdout,
              "mutating: the comment names the glob and regex peergate skips itself")
        check(by_kind(docs2, "ConfigMap")[0]["data"] == {"mutation.yaml": (pol / "mutation.yaml").read_text()},
              "configmap: --policies files, keyed by file name")

    # Options.
    def webhook_sets(*args):
        d, _ = manifests(peergate, *args)
        if d is None:
            return None
        return {k: [w["name"] for w in o["webhooks"]] for o in d for k in [o["kind"]] if "Webhook" in k}, d

    ws, _ = webhook_sets("--webhooks", "validate")
    check(ws == {"ValidatingWebhookConfiguration": ["validate.peergate.dev", "system.validate.peergate.dev"]},
          "--webhooks validate: the validating webhook only")
    ws, _ = webhook_sets("--webhooks", "mutate")
    check(ws == {"MutatingWebhookConfiguration": ["mutate.peergate.dev"]}, "--webhooks mutate: the mutating webhook only")
    ws, d = webhook_sets("--webhooks", "admit")
    check(ws == {"MutatingWebhookConfiguration": ["admit.peergate.dev", "system.admit.peergate.dev"],
                 "ValidatingWebhookConfiguration": ["validate.peergate.dev", "system.validate.peergate.dev"]},
          "--webhooks admit: the admit webhook, and the validating one for workloads")
    if d:
        am = one(d, "MutatingWebhookConfiguration")["webhooks"]
        av = one(d, "ValidatingWebhookConfiguration")["webhooks"][0]
        check_common_webhook(am[0], "/admit", label="admit")
        check(rules_of(am[0]) == {("", "pods"): ["CREATE"]} and am[0]["reinvocationPolicy"] == "IfNeeded", "admit: Pods, CREATE, IfNeeded")
        # The excluded namespaces still reach peergate: it skips the mutation there and validates.
        check_system_split(am, "admit.peergate.dev", "admit")
        check(("", "pods") not in rules_of(av) and len(rules_of(av)) == 6, "admit: the validating webhook covers workloads only")

    d, _ = manifests(peergate, "--failure-policy", "Ignore", "--timeout-seconds", "5", "--replicas", "3",
                     "--image", "registry.example/peergate:test")
    if d:
        hooks = [w for o in d if "webhooks" in o for w in o["webhooks"]]
        check(len(hooks) == 3 and all(w["failurePolicy"] == "Ignore" and w["timeoutSeconds"] == 5 for w in hooks),
              "--failure-policy Ignore --timeout-seconds 5 reach every webhook")
        dd = one(d, "Deployment")
        check(dd["spec"]["replicas"] == 3 and dd["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/peergate:test",
              "--replicas and --image reach the Deployment")

    ca = tmp / "certs" / "ca.crt"
    if not ca.exists():
        run([peergate, "certs", "--service", "peergate", "--namespace", NS, "--out", str(tmp / "certs")])
    d, _ = manifests(peergate, "--ca-bundle", str(ca))
    if d:
        bundles = [base64.b64decode(w["clientConfig"]["caBundle"]) for o in d if "webhooks" in o for w in o["webhooks"]]
        check(len(bundles) == 3 and all(b == ca.read_bytes() for b in bundles), "--ca-bundle: every webhook entry carries base64(ca.crt)")
    other = tmp / "other"
    run([peergate, "certs", "--service", "peergate", "--namespace", NS, "--out", str(other)])
    d, _ = manifests(peergate, "--ca-bundle", str(ca), "--ca-bundle", str(other / "ca.crt"))
    if d:
        bundle = base64.b64decode(one(d, "ValidatingWebhookConfiguration")["webhooks"][0]["clientConfig"]["caBundle"])
        check(bundle == ca.read_bytes() + (other / "ca.crt").read_bytes(), "--ca-bundle twice: one bundle, old CA then new")
        verify = tmp / "bundle.crt"
        verify.write_bytes(bundle)
        both = all(run(["openssl", "verify", "-CAfile", str(verify), str(p / "tls.crt")]).returncode == 0 for p in (ca.parent, other))
        check(both, "--ca-bundle twice: the bundle verifies the old and the new serving certificate")
    _, r = manifests(peergate, "--ca-bundle", str(tmp / "certs" / "tls.key"), expect=2)
    check("private key" in r.stderr, f"--ca-bundle tls.key refused ({r.stderr.strip()})")
    junk = tmp / "junk.pem"
    junk.write_text("not a certificate\n")
    _, r = manifests(peergate, "--ca-bundle", str(junk), expect=2)
    check("no PEM certificate" in r.stderr, f"--ca-bundle junk refused ({r.stderr.strip()})")

    d, _ = manifests(peergate, "--cert-manager")
    if d:
        certs = {c["metadata"]["name"]: c for c in by_kind(d, "Certificate")}
        issuers = {i["metadata"]["name"]: i for i in by_kind(d, "Issuer")}
        serving = certs.get("peergate-serving", {}).get("spec", {})
        check(serving.get("dnsNames") == SERVICE_NAMES and "server auth" in serving.get("usages", []),
              "--cert-manager: the serving Certificate has the four Service names, server auth")
        secret = one(d, "Deployment")["spec"]["template"]["spec"]["volumes"]
        check(serving.get("secretName") in [v.get("secret", {}).get("secretName") for v in secret],
              "--cert-manager: its Secret is the one the Deployment mounts")
        ca_issuer = issuers.get(serving.get("issuerRef", {}).get("name"), {})
        ca_cert = next((c for c in certs.values() if c["spec"].get("secretName") == ca_issuer.get("spec", {}).get("ca", {}).get("secretName")), {})
        check(ca_cert.get("spec", {}).get("isCA") is True and "selfSigned" in issuers.get(ca_cert["spec"]["issuerRef"]["name"], {}).get("spec", {}),
              "--cert-manager: serving cert <- CA Issuer <- CA Certificate <- self-signed Issuer")
        for o in d:
            if "webhooks" in o:
                check(o["metadata"]["annotations"] == {"cert-manager.io/inject-ca-from": f"{NS}/peergate-serving"},
                      f"--cert-manager: {o['kind']} has the cainjector annotation")
    d, _ = manifests(peergate, "--openshift-service-ca")
    if d:
        svc = one(d, "Service")
        check(svc["metadata"]["annotations"] == {"service.beta.openshift.io/serving-cert-secret-name": "peergate-tls"},
              "--openshift-service-ca: the Service asks for the serving Secret peergate-tls")
        for o in d:
            if "webhooks" in o:
                check(o["metadata"]["annotations"] == {"service.beta.openshift.io/inject-cabundle": "true"},
                      f"--openshift-service-ca: {o['kind']} has inject-cabundle \"true\" (a string)")
    _, r = manifests(peergate, "--cert-manager", "--openshift-service-ca", expect=2)
    check("excludes" in r.stderr, "CA sources are exclusive")
    _, r = manifests(peergate, "--webhooks", "all", expect=2)
    check("all" in r.stderr, "--webhooks all refused")

    # --peer-pods-only: the same entries, each with one condition naming the policies' runtime classes
    # (tests/deploy/check_match_conditions.py evaluates them with a real CEL implementation).
    two = tmp / "two-classes"
    two.mkdir()
    (two / "p.yaml").write_text(
        "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\nmetadata: {name: p}\nspec:\n"
        "  runtimeClassNames: [kata-remote, kata-qemu-snp]\n  allowedNamespaces: [peer-pods]\n")
    d, r = manifests(peergate, "--peer-pods-only", "--webhooks", "admit", "--policies", str(two))
    if d:
        hooks = [w for o in d if "webhooks" in o for w in o["webhooks"]]
        conds = [w.get("matchConditions", []) for w in hooks]
        check(len(hooks) == 4 and all(len(c) == 1 and c[0]["name"] == "peer-pods-only" for c in conds),
              "--peer-pods-only: every entry has the condition peer-pods-only")
        check(all("['kata-remote', 'kata-qemu-snp']" in c[0]["expression"] for c in conds),
              "--peer-pods-only: the condition lists every runtime class of the policies and mutations")
        pod_hooks = [w for w in hooks if rules_of(w) == {("", "pods"): ["CREATE"]}]
        check(pod_hooks and all("request.kind" not in w["matchConditions"][0]["expression"] for w in pod_hooks),
              "--peer-pods-only: the Pod-only webhooks test the Pod spec alone")
        check("Regenerate when the policies name another runtime class" in r.stdout, "--peer-pods-only: the YAML comment")

    # A PeerPodVMPolicy may name a runtime class that no other document names: its pods must reach
    # peergate too, through every entry of every webhook set that evaluates them.
    vm_only = tmp / "vm-policy-class"
    vm_only.mkdir()
    (vm_only / "p.yaml").write_text(
        "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\nmetadata: {name: p}\nspec:\n"
        "  runtimeClassNames: [kata-remote]\n  allowedNamespaces: [peer-pods]\n---\n"
        "apiVersion: peergate.dev/v1alpha1\nkind: PeerPodVMPolicy\nmetadata: {name: gpu-vm}\nspec:\n"
        "  runtimeClassNames: [kata-remote-gpu]\n  vm: {maxGPUs: 1}\n")
    for webhooks in ("both", "admit", "validate"):
        d, r = manifests(peergate, "--peer-pods-only", "--webhooks", webhooks, "--policies", str(vm_only))
        if d:
            conds = [w.get("matchConditions", []) for o in d if "webhooks" in o for w in o["webhooks"]]
            check(conds and all(len(c) == 1 and "['kata-remote', 'kata-remote-gpu']" in c[0]["expression"] for c in conds),
                  f"--peer-pods-only --webhooks {webhooks}: the condition lists the VM policy's runtime class")
            check("PeerPodVMPolicies" in r.stdout, f"--webhooks {webhooks}: the YAML comment says where classes come from")

    # --name: every reference follows (two installs side by side must not share a Secret or a Service).
    d, _ = manifests(peergate, "--name", "gate", "--cert-manager")
    if d:
        dep = one(d, "Deployment")
        pod = dep["spec"]["template"]["spec"]
        names = {o["kind"]: o["metadata"]["name"] for o in d if o["kind"] not in ("Namespace", "Issuer", "Certificate")}
        check(names == {"ServiceAccount": "gate", "ConfigMap": "gate-policies", "Service": "gate", "Deployment": "gate",
                        "PodDisruptionBudget": "gate", "MutatingWebhookConfiguration": "gate",
                        "ValidatingWebhookConfiguration": "gate"}, f"--name gate: object names ({names})")
        volumes = {v["name"]: v for v in pod["volumes"]}
        check(pod["serviceAccountName"] == "gate" and volumes["tls"]["secret"]["secretName"] == "gate-tls"
              and volumes["policies"]["configMap"]["name"] == "gate-policies", "--name gate: the pod's account and volumes")
        check(one(d, "Service")["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "gate"},
              "--name gate: selectors")
        hooks = [w for o in d if "webhooks" in o for w in o["webhooks"]]
        check(all(w["clientConfig"]["service"]["name"] == "gate" for w in hooks), "--name gate: webhooks call Service gate")
        serving = {c["metadata"]["name"]: c for c in by_kind(d, "Certificate")}.get("gate-serving", {}).get("spec", {})
        check(serving.get("secretName") == "gate-tls" and serving.get("dnsNames", [""])[0] == "gate"
              and all(o["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == f"{NS}/gate-serving" for o in d if "webhooks" in o),
              "--name gate: the certificate, its Secret and the CA injection")

    # Two files that would be one ConfigMap key.
    for sub in ("a", "b"):
        (tmp / "clash" / sub).mkdir(parents=True)
        (tmp / "clash" / sub / "p.yaml").write_text(
            f"apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\nmetadata: {{name: {sub}}}\nspec:\n  allowedNamespaces: [x]\n")
    _, r = manifests(peergate, "--policies", str(tmp / "clash"), expect=2)
    check("same name in the ConfigMap" in r.stderr and str(tmp / "clash" / "a" / "p.yaml") in r.stderr,
          f"two policy files with one name are refused, both named ({r.stderr.strip()})")

    broken = tmp / "broken.yaml"
    broken.write_text("apiVersion: peergate.dev/v1alpha1\nkind: PeerPodPolicy\nmetadata: {name: x}\nspec:\n  allowedNamespaces: [Bad_Name]\n")
    _, r = manifests(peergate, "--policies", str(broken), expect=1)
    check(f"{broken}:5:" in r.stderr and r.stdout == "", f"broken policies: located error, no output ({r.stderr.strip().splitlines()[:1]})")
    r = run([peergate, "manifests", "--namespace", "Not_A_Namespace"])
    check(r.returncode == 2 and "namespace name" in r.stderr, "--namespace must be a namespace name")


# ---------------------------------------------------------------- the Deployment runs

def group_deployment(peergate, repo, tmp):
    """The container the manifests describe, run here: its args with the Secret and ConfigMap
    volumes laid out as kubelet mounts them, the probes on their paths, and a review sent to the
    path of each webhook entry."""
    docs, _ = manifests(peergate, "--webhooks", "both")
    if docs is None:
        return
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    volumes = {v["name"]: v for v in pod["volumes"]}
    root = tmp / "pod"
    # Secret peergate-tls from `peergate certs`; ConfigMap files from the manifests' ConfigMap.
    certs = tmp / "certs-for-pod"
    run([peergate, "certs", "--service", "peergate", "--namespace", NS, "--out", str(certs)])
    cm = one(docs, "ConfigMap")
    for mount in container["volumeMounts"]:
        target = root / mount["mountPath"].lstrip("/")
        target.mkdir(parents=True)
        volume = volumes[mount["name"]]
        if "secret" in volume:
            for name in ("tls.crt", "tls.key"):
                shutil.copy(certs / name, target / name)
        else:
            check(volume["configMap"]["name"] == cm["metadata"]["name"], "deployment: mounts the policies ConfigMap")
            for name, text in cm["data"].items():
                (target / name).write_text(text)

    def remap(arg):
        flag, _, value = arg.partition("=")
        return f"{flag}={root / value.lstrip('/')}" if value.startswith("/") else arg

    args = [remap(a) for a in container["args"]]
    port_file = tmp / "pod-port"
    server = subprocess.Popen([peergate, *args, "--listen", "127.0.0.1:0", "--port-file", str(port_file)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 20
        while not port_file.exists() and time.time() < deadline and server.poll() is None:
            time.sleep(0.05)
        if not check(port_file.exists(), f"deployment: `peergate {' '.join(container['args'])}` starts"):
            server.kill()
            print(server.communicate()[0])
            return
        port = port_file.read_text().strip()
        host = f"peergate.{NS}.svc"

        def call(path, body=None):
            cmd = ["curl", "-sS", "--resolve", f"{host}:{port}:127.0.0.1", "--cacert", str(certs / "ca.crt"),
                   "-w", "\n%{http_code}", f"https://{host}:{port}{path}"]
            if body is not None:
                cmd += ["-H", "Content-Type: application/json", "--data-binary", "@" + str(body)]
            out = run(cmd).stdout.rsplit("\n", 1)
            return (out[0], out[1]) if len(out) == 2 else ("", "")

        for probe in ("readinessProbe", "livenessProbe"):
            get = container[probe]["httpGet"]
            _, code = call(get["path"])
            check(get["scheme"] == "HTTPS" and code == "200", f"deployment: {probe} {get['path']} answers 200 over HTTPS")
        reviews = repo / "samples" / "reviews"
        expected = {"/mutate-v1-pod": ("pod-peer-allowed.json", True, True),
                    "/admit": ("pod-peer-allowed.json", True, True),
                    "/validate": ("pod-peer-denied.json", False, False)}
        admit_docs, _ = manifests(peergate, "--webhooks", "admit")
        hooks = [h for d in (docs, admit_docs or []) for o in d if "webhooks" in o for h in o["webhooks"]]
        check({h["clientConfig"]["service"]["path"] for h in hooks} == set(expected), "deployment: every webhook path is exercised")
        for hook in hooks:
            path = hook["clientConfig"]["service"]["path"]
            sample, allowed, patched = expected[path]
            body, code = call(path + "?timeout=10s", reviews / sample)
            try:
                response = json.loads(body)["response"]
            except (ValueError, KeyError):
                response = {}
            check(code == "200" and response.get("allowed") is allowed and ("patch" in response) == patched,
                  f"deployment: {hook['name']} -> {path}: {sample} allowed={allowed} patched={patched}")
    finally:
        server.terminate()
        server.wait(timeout=30)


# ---------------------------------------------------------------- kustomize

def objects_by_identity(docs):
    out = {}
    for d in docs:
        key = (d["apiVersion"], d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
        assert key not in out, key
        out[key] = d
    return out


def compare(label, rendered, generated):
    a, b = objects_by_identity(rendered), objects_by_identity(generated)
    if not check(set(a) == set(b), f"{label}: same objects ({sorted(set(a) ^ set(b))})"):
        return
    for key in sorted(a):
        check(a[key] == b[key], f"{label}: {key[1]} {key[3]} identical")


def group_kustomize(peergate, repo, tmp):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        print("SKIP kubectl is not installed: the kustomize overlays were not rendered")
        sys.exit(77)
    deploy = repo / "samples" / "deploy"
    base_policies = deploy / "base" / "policies"
    for shipped in sorted((repo / "policies").glob("*.yaml")):
        copy_ = base_policies / shipped.name
        want = shipped.read_text().replace("$schema=schema/", "$schema=../../../../policies/schema/")
        check(copy_.exists() and copy_.read_text() == want, f"base/policies/{shipped.name} is policies/{shipped.name} (schema line adjusted)")
    check(sorted(p.name for p in base_policies.glob("*.yaml")) == sorted(p.name for p in (repo / "policies").glob("*.yaml")),
          "base/policies holds exactly the shipped policies")
    cases = [("base", []), ("overlays/cert-manager", ["--cert-manager"]), ("overlays/openshift", ["--openshift-service-ca"])]
    for path, flags in cases:
        r = run([kubectl, "kustomize", str(deploy / path)])
        if not check(r.returncode == 0, f"kubectl kustomize {path} ({r.stderr.strip()[:200]})"):
            continue
        rendered = [d for d in yaml.safe_load_all(r.stdout) if d]
        generated, _ = manifests(peergate, *flags, "--policies", str(base_policies))
        if generated is not None:
            compare(f"{path} == peergate manifests {' '.join(flags)}".strip(), rendered, generated)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("group", choices=["certs", "manifests", "deployment", "kustomize"])
    ap.add_argument("--peergate", required=True)
    ap.add_argument("--repo", required=True, type=Path)
    ap.add_argument("--shared", type=Path)
    ap.add_argument("--serve", action="store_true", help="the binary has `peergate serve`")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="peergate-deploy-") as t:
        tmp = Path(t)
        if a.group == "certs":
            group_certs(a.peergate, tmp, a.serve)
        elif a.group == "deployment":
            group_deployment(a.peergate, a.repo, tmp)
        elif a.group == "manifests":
            group_manifests(a.peergate, a.repo, a.shared or a.repo.resolve().parent / "shared", tmp)
        else:
            group_kustomize(a.peergate, a.repo, tmp)
    print(f"{len(failures)} failed" if failures else "all passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
