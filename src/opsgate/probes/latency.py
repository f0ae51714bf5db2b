"""Latency sampler: `samples` timed requests with bounded concurrency, warm-up and pacing.

Facts only. Every sample records its total time (request sent to last body byte) and the
connect, TLS and time-to-first-byte phases of its first connection and response. A request that
fails is kept as an error sample; a request cut off by its timeout keeps the time it ran (a lower
bound of its latency), so timeouts push percentiles up instead of vanishing.

Each request is bounded by the target's `timeout` (as `hey -t` and k6's request `timeout`), the
whole run by its budget (`max_duration`, default `LatencyTarget.run_budget`). Every receive waits
at most until the earlier of the two ends, so a server that trickles its body byte by byte cannot
stretch a request; a request that the run's end cuts off is not a sample (the endpoint did not
fail it) and only makes the run "cut short". The worker threads are daemons and every one of them
is done by the run's end: none outlives the probe or delays interpreter exit.

Requests go through the standard library's `http.client`, not httpx. At concurrency > 1 the
answers of a lockstep sample arrive together, and each worker thread waits for the GIL while the
others parse theirs: that wait is read as latency. http.client spends under a third of httpx's
CPU per request (115 µs against 390 µs here), which brings p99 from 3 % above `hey`'s to within
1 % of it (bench/latency_vs_hey.py).
"""

from __future__ import annotations

import math
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException, HTTPResponse, HTTPSConnection, LineTooLong
from typing import Any
from urllib.parse import urljoin, urlsplit

from opsgate.deadline import Deadline
from opsgate.errors import ProbeConfigError, ProbeFailure, ProtocolFailure, Unreachable
from opsgate.probes.auth import auth_headers
from opsgate.probes.http_policy import (
    Origin,
    forwardable,
    headers_too_large,
    origin,
    refuse_large_headers,
    refuse_scheme,
)
from opsgate.probes.transport import client_tls, network_failure
from opsgate.targets._urls import endpoint
from opsgate.targets.latency import LatencyTarget
from opsgate.units import format_duration

_CHUNK = 64 * 1024
MAX_REDIRECTS = 20
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Every receive ends by the run's end; a worker may still be between two requests then.
_JOIN_MARGIN = 0.5


@dataclass(frozen=True)
class Sample:
    """One timed request. `total` is None only for a request that failed without timing out."""

    started: float  # seconds after sampling began
    total: float | None
    status: int | None = None
    error: str | None = None
    timed_out: bool = False
    connect: float | None = None
    tls: float | None = None
    ttfb: float | None = None

    @property
    def ok(self) -> bool:
        """A response with a 2xx or 3xx status."""
        return self.status is not None and 200 <= self.status < 400


@dataclass(frozen=True)
class LatencySample:
    """The measured samples of one latency check (warm-up requests are not among them)."""

    url: str
    method: str
    planned: int
    warmup: int
    concurrency: int
    samples: tuple[Sample, ...]
    wall: float
    budget: float
    cut_short: bool

    @property
    def latencies(self) -> list[float]:
        """Sorted latencies of every sample that has one (responses of any status, timeouts)."""
        return sorted(s.total for s in self.samples if s.total is not None)

    @property
    def errors(self) -> list[Sample]:
        """Samples without a 2xx/3xx response: non-2xx statuses, timeouts, failed connections."""
        return [s for s in self.samples if not s.ok]

    def phase(self, name: str) -> list[float]:
        """Sorted values of one phase (`connect`, `tls`, `ttfb`) where the trace recorded it."""
        return sorted(v for s in self.samples if (v := getattr(s, name)) is not None)


def probe(target: LatencyTarget, timeout: float) -> LatencySample:
    """Sample the target, each request within `timeout` seconds and the whole run within its
    budget; raise only when no request got any answer."""
    budget = target.run_budget(timeout)
    if target.rate is not None and target.requests / target.rate > budget:
        raise ProbeConfigError(
            f"latency {target.name}: {target.requests} requests at {target.rate:g}/s need "
            f"{format_duration(target.requests / target.rate)}, more than the run's "
            f"{format_duration(budget)} budget; set the target's max_duration or raise the rate, "
            "or lower samples"
        )
    run = Deadline(budget)
    with _Connections(_tls_context(target), target.keepalive) as connections:
        if target.warmup:
            _run_phase(connections, target, target.warmup, timeout, run)
        measured_from = time.perf_counter()
        samples = _run_phase(connections, target, target.samples, timeout, run)
    if samples and all(s.total is None for s in samples):
        raise _all_failed(target, samples)
    return LatencySample(
        url=target.url, method=target.method, planned=target.samples, warmup=target.warmup,
        concurrency=target.concurrency, samples=tuple(samples),
        wall=time.perf_counter() - measured_from, budget=budget,
        cut_short=len(samples) < target.samples,
    )


