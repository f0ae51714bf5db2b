"""The demo target's HTTP layer: a route registry, the request handler, and the built-in routes.

Routes live in a registry filled by the `route(method, path)` decorator, so other modules of
this package (say `demo/webhooks.py`) add endpoints without touching this file:

    from opsgate.demo.app import Request, Response, json_response, route

    @route("POST", "/webhooks/stripe")
    def stripe_webhook(req: Request) -> Response:
        ...

`load_route_modules()` imports every such sibling module before the servers start. A path
segment written `{name}` captures that segment into `Request.params["name"]`.

The same routes answer in two modes: healthy (what a well-run shop looks like) and broken
(`DemoConfig.broken`: degraded health, weak security headers, metrics past typical limits), so
every check has something to pass against and something to fail against.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import re
import socket
import ssl
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVER_NAME = "opsgate-demo"
BROKEN_SERVER_NAME = "nginx/1.18.0"

# The seed replicas (`/replicas/<mode>/...` on every demo target); a mode also serves one at `/`.
REPLICA_MODES = ("pincart", "aislemarts", "kuya-comps", "support-agent", "aliexpress-proxy")

# Modules of this package that are infrastructure, not route definitions.
_NOT_ROUTE_MODULES = frozenset({"app", "process", "__main__", "kubectl"})


class DemoError(RuntimeError):
    """The demo target could not start, listen or answer as promised."""


@dataclass(frozen=True)
class DemoConfig:
    """How to run one demo target: where it listens, where the CA goes, which mode it is in.

    Port 0 asks the OS for a free port. `ca_bundle=None` lets `DemoProcess` pick a temporary
    file (the CLI defaults to `reports/demo-ca.pem`).
    """

    host: str = "127.0.0.1"
    port: int = 8642
    https_port: int = 8643
    ca_bundle: Path | None = None
    broken: bool = False
    mode: str | None = None  # a seed replica answering at `/` (see REPLICA_MODES)


# --- requests, responses, registry -------------------------------------------------------------


@dataclass
class Request:
    """One parsed request, as route handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str]
    state: DemoState

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name`, or `default`."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str:
        """Request header `name`, whatever its case, or "" when absent."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")


@dataclass
class Response:
    """What a handler answers. `body` may be an iterable of chunks (sent chunked).

    `drop=True` closes the connection without any answer.
    """

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler


_ROUTES: list[Route] = []


def _compile(pattern: str) -> re.Pattern[str]:
    if not pattern.startswith("/"):
        raise ValueError(f"route path must start with '/', got {pattern!r}")
    parts = re.split(r"\{(\w+)\}", pattern)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(regex + r"\Z")


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `method path`.

    Raises ValueError if that method and path are already taken.
    """
    method = method.upper()

    def register(handler: Handler) -> Handler:
        if any(r.method == method and r.pattern == path for r in _ROUTES):
            raise ValueError(f"route {method} {path} is already registered")
        _ROUTES.append(Route(method, path, _compile(path), handler))
        return handler

    return register


def routes() -> list[Route]:
    """All registered routes, in registration order."""
    return list(_ROUTES)


def resolve(method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
    """The route for `method path` with its captured params, or None and the methods allowed."""
    allowed: list[str] = []
    for r in _ROUTES:
        match = r.regex.match(path)
        if not match:
            continue
        if r.method == method or (method == "HEAD" and r.method == "GET"):
            return r, match.groupdict(), []
        allowed.append(r.method)
    return None, {}, allowed


def load_route_modules() -> None:
    """Import every sibling module of this package that defines routes (all but infrastructure)."""
    package = __name__.rpartition(".")[0]
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name not in _NOT_ROUTE_MODULES and not info.name.startswith("_"):
            importlib.import_module(f"{package}.{info.name}")


Headers = list[tuple[str, str]]


def json_response(status: int, payload: Any, headers: Headers | None = None) -> Response:
    """A JSON body with the right Content-Type."""
    body = json.dumps(payload).encode()
    return Response(status, body, [("Content-Type", "application/json"), *(headers or [])])


def html_response(html: str, headers: Headers | None = None) -> Response:
    """A 200 HTML page."""
    content_type = ("Content-Type", "text/html; charset=utf-8")
    return Response(200, html.encode(), [content_type, *(headers or [])])


# --- per-server state and metrics ---------------------------------------------------------------


class DemoMetrics:
    """Prometheus metrics in their own registry, so several demo servers never share counters."""

    def __init__(self, cache_hit_ratio: float) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "demo_http_requests",
            "HTTP requests answered",
            ["path", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "demo_http_request_duration_seconds",
            "Time to answer a request",
            ["path"],
            registry=self.registry,
        )
        self.active = Gauge("demo_active_requests", "Requests in flight", registry=self.registry)
        self.cache_hit_ratio = Gauge(
            "demo_cache_hit_ratio", "Share of cache lookups that hit", registry=self.registry
        )
        self.cache_hit_ratio.set(cache_hit_ratio)

    def observe(self, path: str, status: int, seconds: float) -> None:
        self.requests.labels(path=path, status=str(status)).inc()
        self.duration.labels(path=path).observe(seconds)


class DemoState:
    """What all listeners of one demo target share: its config, metrics and stop signal."""

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.metrics = DemoMetrics(cache_hit_ratio=0.31 if config.broken else 0.83)
        self.stopping = threading.Event()

    @property
    def broken(self) -> bool:
        return self.config.broken


# --- the handler and servers ---------------------------------------------------------------------


class DemoHandler(BaseHTTPRequestHandler):
    """Dispatches every request through the route registry and records its metrics."""

    protocol_version = "HTTP/1.1"
    server_version = SERVER_NAME
    sys_version = ""
    # Idle keep-alive connections must not pin a thread forever.
    timeout = 120
    # Headers and body go out in separate writes; Nagle + delayed ACK would add ~40 ms to each.
    disable_nagle_algorithm = True
    server: DemoServer

    def version_string(self) -> str:
        return BROKEN_SERVER_NAME if self.server.state.broken else SERVER_NAME

    def log_message(self, format: str, *args: Any) -> None:
        # Silent: the parent process does not drain our stderr while we run.
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        found, params, allowed = resolve(self.command, url.path)
        if state.config.mode and url.path.rstrip("/") != "/replicas":
            # The mode's replica answers first, at the root; other routes stay reachable.
            mode_found = resolve(self.command, f"/replicas/{state.config.mode}{url.path}")
            if mode_found[0] is not None:
                found, params, allowed = mode_found
        label = found.pattern if found else "unmatched"
        status = 500
        started = time.perf_counter()
        state.metrics.active.inc()
        try:
            req = Request(
                self.command,
                url.path,
                parse_qs(url.query),
                dict(self.headers.items()),
                self._read_body(),
                params,
                state,
            )
            response = self._respond(found, allowed, req)
            status = response.status
            if response.drop:
                self.close_connection = True
                return
            self._send(response)
        finally:
            state.metrics.active.dec()
            state.metrics.observe(label, status, time.perf_counter() - started)

    def _respond(self, found: Route | None, allowed: list[str], req: Request) -> Response:
        if found is None and allowed:
            allow = ", ".join(sorted(set(allowed)))
            return json_response(405, {"error": "method not allowed"}, [("Allow", allow)])
        if found is None:
            return json_response(404, {"error": "not found", "path": req.path})
        try:
            return found.handler(req)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return json_response(500, {"error": "internal server error"})

    def _read_body(self) -> bytes:
        raw = self.headers.get("Content-Length") or "0"
        length = int(raw) if raw.isdigit() else 0
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        bodiless_status = response.status in (204, 304)
        no_body = self.command == "HEAD" or bodiless_status
        if isinstance(response.body, bytes):
            if not bodiless_status:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if not no_body:
                self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if not no_body:
            self._send_chunked(response.body)

    def _send_chunked(self, chunks: Iterable[bytes]) -> None:
        try:
            for chunk in chunks:
                if self.server.state.stopping.is_set():
                    break
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (ConnectionError, ssl.SSLError, TimeoutError):
            # The client went away mid-body (e.g. a probe capping body size): just stop.
            self.close_connection = True


class DemoServer(ThreadingHTTPServer):
    """One listener (HTTP, or HTTPS when given a TLS context) of a demo target."""

    daemon_threads = True
    # The default backlog of 5 drops connection attempts when checks arrive together (latency
    # sampling at concurrency 10, a smoke gate of 200 checks): they would stall for a second.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], state: DemoState, tls: ssl.SSLContext | None = None
    ) -> None:
        self.state = state
        self.tls = tls
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, DemoHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        # Handshake here, in the connection's own thread, so a stalled client cannot block accept.
        request.settimeout(10)
        try:
            tls_sock = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            super().finish_request(tls_sock, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls_sock.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | ssl.SSLError | TimeoutError):
            super().handle_error(request, client_address)


def listen(host: str, port: int, state: DemoState, tls: ssl.SSLContext | None = None) -> DemoServer:
    """A bound, listening server, or DemoError naming the address when it cannot listen."""
    try:
        return DemoServer((host, port), state, tls)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise DemoError(f"demo target cannot listen on {host}:{port}: {reason}") from None


# --- dependency probes (imported lazily: startup must stay fast) ----------------------------------


def redis_ok() -> bool:
    """True when a real PING to the Redis at OPSGATE_DEMO_REDIS_URL answers within 0.5 s."""
    import redis

    url = os.environ.get("OPSGATE_DEMO_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def postgres_ok() -> bool:
    """True when `SELECT 1` succeeds on the PostgreSQL at OPSGATE_DEMO_DATABASE_URL."""
    import psycopg

    url = os.environ.get("OPSGATE_DEMO_DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute("SELECT 1").fetchone()
            return row == (1,)
    except Exception:
        return False


# --- built-in routes ------------------------------------------------------------------------------

GOOD_HEADERS = [
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'self'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "geolocation=()"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]

WEAK_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    ),
    ("Referrer-Policy", "unsafe-url"),
    ("X-Powered-By", "Express 4.17.1"),
]

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p></body>
</html>
"""

BIG_CHUNK = b"x" * (64 * 1024)
BIG_LIMIT = 1024**3
SLOW_CAP_MS = 60_000


def security_headers(state: DemoState) -> list[tuple[str, str]]:
    return list(WEAK_HEADERS if state.broken else GOOD_HEADERS)


@route("GET", "/")
def index(req: Request) -> Response:
    page = PAGE.format(title="opsgate demo shop", text="A stand-in for the runbooks' systems.")
    return html_response(page, security_headers(req.state))


@route("GET", "/account")
def account(req: Request) -> Response:
    headers = security_headers(req.state)
    if req.state.broken:
        headers.append(("Set-Cookie", "sessionid=demo-session-1234; Path=/"))
    else:
        headers += [
            ("Set-Cookie", "sessionid=demo-session-1234; Secure; HttpOnly; SameSite=Lax; Path=/"),
            ("Set-Cookie", "prefs=theme-dark; Secure; HttpOnly; SameSite=Strict"),
        ]
    page = PAGE.format(title="Your account", text="Signed in as demo@example.com.")
    return html_response(page, headers)


@route("GET", "/health")
def health(req: Request) -> Response:
    redis_up = not req.state.broken and redis_ok()
    status = "ok" if redis_up else "degraded"
    return json_response(200 if redis_up else 503, {"status": status, "redis": redis_up})


@route("GET", "/health/ready")
def ready(req: Request) -> Response:
    if req.state.broken:
        checks = {"redis": redis_ok(), "postgres": False}
    else:
        checks = {"redis": redis_ok(), "postgres": postgres_ok()}
    ok = all(checks.values())
    payload = {"status": "ready" if ok else "not ready", "checks": checks}
    return json_response(200 if ok else 503, payload)


@route("GET", "/metrics")
def metrics(req: Request) -> Response:
    body = generate_latest(req.state.metrics.registry)
    return Response(200, body, [("Content-Type", CONTENT_TYPE_LATEST)])


@route("GET", "/metrics.json")
def metrics_json(req: Request) -> Response:
    broken = req.state.broken
    return json_response(
        200,
        {
            "endpoints": {
                "/comps": {
                    "p95_response_time_ms": 2600 if broken else 420,
                    "requests": 1234,
                    "error_rate": 0.04 if broken else 0.002,
                }
            },
            "cache": {"hit_rate": 0.31 if broken else 0.83, "size": 512},
            "active_requests": 3,
        },
    )


@route("GET", "/slow")
def slow(req: Request) -> Response:
    raw = req.arg("ms", "1000") or ""
    if not raw.isdigit():
        return json_response(400, {"error": "ms must be a non-negative integer"})
    ms = min(int(raw), SLOW_CAP_MS)
    req.state.stopping.wait(ms / 1000)
    return json_response(200, {"slept_ms": ms})


@route("GET", "/status/{code}")
def status(req: Request) -> Response:
    raw = req.params["code"]
    if not raw.isdigit() or not 200 <= int(raw) <= 599:
        return json_response(400, {"error": "status code must be between 200 and 599"})
    code = int(raw)
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = ""
    return json_response(code, {"status": code, "reason": reason})


@route("GET", "/hang")
def hang(req: Request) -> Response:
    req.state.stopping.wait()
    return Response(drop=True)


@route("GET", "/redirect-loop")
def redirect_loop(req: Request) -> Response:
    return json_response(302, {"location": "/redirect-loop"}, [("Location", "/redirect-loop")])


@route("GET", "/redirect")
def redirect(req: Request) -> Response:
    target = req.arg("to", "/") or "/"
    # Same-site paths only: an open redirect would be a bad look on a security demo.
    if not target.startswith("/") or target.startswith("//"):
        return json_response(400, {"error": "'to' must be a path on this site"})
    return json_response(302, {"location": target}, [("Location", target)])


def _big_body() -> Iterator[bytes]:
    for _ in range(BIG_LIMIT // len(BIG_CHUNK)):
        yield BIG_CHUNK


@route("GET", "/big")
def big(req: Request) -> Response:
    return Response(200, _big_body(), [("Content-Type", "application/octet-stream")])


@route("GET", "/not-json")
def not_json(req: Request) -> Response:
    return Response(200, b"<html>oops</html>", [("Content-Type", "application/json")])
