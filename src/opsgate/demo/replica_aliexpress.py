"""Replica of the AliExpress API proxy (seed runbook 004), mounted at `/replicas/aliexpress-proxy/`.

`/health`; `/admin/dashboard` behind `X-Admin-API-Key` (the key is OPSGATE_DEMO_ADMIN_API_KEY,
default `opsgate-demo-admin-key`) with the cache hit rate and API success rate of the morning
checks; `/logs`, the content of `logs/aliexpress_api.log` (Python logging lines, access lines
with 401/403/429); the CLIs' output at `/tools/pip-outdated` and `/tools/safety`. Broken mode: the
service is down, the dashboard answers without a key and shows a cold cache and failing upstream
calls, the log fills with errors and refused requests, `safety check` finds a vulnerability.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

from opsgate.demo.app import Request, Response, json_response, route

BASE = "/replicas/aliexpress-proxy"
DEFAULT_ADMIN_KEY = "opsgate-demo-admin-key"


@route("GET", f"{BASE}/health")
def health(req: Request) -> Response:
    if req.state.broken:
        return json_response(503, {"status": "unhealthy", "error": "AliExpress upstream unreachable"})
    return json_response(200, {"status": "healthy"})


@route("GET", f"{BASE}/admin/dashboard")
def dashboard(req: Request) -> Response:
    given = req.header("x-admin-api-key")
    wanted = os.environ.get("OPSGATE_DEMO_ADMIN_API_KEY", DEFAULT_ADMIN_KEY)
    if not req.state.broken and given != wanted:
        return json_response(401, {"detail": "Invalid or missing X-Admin-API-Key"})
    hit_rate, success = (0.12, 0.81) if req.state.broken else (0.74, 0.998)
    return json_response(200, {"cache": {"hit_rate": hit_rate, "entries": 5120},
                               "api": {"success_rate": success, "requests_24h": 18200}})


@route("GET", f"{BASE}/logs")
def logs(req: Request) -> Response:
    """`logs/aliexpress_api.log`: Python logging lines of the last hours, oldest first."""
    now = time.time()
    lines = [(now - 3600 + i * 300, "INFO", f"GET /products/{1000 + i} 200") for i in range(12)]
    lines.append((now - 1800, "WARNING", "GET /admin/dashboard 401 from 198.51.100.9"))
    if req.state.broken:
        lines += [(now - 900 + i * 5, "ERROR", "AliExpress API error: ApiCallLimit exceeded")
                  for i in range(120)]
        lines += [(now - 600 + i, "WARNING", "GET /admin/dashboard 403 from 203.0.113.66")
                  for i in range(600)]
    text = "\n".join(f"{datetime.fromtimestamp(at):%Y-%m-%d %H:%M:%S},000 - aliexpress_api - {level} - {msg}"
                     for at, level, msg in sorted(lines))
    return Response(200, (text + "\n").encode(), [("Content-Type", "text/plain")])


@route("GET", f"{BASE}/tools/pip-outdated")
def pip_outdated(req: Request) -> Response:
    """What `pip list --outdated --format json` prints."""
    stale = [{"name": "httpx", "version": "0.25.0", "latest_version": "0.28.1", "latest_filetype": "wheel"}]
    return json_response(200, stale if req.state.broken else [])


@route("GET", f"{BASE}/tools/safety")
def safety(req: Request) -> Response:
    """`safety check`: a report, and a failing exit status (here: HTTP 503, curl's 22) on a finding."""
    if req.state.broken:
        return Response(503, b"-> Vulnerability found in jinja2 version 3.1.2 (CVE-2024-22195)\n",
                        [("Content-Type", "text/plain")])
    return Response(200, b"No known security vulnerabilities reported.\n", [("Content-Type", "text/plain")])
