"""Replica of AisleMarts (seed runbook 001), mounted at `/replicas/aislemarts/` on every demo target.

The API's `/health` and `/webhooks/stripe`, Stripe's `GET /v1/balance` (for "Verify
STRIPE_SECRET_KEY is current"), and the Kubernetes objects the runbook's `kubectl` commands read,
under `/k8s/` in the shapes `kubectl ... -o json` prints (the replica kubectl, `python -m
opsgate.demo.kubectl`, fetches them). Broken mode: a pod in CrashLoopBackOff, a rollout past its
progress deadline, the HPA at its ceiling, a failed backup job, errors and slow requests in the logs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from opsgate.demo.app import Request, Response, json_response, route
from opsgate.demo.webhooks import receive

BASE = "/replicas/aislemarts"


@route("GET", f"{BASE}/health")
def health(req: Request) -> Response:
    return json_response(200, {"status": "ok"})


@route("POST", f"{BASE}/webhooks/{{scheme}}")
def webhook(req: Request) -> Response:
    return receive(req)


@route("GET", f"{BASE}/stripe/v1/balance")
def stripe_balance(req: Request) -> Response:
    token = req.header("authorization")
    if req.state.broken or not token.startswith("Bearer sk_"):
        return json_response(401, {"error": {"type": "invalid_request_error",
                                             "message": "Invalid API Key provided: sk_live_****"}})
    return json_response(200, {"object": "balance", "available": [{"amount": 125000, "currency": "usd"}]})


@route("GET", f"{BASE}/k8s/pods")
def pods(req: Request) -> Response:
    phases = ["Running", "Running", "CrashLoopBackOff" if req.state.broken else "Running"]
    return json_response(200, {"kind": "List", "items": [
        {"metadata": {"name": f"aislemarts-backend-7c9f-{i}"}, "status": {"phase": phase}}
        for i, phase in enumerate(phases)]})


@route("GET", f"{BASE}/k8s/deploy/{{name}}")
def deployment(req: Request) -> Response:
    progressing = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"} \
        if req.state.broken else {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
    return json_response(200, {"kind": "Deployment", "metadata": {"name": req.params["name"]},
                               "spec": {"replicas": 3, "progressDeadlineSeconds": 600},
                               "status": {"replicas": 3, "conditions": [
                                   {"type": "Available", "status": "True"}, progressing]}})


@route("GET", f"{BASE}/k8s/hpa/{{name}}")
def hpa(req: Request) -> Response:
    desired = 10 if req.state.broken else 3
    return json_response(200, {"kind": "HorizontalPodAutoscaler", "metadata": {"name": req.params["name"]},
                               "spec": {"minReplicas": 2, "maxReplicas": 10},
                               "status": {"currentReplicas": desired, "desiredReplicas": desired}})


@route("GET", f"{BASE}/k8s/jobs")
def jobs(req: Request) -> Response:
    newest = {"failed": 1} if req.state.broken else {"succeeded": 1}
    return json_response(200, {"kind": "List", "items": [
        {"metadata": {"name": "mongo-backup-29012"}, "status": {"succeeded": 1}},
        {"metadata": {"name": "mongo-backup-29013"}, "status": newest}]})


@route("GET", f"{BASE}/k8s/logs/{{app}}")
def logs(req: Request) -> Response:
    """`kubectl logs -l app=APP`: the backend's or the backup job's lines, newest last."""
    now = time.time()
    if req.params["app"] == "mongo-backup":
        lines = ["2026-12-01T02:00:01Z starting mongodump", "2026-12-01T02:03:12Z uploaded backup.tar.gz"]
        if req.state.broken:
            lines.append("2026-12-01T14:00:09Z ERROR upload failed: 403 Forbidden (storage.objects.create)")
    else:
        lines = [f"{_iso(now - 600 + i * 30)} INFO GET /api/products 200 84ms" for i in range(20)]
        if req.state.broken:
            lines += [f"{_iso(now - 120 + i)} ERROR stripe webhook handler failed: timeout after 3012ms"
                      for i in range(25)]
    return Response(200, ("\n".join(lines) + "\n").encode(), [("Content-Type", "text/plain")])


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
