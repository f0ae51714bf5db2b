"""Demo route with a real rate limit: `limit` requests per `window` seconds per client key.

`GET /rate-limited?limit=30&window=60&key=K` counts requests per key K (default: the client's
`X-Forwarded-For`, else one shared key) in fixed windows. Within the limit it answers 200 with
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (IETF draft) headers; past it, 429
with `Retry-After`. In broken mode it never limits: the misconfiguration rate-limit checks exist for.
"""

from __future__ import annotations

import math
import threading
import time

from opsgate.demo.app import Request, Response, json_response, route

_windows: dict[tuple[str, int, int], tuple[float, int]] = {}  # key -> (window start, requests)
_lock = threading.Lock()


def _positive(req: Request, name: str, default: int) -> int | None:
    raw = req.arg(name, str(default)) or ""
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def take(key: str, limit: int, window: int) -> tuple[bool, int, float]:
    """Count one request of `key`: (allowed, remaining, seconds until the window resets)."""
    now = time.monotonic()
    with _lock:
        started, count = _windows.get((key, limit, window), (now, 0))
        if now - started >= window:
            started, count = now, 0
        count += 1
        _windows[(key, limit, window)] = (started, count)
    return count <= limit, max(0, limit - count), window - (now - started)


@route("GET", "/rate-limited")
def rate_limited(req: Request) -> Response:
    limit, window = _positive(req, "limit", 30), _positive(req, "window", 60)
    if limit is None or window is None:
        return json_response(400, {"error": "limit and window must be positive integers"})
    if req.state.broken:
        return json_response(200, {"ok": True})
    forwarded = req.header("x-forwarded-for")
    key = req.arg("key") or forwarded or "-"
    allowed, remaining, reset = take(key, limit, window)
    headers = [("RateLimit-Limit", str(limit)), ("RateLimit-Remaining", str(remaining)),
               ("RateLimit-Reset", str(math.ceil(reset)))]
    if not allowed:
        return json_response(429, {"error": "too many requests"},
                             [*headers, ("Retry-After", str(math.ceil(reset)))])
    return json_response(200, {"ok": True}, headers)
