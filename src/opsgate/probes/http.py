"""HTTP probe: one request with a bounded body read; facts only, failures mapped by phase."""

from __future__ import annotations

import atexit
import json
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

import httpx

from opsgate.errors import ProbeFailure, ProbeTimeout, ProtocolFailure, Unreachable
from opsgate.probes.auth import auth_headers
from opsgate.probes.http_policy import (
    forwardable,
    headers_too_large,
    origin,
    refuse_large_headers,
    refuse_scheme,
)
from opsgate.probes.transport import client_tls, exception_chain, network_failure, root_cause
from opsgate.redact import clip, mask_header
from opsgate.targets._urls import endpoint
from opsgate.targets.http import HttpTarget
from opsgate.units import format_duration

_CHUNK = 64 * 1024
_EXCERPT = 2048
_transports: dict[tuple[str | None, bool], httpx.HTTPTransport] = {}
_transports_lock = threading.Lock()


@dataclass(frozen=True)
class HttpResponse:
    """What one request returned, with the body cut at the target's `max_body`."""

    method: str
    url: str
    final_url: str
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool
    elapsed: float
    redirects: list[tuple[int, str]] = field(default_factory=list)

    @property
    def https(self) -> bool:
        return self.final_url.startswith("https://")

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @cached_property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; a ProtocolFailure with an excerpt when it is not."""
        if self.truncated:
            raise ProtocolFailure(
                f"{self.method} {self.url}: body exceeds max_body ({len(self.body)} bytes read) "
                "so it cannot be parsed as JSON; raise max_body if the response is meant to be large"
            )
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ProtocolFailure(
                f"{self.method} {self.url}: expected a JSON body, got "
                f"{self.header('content-type') or 'no content type'}: {exc.args[0]}; "
                f"body starts {clip(self.text, 120)!r}"
            ) from None

    def header_block(self) -> str:
        """The response headers, one per line, with cookie values and credentials masked."""
        return "\n".join(f"{name}: {mask_header(name, value)}" for name, value in self.headers)

    def evidence(self) -> str:
        """The response as a person would read it in curl -i: status, headers, body excerpt."""
        hops = "".join(f"-> {status} {url}\n" for status, url in self.redirects)
        head = self.header_block()
        excerpt = clip(self.text, _EXCERPT) + ("\n[... cut]" if len(self.body) > _EXCERPT else "")
        return (f"{hops}{self.http_version} {self.status} {self.reason}  ({self.elapsed * 1000:.0f} ms)"
                f"\n{head}\n\n{excerpt}")


def fetch(target: HttpTarget, timeout: float) -> HttpResponse:
    """Send the target's request and read at most `max_body` bytes within `timeout` seconds."""
    client = _client_for(target, f"{target.method} {target.url}")
    request = client.build_request(
        target.method, target.url, headers=_request_headers(target),
        content=target.body, json=target.body_json,
        timeout=httpx.Timeout(timeout),
    )
    started = time.perf_counter()
    try:
        response = client.send(request, stream=True, follow_redirects=target.follow_redirects)
        try:
            body, truncated = _read_capped(response, int(target.max_body), started + timeout)
        finally:
            response.close()
    except httpx.HTTPError as exc:
        raise http_failure(f"{target.method} {target.url}", target.url, exc, timeout,
                           target.max_redirects) from None
    elapsed = time.perf_counter() - started
    return HttpResponse(
        method=target.method, url=target.url, final_url=str(response.url),
        status=response.status_code, reason=response.reason_phrase,
        http_version=response.http_version, headers=list(response.headers.multi_items()),
        body=body, truncated=truncated, elapsed=elapsed,
        redirects=[(r.status_code, r.headers.get("location", "")) for r in response.history],
    )


def _read_capped(response: httpx.Response, limit: int, deadline: float) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes(_CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
        if time.perf_counter() > deadline:
            raise httpx.ReadTimeout("body still arriving when the timeout ran out")
    return b"".join(chunks), False


def _request_headers(target: HttpTarget) -> dict[str, str]:
    return {"User-Agent": "opsgate", **target.headers,
            **auth_headers(target.bearer_token, target.basic_auth)}


def _client_for(target: HttpTarget, where: str) -> httpx.Client:
    """A client of its own per request (no cookie carries over from another check) on a
    connection pool shared per TLS setting (checks of one service reuse connections), enforcing
    the policy both HTTP stacks share (probes/http_policy.py) on every hop."""
    key = (target.ca_bundle, target.insecure)
    with _transports_lock:
        transport = _transports.get(key)
        if transport is None:
            transport = httpx.HTTPTransport(
                verify=client_tls(f"http {target.name}", target.ca_bundle, target.insecure),
                limits=httpx.Limits(max_connections=512, max_keepalive_connections=128),
            )
            _transports[key] = transport
    first = origin(target.url)

    def strip_credentials(request: httpx.Request) -> None:
        kept = forwardable(request.headers, first, origin(str(request.url)), target.secret_headers)
        for name in [name for name in request.headers if name not in kept]:
            del request.headers[name]

    def check_response(response: httpx.Response) -> None:
        refuse_large_headers(where, response.headers.multi_items())
        location = response.headers.get("location")
        if target.follow_redirects and response.has_redirect_location and location:
            # httpx would give a host-less `file:///etc/passwd` the request's host and fail
            # later with "unsupported protocol": refuse it as the latency sampler does.
            refuse_scheme(where, urljoin(str(response.request.url), location))

    # Never closed: closing a client would close the shared pool (see _close_transports).
    return httpx.Client(transport=transport, max_redirects=target.max_redirects,
                        event_hooks={"request": [strip_credentials], "response": [check_response]})


@atexit.register
def _close_transports() -> None:
    with _transports_lock:
        for transport in _transports.values():
            transport.close()
        _transports.clear()


def http_failure(
    where: str, url: str, exc: httpx.HTTPError, timeout: float, max_redirects: int,
) -> ProbeFailure:
    """The finding for an httpx error, by phase: loop, timeout, TLS, DNS, refused, protocol."""
    host_port = endpoint(url)
    if isinstance(exc, httpx.TooManyRedirects):
        return ProtocolFailure(
            f"{where}: redirect loop, more than {max_redirects} redirects "
            "(check the server's redirect rules, e.g. an HTTP->HTTPS rule behind a TLS proxy)"
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return ProbeTimeout(f"{where}: no connection to {host_port} within {format_duration(timeout)}")
    if isinstance(exc, httpx.TimeoutException):
        return ProbeTimeout(
            f"{where}: no complete response within {format_duration(timeout)} (the service hangs or "
            "is overloaded)"
        )
    found = network_failure(exc, where, host_port, "the service")
    if found is not None:
        return found
    if any(getattr(cause, "error_status_hint", None) == 431 for cause in exception_chain(exc)):
        return headers_too_large(where)  # h11 refuses a header block over 100 KiB
    if isinstance(exc, httpx.RemoteProtocolError):
        return ProtocolFailure(f"{where}: the server broke the HTTP protocol: {exc}")
    return Unreachable(f"{where}: {type(exc).__name__}: {root_cause(exc) or exc}")
