"""Latency sampler: `samples` timed requests with bounded concurrency, warm-up and pacing.

Facts only. Every sample records its total time (request sent to last body byte) and, from
httpx's `trace` extension, the connect, TLS and time-to-first-byte phases of its first hop. A
request that fails is kept as an error sample; a request cut off by its timeout keeps the time it
ran (a lower bound of its latency), so timeouts push percentiles up instead of vanishing.

The whole sampling run is bounded by the target's `timeout` (the probe's budget, as for every
probe); each request by `request_timeout` (default: the budget), never beyond the budget's end.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from opsgate.errors import ProbeConfigError, ProbeFailure
from opsgate.probes.auth import auth_headers
from opsgate.probes.http import http_failure
from opsgate.probes.transport import client_tls
from opsgate.targets.latency import LatencyTarget


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
    """Sample the target within `timeout` seconds; raise only when no request got any answer."""
    per_request = min(target.request_timeout or timeout, timeout)
    if target.rate is not None and target.requests / target.rate > timeout:
        raise ProbeConfigError(
            f"latency {target.name}: {target.requests} requests at {target.rate:g}/s need "
            f"{target.requests / target.rate:.0f}s, more than the {timeout:g}s timeout; "
            "raise the target's timeout or the rate, or lower samples"
        )
    started = time.perf_counter()
    deadline = started + timeout
    with _client(target) as client:
        if target.warmup:
            _run_phase(client, target, target.warmup, per_request, deadline)
        measured_from = time.perf_counter()
        samples = _run_phase(client, target, target.samples, per_request, deadline)
    if samples and all(s.total is None for s in samples):
        raise _all_failed(target, samples)
    return LatencySample(
        url=target.url, method=target.method, planned=target.samples, warmup=target.warmup,
        concurrency=target.concurrency, samples=tuple(samples),
        wall=time.perf_counter() - measured_from, budget=timeout,
        cut_short=len(samples) < target.samples,
    )


def _run_phase(
    client: httpx.Client, target: LatencyTarget, count: int, per_request: float, deadline: float,
) -> list[Sample]:
    """Send `count` requests, at most `concurrency` at once, paced by `rate`; stop at deadline."""
    begun = time.perf_counter()
    results: list[Sample | None] = [None] * count
    next_index = iter(range(count))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            if target.rate is not None:
                _sleep_until(begun + index / target.rate, deadline)
            now = time.perf_counter()
            if now >= deadline:
                return
            results[index] = _timed(client, target, min(per_request, deadline - now), begun)

    workers = min(target.concurrency, count)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="opsgate-latency") as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result()
    return [s for s in results if s is not None]


def _sleep_until(moment: float, deadline: float) -> None:
    delay = min(moment, deadline) - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


def _timed(client: httpx.Client, target: LatencyTarget, timeout: float, begun: float) -> Sample:
    """One request, timed from send to the last body byte, with its trace phases."""
    events: dict[str, float] = {}

    def trace(name: str, info: Any) -> None:
        events.setdefault(name, time.perf_counter())

    request = client.build_request(target.method, target.url, headers=_headers(target),
                                   timeout=httpx.Timeout(timeout), extensions={"trace": trace})
    start = time.perf_counter()
    offset = start - begun
    try:
        response = client.send(request, stream=True)
        try:
            for _ in response.iter_raw():
                if time.perf_counter() - start > timeout:
                    raise httpx.ReadTimeout("body still arriving when the timeout ran out")
        finally:
            response.close()
    except httpx.TimeoutException as exc:
        return Sample(started=offset, total=time.perf_counter() - start, timed_out=True,
                      error=f"no complete response within {timeout:g}s ({type(exc).__name__})",
                      **_phases(events, start))
    except httpx.HTTPError as exc:
        failure = http_failure(f"{target.method} {target.url}", target.url, exc, timeout,
                               max_redirects=20)
        return Sample(started=offset, total=None, error=str(failure), **_phases(events, start))
    total = time.perf_counter() - start
    return Sample(started=offset, total=total, status=response.status_code, **_phases(events, start))


def _phases(events: dict[str, float], start: float) -> dict[str, float | None]:
    def span(first: str, last: str) -> float | None:
        if first in events and last in events:
            return events[last] - events[first]
        return None

    headers_done = next((at for name, at in events.items()
                         if name.endswith("receive_response_headers.complete")), None)
    return {
        "connect": span("connection.connect_tcp.started", "connection.connect_tcp.complete"),
        "tls": span("connection.start_tls.started", "connection.start_tls.complete"),
        "ttfb": headers_done - start if headers_done is not None else None,
    }


def _all_failed(target: LatencyTarget, samples: list[Sample]) -> ProbeFailure:
    first = samples[0].error or "no answer"
    return ProbeFailure(
        f"all {len(samples)} requests failed without any answer, so no latency can be measured; "
        f"first: {first}"
    )


def _headers(target: LatencyTarget) -> dict[str, str]:
    return {"User-Agent": "opsgate-latency", **target.headers,
            **auth_headers(target.bearer_token, target.basic_auth)}


def _client(target: LatencyTarget) -> httpx.Client:
    """A client of its own, sized to the concurrency, so samples never queue for a connection."""
    keepalive = target.concurrency if target.keepalive else 0
    return httpx.Client(
        verify=client_tls(f"latency {target.name}", target.ca_bundle, target.insecure),
        follow_redirects=target.follow_redirects,
        limits=httpx.Limits(max_connections=target.concurrency, max_keepalive_connections=keepalive),
    )
