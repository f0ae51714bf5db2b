"""Runs probes concurrently, bounded overall and per host, so a suite costs its slowest target.

Once collection is done the plugin hands every selected check's probe call to the runner; each
test then waits for its own outcome. A probe's timing is measured inside its own attempt, so the
time a call spends queued behind the concurrency limits never counts against the target.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from opsgate.errors import ProbeFailure
from opsgate.targets import Target

Probe = Callable[[Any, float], Any]
# A hung library call must not hang the run: the wait gives up this long after the probe's own
# timeouts (all attempts) should have fired.
_WAIT_GRACE = 5.0


@dataclass(frozen=True)
class ProbeCall:
    """One probe function applied to one target; equal calls share one outcome."""

    probe: str  # "module:function"
    target: Target
    timeout: float
    retries: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.probe, self.target.kind, self.target.name)


@dataclass
class Outcome:
    """What a probe call produced: its facts or the failure, and how long the last attempt took."""

    value: Any = None
    error: BaseException | None = None
    duration: float = 0.0
    attempts: int = 0
    notes: list[str] = field(default_factory=list)

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


def load_probe(path: str) -> Probe:
    module_name, _, function = path.partition(":")
    return getattr(importlib.import_module(module_name), function)


def execute(call: ProbeCall) -> Outcome:
    """Run a call now in this thread, retrying failures about the target up to `retries` times."""
    probe = load_probe(call.probe)
    outcome = Outcome()
    for attempt in range(1, call.retries + 2):
        outcome.attempts = attempt
        started = time.perf_counter()
        try:
            outcome.value, outcome.error = probe(call.target, call.timeout), None
        except ProbeFailure as failure:
            outcome.error = failure
            outcome.notes.append(f"attempt {attempt}: {failure}")
        except Exception as exc:  # a bug or misconfiguration: retrying will not help
            outcome.error = exc
            outcome.duration = time.perf_counter() - started
            return outcome
        outcome.duration = time.perf_counter() - started
        if outcome.error is None:
            break
    return outcome


class ProbeRunner:
    """Starts probe calls on a thread pool with a global and a per-host in-flight limit."""

    def __init__(self, concurrency: int, per_host: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="opsgate-probe")
        self._per_host = per_host
        self._lock = threading.Lock()
        self._futures: dict[tuple[str, str, str], Future[Outcome]] = {}
        self._waiting: dict[str, deque[tuple[ProbeCall, Future[Outcome]]]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)

    def start(self, calls: list[ProbeCall]) -> None:
        """Queue calls (duplicates share one run) and start as many as the limits allow."""
        with self._lock:
            for call in calls:
                if call.key not in self._futures:
                    future: Future[Outcome] = Future()
                    self._futures[call.key] = future
                    self._waiting[call.target.host_key].append((call, future))
            for host in list(self._waiting):
                self._fill(host)

    def outcome(self, call: ProbeCall) -> Outcome:
        """The call's outcome, waiting for it; a call never started runs now in this thread."""
        with self._lock:
            future = self._futures.get(call.key)
        if future is None:
            return execute(call)
        deadline = call.timeout * (call.retries + 1) + _WAIT_GRACE
        try:
            return future.result(timeout=deadline)
        except TimeoutError:
            return Outcome(error=ProbeFailure(
                f"the probe did not finish within {deadline:.0f}s although its timeout is "
                f"{call.timeout:g}s: the target stalls in a way the client library cannot cut off"
            ))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _fill(self, host: str) -> None:
        queue = self._waiting[host]
        while queue and self._in_flight[host] < self._per_host:
            call, future = queue.popleft()
            self._in_flight[host] += 1
            self._pool.submit(self._run, host, call, future)

    def _run(self, host: str, call: ProbeCall, future: Future[Outcome]) -> None:
        try:
            future.set_result(execute(call))
        except BaseException as exc:  # never leave a waiting test without an answer
            future.set_result(Outcome(error=exc))
        finally:
            with self._lock:
                self._in_flight[host] -= 1
                self._fill(host)