def _run_phase(
    connections: _Connections, target: LatencyTarget, count: int, timeout: float, run: Deadline,
) -> list[Sample]:
    """Send `count` requests, at most `concurrency` at once, paced by `rate`; stop at the run's end."""
    begun = time.perf_counter()
    results: list[Sample | None] = [None] * count
    next_index = iter(range(count))
    lock = threading.Lock()
    headers = _headers(target)
    crashed: list[BaseException] = []

    def worker() -> None:
        try:
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                if target.rate is not None:
                    _sleep_until(begun + index / target.rate, run)
                if run.expired:
                    return
                results[index] = _timed(connections, target, headers, timeout, run, begun)
        except BaseException as exc:  # a bug: the probe re-raises it, never a silent thread death
            crashed.append(exc)

    # Daemon threads, not a ThreadPoolExecutor: the executor's threads are joined at interpreter
    # exit, so one stuck read would hold the process after the run.
    workers = [threading.Thread(target=worker, daemon=True, name="opsgate-latency")
               for _ in range(min(target.concurrency, count))]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(run.remaining() + _JOIN_MARGIN)
    if crashed:
        raise crashed[0]
    return [s for s in results if s is not None]


def _sleep_until(moment: float, run: Deadline) -> None:
    delay = min(moment - time.perf_counter(), run.remaining())
    if delay > 0:
        time.sleep(delay)


class _RedirectLoop(Exception):
    pass


def _timed(
    connections: _Connections, target: LatencyTarget, headers: dict[str, str], timeout: float,
    run: Deadline, begun: float,
) -> Sample | None:
    """One request, timed from send to the last body byte, with its phases; None when the run's
    end, not the request's own timeout, cut it off (that is no fact about the endpoint)."""
    allowed = min(timeout, run.remaining())
    phases: dict[str, float] = {}
    start = time.perf_counter()
    offset = start - begun
    try:
        status, finished = _exchange(connections, target, headers, start,
                                     time.monotonic() + allowed, phases)
    except TimeoutError as exc:
        if allowed < timeout:
            return None
        return Sample(started=offset, total=time.perf_counter() - start, timed_out=True,
                      error=f"no complete response within {format_duration(timeout)} "
                            f"({exc or 'timed out'})", **phases)
    except (OSError, HTTPException, _RedirectLoop) as exc:
        return Sample(started=offset, total=None, error=str(_failure(target, exc)), **phases)
    except ProtocolFailure as exc:  # a redirect no client should follow
        return Sample(started=offset, total=None, error=str(exc), **phases)
    return Sample(started=offset, total=finished - start, status=status, **phases)


def _exchange(
    connections: _Connections, target: LatencyTarget, headers: dict[str, str], start: float,
    deadline: float, phases: dict[str, float],
) -> tuple[int, float]:
    """Send the request and follow its redirects; the final status and when its body ended."""
    url, where = target.url, f"{target.method} {target.url}"
    first = origin(url)
    for _ in range(MAX_REDIRECTS + 1):
        hop = origin(url)
        connection = connections.take(hop, deadline, phases)
        try:
            response = _one_hop(connection, target.method, url,
                                forwardable(headers, first, hop, target.secret_headers), deadline)
            phases.setdefault("ttfb", time.perf_counter() - start)
            refuse_large_headers(where, response.getheaders())
            while response.read(_CHUNK):
                pass
        except BaseException:
            connection.close()
            raise
        finished = time.perf_counter()
        connections.give(hop, connection)
        location = response.getheader("location")
        if not (target.follow_redirects and response.status in _REDIRECTS and location):
            return response.status, finished
        url = urljoin(url, location)
        refuse_scheme(where, url)
    raise _RedirectLoop(f"more than {MAX_REDIRECTS} redirects")


