#!/usr/bin/python3
"""Writes what `kubectl get pods -A -o json` prints for a large cluster: a List of N pods across
2 000 namespaces, shaped like real kubectl output (metadata with owner references, labels,
annotations and managedFields, a full spec, a status), about 4 KiB a pod. A third of the pods
are peer pods (runtimeClassName kata-remote), some of them in namespaces the shipped policy
allows. Written item by item: the generator holds one pod at a time.

Usage: generate_list.py N OUT.json [NAMESPACES]
"""
import json
import random
import sys
import uuid


def pod(i, namespaces, rng):
    ns_index = i % namespaces
    ns = "peer-pods" if ns_index == 0 else (f"confidential-{ns_index}" if ns_index % 10 == 1 else f"team-{ns_index}")
    app = f"app-{(i // namespaces) % 50}"
    rs_hash = f"{rng.getrandbits(36):09x}"
    name = f"{app}-{rs_hash}-{rng.getrandbits(25):05x}"
    peer = i % 3 == 0
    uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    container = {
        "name": app, "image": f"registry.example.com/{app}:1.{i % 7}.{i % 13}", "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
        "resources": ({"limits": {"kata.peerpods.io/vm": "1"}, "requests": {"kata.peerpods.io/vm": "1"}} if peer
                      else {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}),
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1,
                           "successThreshold": 1, "failureThreshold": 3},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access-x1", "readOnly": True}],
    }
    spec = {
        "containers": [container], "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
        "nodeName": f"worker-{i % 97}", "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
        "restartPolicy": "Always", "schedulerName": "default-scheduler", "securityContext": {},
        "serviceAccount": "default", "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
        "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}],
        "volumes": [{"name": "kube-api-access-x1", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}}]}}],
    }
    annotations = {"kubectl.kubernetes.io/restartedAt": "2024-05-01T10:00:00Z"}
    if peer:
        spec["runtimeClassName"] = "kata-remote"
        spec["overhead"] = {"cpu": "250m", "memory": "120Mi"}
        annotations["io.katacontainers.config.hypervisor.default_vcpus"] = "1"
        annotations["io.katacontainers.config.hypervisor.default_memory"] = "512"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "annotations": annotations, "creationTimestamp": "2024-05-01T10:00:00Z", "generateName": f"{app}-{rs_hash}-",
            "labels": {"app": app, "pod-template-hash": rs_hash},
            "managedFields": [{"apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}}, "f:ownerReferences": {".": {}, f"k:{{\"uid\":\"{uid}\"}}": {}}}, "f:spec": {"f:containers": {f"k:{{\"name\":\"{app}\"}}": {".": {}, "f:image": {}, "f:name": {}, "f:resources": {}}}}},
                               "manager": "kube-controller-manager", "operation": "Update", "time": "2024-05-01T10:00:00Z"}],
            "name": name, "namespace": ns,
            "ownerReferences": [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": "ReplicaSet",
                                 "name": f"{app}-{rs_hash}", "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4))}],
            "resourceVersion": str(100000 + i), "uid": uid,
        },
        "spec": spec,
        "status": {
            "conditions": [{"lastProbeTime": None, "lastTransitionTime": "2024-05-01T10:00:05Z", "status": "True", "type": t}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{"containerID": f"containerd://{rng.getrandbits(256):064x}", "image": container["image"],
                                   "imageID": f"registry.example.com/{app}@sha256:{rng.getrandbits(256):064x}", "lastState": {},
                                   "name": app, "ready": True, "restartCount": 0, "started": True,
                                   "state": {"running": {"startedAt": "2024-05-01T10:00:04Z"}}}],
            "hostIP": f"10.0.{i % 250}.{i % 200 + 1}", "phase": "Running", "podIP": f"10.128.{i % 250}.{i % 200 + 1}",
            "podIPs": [{"ip": f"10.128.{i % 250}.{i % 200 + 1}"}], "qosClass": "Burstable", "startTime": "2024-05-01T10:00:00Z",
        },
    }


def main():
    n, path = int(sys.argv[1]), sys.argv[2]
    namespaces = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    rng = random.Random(1)
    with open(path, "w") as f:
        f.write('{\n    "apiVersion": "v1",\n    "items": [\n')
        for i in range(n):
            text = json.dumps(pod(i, namespaces, rng), indent=4)
            f.write(("" if i == 0 else ",\n") + "        " + text.replace("\n", "\n        "))
        f.write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')


if __name__ == "__main__":
    main()
