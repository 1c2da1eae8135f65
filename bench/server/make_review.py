#!/usr/bin/python3
"""Writes the benchmark's AdmissionReview: samples/reviews/pod-peer-allowed.json as the apiserver
sends it (compact JSON), with the managedFields a controller-created pod carries at admission and
the usual environment variables of an inference server, until the body reaches 8 KiB, the size
of a real pod CREATE review.

Usage: make_review.py SOURCE_DIR OUT_FILE
"""
import json
import sys


def fields_v1(value):
    """The managedFields fieldsV1 set of a JSON value (maps by key, named list items by name)."""
    if isinstance(value, dict):
        out = {".": {}} if value else {}
        for k, v in value.items():
            out["f:" + k] = fields_v1(v)
        return out
    if isinstance(value, list) and value and all(isinstance(i, dict) and "name" in i for i in value):
        return {"k:" + json.dumps({"name": i["name"]}, separators=(",", ":")): fields_v1(i) for i in value}
    return {}


ENV = [
    {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
    {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
    {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
    {"name": "LOG_LEVEL", "value": "info"},
    {"name": "HF_HOME", "value": "/models/cache"},
    {"name": "OMP_NUM_THREADS", "value": "4"},
    {"name": "MAX_BATCH_SIZE", "value": "16"},
    {"name": "MAX_INPUT_LENGTH", "value": "4096"},
    {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability.svc:4317"},
    {"name": "OTEL_SERVICE_NAME", "value": "inference"},
    {"name": "MODEL_REVISION", "value": "b1e3c0d2f4a5968778695a4b3c2d1e0f9a8b7c6d"},
    {"name": "TRUST_REMOTE_CODE", "value": "false"},
    {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"containerName": "server", "resource": "limits.cpu", "divisor": "1"}}},
    {"name": "MEMORY_LIMIT", "valueFrom": {"resourceFieldRef": {"containerName": "server", "resource": "limits.memory", "divisor": "1Mi"}}},
    {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "inference-api", "key": "token"}}},
    {"name": "FEATURE_FLAGS", "value": "streaming,speculative-decoding,prefix-cache"},
]
TARGET = 8 * 1024


def build(source, env_count):
    with open(f"{source}/samples/reviews/pod-peer-allowed.json") as f:
        review = json.load(f)
    obj = review["request"]["object"]
    obj["spec"]["containers"][0].setdefault("env", []).extend(ENV[:env_count])
    meta = obj["metadata"]
    managed = {k: v for k, v in obj.items() if k in ("metadata", "spec")}
    managed["metadata"] = {k: v for k, v in meta.items() if k in ("generateName", "labels", "ownerReferences")}
    meta["managedFields"] = [{
        "manager": "kube-controller-manager",
        "operation": "Update",
        "apiVersion": "v1",
        "time": "2026-11-20T10:00:00Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(managed),
    }]
    return json.dumps(review, separators=(",", ":"))


def main():
    source, out = sys.argv[1], sys.argv[2]
    count = 0
    body = build(source, count)
    while len(body) < TARGET and count < len(ENV):
        count += 1
        body = build(source, count)
    with open(out, "w") as f:
        f.write(body)
    print(f"{out}: {len(body)} bytes")


if __name__ == "__main__":
    main()