def _one_hop(
    connection: HTTPConnection, method: str, url: str, headers: dict[str, str], deadline: float,
) -> HTTPResponse:
    """Send one request; the response with its headers read and its body still to read."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sock = connection.sock
    assert isinstance(sock, _Bounded)  # _Connections hands out connected, bounded ones only
    sock.deadline = deadline
    sock.settimeout(_remaining(deadline))  # for sending; every receive sets its own
    connection.request(method, path, headers=headers)
    return connection.getresponse()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the request's time ran out")
    return left


class _Bounded:
    """A socket whose every receive waits at most until `deadline` (monotonic time).

    http.client reads through a buffered file that asks the socket again and again, each time
    with a fresh socket timeout: a server sending one byte every 0.2 s would never time out.
    Setting the timeout to what is left before each receive bounds the whole request.
    """

    deadline: float = math.inf

    def recv_into(self, *args: Any, **kwargs: Any) -> int:
        self.settimeout(_remaining(self.deadline))  # type: ignore[attr-defined]
        return super().recv_into(*args, **kwargs)  # type: ignore[misc]


class _BoundedSocket(_Bounded, socket.socket):
    pass


class _BoundedSSLSocket(_Bounded, ssl.SSLSocket):
    pass


class _Connections:
    """Idle keep-alive connections per origin, shared by the workers of both phases (so warm-up
    opens what sampling reuses). Without `keepalive` every request opens and closes its own."""

    def __init__(self, tls: ssl.SSLContext, keepalive: bool) -> None:
        self._tls = tls
        self._keepalive = keepalive
        self._idle: dict[Origin, list[HTTPConnection]] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> _Connections:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connection in (c for group in idle.values() for c in group):
            connection.close()

    def take(self, origin: Origin, deadline: float, phases: dict[str, float]) -> HTTPConnection:
        """An idle connection the server has not closed meanwhile, or a new one."""
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                connection = idle.pop() if idle else None
            if connection is None:
                return self._connect(origin, deadline, phases)
            if connection.sock is not None and not _closed_by_peer(connection.sock):
                return connection
            connection.close()

    def give(self, origin: Origin, connection: HTTPConnection) -> None:
        # http.client drops the socket itself when the response said `Connection: close`.
        if not self._keepalive or connection.sock is None:
            connection.close()
            return
        with self._lock:
            self._idle.setdefault(origin, []).append(connection)

    def _connect(self, origin: Origin, deadline: float, phases: dict[str, float]) -> HTTPConnection:
        scheme, host, port = origin
        began = time.perf_counter()
        plain = socket.create_connection((host, port), timeout=_remaining(deadline))
        sock = _BoundedSocket(fileno=plain.detach())
        sock.settimeout(_remaining(deadline))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connected = time.perf_counter()
        phases.setdefault("connect", connected - began)
        if scheme == "https":
            try:
                sock = self._tls.wrap_socket(sock, server_hostname=host)
            except BaseException:
                sock.close()
                raise
            phases.setdefault("tls", time.perf_counter() - connected)
            connection: HTTPConnection = HTTPSConnection(host, port, context=self._tls)
        else:
            connection = HTTPConnection(host, port)
        connection.sock = sock  # connected and timed here, so http.client never connects itself
        return connection


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle keep-alive socket is readable only when the server closed it (or sent garbage)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def _tls_context(target: LatencyTarget) -> ssl.SSLContext:
    verified = client_tls(f"latency {target.name}", target.ca_bundle, target.insecure)
    if isinstance(verified, ssl.SSLContext):
        context = verified
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.sslsocket_class = _BoundedSSLSocket  # a context of its own: client_tls makes a new one
    return context


def _failure(target: LatencyTarget, exc: BaseException) -> ProbeFailure:
    """The finding for a request that got no answer: redirect loop, TLS, DNS, refused, protocol."""
    where = f"{target.method} {target.url}"
    if isinstance(exc, _RedirectLoop):
        return ProtocolFailure(f"{where}: redirect loop, {exc}")
    found = network_failure(exc, where, endpoint(target.url), "the service")
    if found is not None:
        return found
    if isinstance(exc, LineTooLong):  # one header line over http.client's 64 KiB
        return headers_too_large(where)
    if isinstance(exc, HTTPException):
        return ProtocolFailure(f"{where}: the server broke the HTTP protocol: {type(exc).__name__}: {exc}")
    return Unreachable(f"{where}: {type(exc).__name__}: {exc}")


def _all_failed(target: LatencyTarget, samples: list[Sample]) -> ProbeFailure:
    first = samples[0].error or "no answer"
    return ProbeFailure(
        f"all {len(samples)} requests failed without any answer, so no latency can be measured; "
        f"first: {first}"
    )


def _headers(target: LatencyTarget) -> dict[str, str]:
    return {"User-Agent": "opsgate-latency", **target.headers,
            **auth_headers(target.bearer_token, target.basic_auth)}
