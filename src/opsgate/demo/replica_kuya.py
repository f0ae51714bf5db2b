"""Replica of Kuya Comps (seed runbook 002), mounted at `/replicas/kuya-comps/` on every demo target.

It answers with the shapes the runbook documents: `/health` -> `{"status": "healthy"}`,
`/health/ready` with the real local Redis behind `"redis"`, `/metrics` exactly as the runbook's
sample, `/comps` limited to RATE_LIMIT_PER_MINUTE (10) requests a minute per client, the two
providers' quota endpoints (SearchAPI.io account, eBay Developer Analytics), `railway logs`-style
lines at `/logs`, and the JSON of the CLIs the runbook runs at `/tools/...`. In broken mode it shows
the runbook's own failure symptoms: won't start (503, "[ERROR] Configuration validation failed"),
Redis down (hit rate 0, "Redis cache unavailable"), slow (p95 > 5 s), errors, quotas exhausted,
no rate limit, outdated and vulnerable dependencies, a failed deployment.
"""

from __future__ import annotations

import math
import time
from datetime import datetime

from opsgate.demo.app import Request, Response, json_response, redis_ok, route
from opsgate.demo.ratelimit import take

BASE = "/replicas/kuya-comps"
RATE_LIMIT_PER_MINUTE = 10

# The runbook's "Application Metrics" sample, verbatim.
METRICS = {
    "endpoints": {"/comps": {"total_requests": 1234, "avg_response_time_ms": 450,
                             "p95_response_time_ms": 1200, "error_rate": 0.5}},
    "cache": {"hits": 500, "misses": 234, "hit_rate": 68.12},
}
BROKEN_METRICS = {
    "endpoints": {"/comps": {"total_requests": 1240, "avg_response_time_ms": 3900,
                             "p95_response_time_ms": 6200, "error_rate": 7.5}},
    "cache": {"hits": 0, "misses": 734, "hit_rate": 0.0},
}
HEALTHY_LOG = ["INFO Application startup complete", "INFO GET /comps 200 412ms",
               "INFO cache hit sold:mike trout 2011", "INFO GET /health 200 2ms"]
BROKEN_LOG = ["[ERROR] Configuration validation failed: EBAY_CERT_ID is not set",
              "WARNING Redis cache unavailable, serving without cache",
              "ERROR ScraperError: SearchAPI rate limit exceeded",
              "ERROR ScraperError: eBay API quota exceeded",
              "ERROR GET /comps 500 5123ms", "ERROR GET /comps 500 6012ms"]


def _ready(req: Request) -> bool:
    return not req.state.broken and redis_ok()


def _bearer(req: Request) -> bool:
    token = req.header("authorization")
    return token.startswith("Bearer ") and len(token) > len("Bearer ")


@route("GET", f"{BASE}/health")
def health(req: Request) -> Response:
    if req.state.broken:
        return json_response(503, {"status": "unhealthy", "detail": "configuration validation failed"})
    return json_response(200, {"status": "healthy"})


@route("GET", f"{BASE}/health/ready")
def health_ready(req: Request) -> Response:
    redis_up = _ready(req)
    body = {"status": "healthy" if redis_up else "degraded", "redis": redis_up, "database": False}
    return json_response(200 if redis_up else 503, body)


@route("GET", f"{BASE}/metrics")
def metrics(req: Request) -> Response:
    return json_response(200, BROKEN_METRICS if req.state.broken else METRICS)


@route("GET", f"{BASE}/comps")
def comps(req: Request) -> Response:
    if req.state.broken:  # the limiter is not configured: every request goes through
        return json_response(200, {"query": req.arg("query"), "items": []})
    forwarded = req.header("x-forwarded-for")
    key = req.arg("key") or forwarded or "-"
    allowed, _, reset = take(f"kuya:{key}", RATE_LIMIT_PER_MINUTE, 60)
    if not allowed:
        return json_response(429, {"detail": "Rate limit exceeded"}, [("Retry-After", str(math.ceil(reset)))])
    return json_response(200, {"query": req.arg("query"), "items": []})


@route("GET", f"{BASE}/searchapi/api/v1/me")
def searchapi_account(req: Request) -> Response:
    if not _bearer(req):
        return json_response(401, {"error": "Invalid API key"})
    remaining = 0 if req.state.broken else 87
    return json_response(200, {"account": {"monthly_allowance": 100, "remaining_credits": remaining}})


@route("GET", f"{BASE}/ebay/developer/analytics/v1_beta/rate_limit/")
def ebay_rate_limits(req: Request) -> Response:
    if not _bearer(req):
        return json_response(401, {"errors": [{"errorId": 1001, "message": "Invalid access token"}]})
    remaining = 12 if req.state.broken else 4210
    rate = {"count": 5000 - remaining, "limit": 5000, "remaining": remaining,
            "reset": "2026-12-02T00:00:00.000Z", "timeWindow": 86400}
    return json_response(200, {"rateLimits": [{"apiContext": "buy", "apiName": "Browse", "apiVersion": "v1",
                                               "resources": [{"name": "buy.browse", "rates": [rate]}]}]})


@route("GET", f"{BASE}/logs")
def logs(req: Request) -> Response:
    """The last minutes of `railway logs`: ISO-timestamped lines, newest last."""
    lines = HEALTHY_LOG + (BROKEN_LOG if req.state.broken else [])
    now = time.time()
    stamped = [f"{datetime.fromtimestamp(now - (len(lines) - i) * 30).isoformat(timespec='seconds')} {line}"
               for i, line in enumerate(lines)]
    return Response(200, ("\n".join(stamped) + "\n").encode(), [("Content-Type", "text/plain")])


@route("GET", f"{BASE}/tools/pip-outdated")
def pip_outdated(req: Request) -> Response:
    """What `pip list --outdated --format json` prints."""
    outdated = [{"name": "fastapi", "version": "0.110.0", "latest_version": "0.115.6",
                 "latest_filetype": "wheel"}]
    return json_response(200, outdated if req.state.broken else [])


@route("GET", f"{BASE}/tools/pip-audit")
def pip_audit(req: Request) -> Response:
    """What `pip-audit -f json` prints."""
    vulns = [{"id": "PYSEC-2024-38", "fix_versions": ["0.109.1"], "aliases": ["CVE-2024-24762"]}]
    return json_response(200, {"dependencies": [
        {"name": "fastapi", "version": "0.110.0", "vulns": []},
        {"name": "python-multipart", "version": "0.0.6", "vulns": vulns if req.state.broken else []},
    ], "fixes": []})


@route("GET", f"{BASE}/tools/railway-status")
def railway_status(req: Request) -> Response:
    """What `railway status --json` prints (a failed deployment answers 503, like the CLI's exit 1)."""
    if req.state.broken:
        return json_response(503, {"error": "deployment FAILED"})
    return json_response(200, {"name": "kuya-comps", "environment": "production", "status": "SUCCESS"})
