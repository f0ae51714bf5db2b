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
from dataclasses import dataclass, field
from typing import Any

from opsgate.errors import ProbeFailure
from opsgate.targets import Target
from opsgate.units import format_duration

Probe = Callable[[Any, float], Any]
# A hung library call must not hang the run: the wait gives up this long after the call's
# deadline (see ProbeCall.deadline), so a run ends within its deadline + 2 s whatever targets do.
_WAIT_GRACE = 1.0


@dataclass(frozen=True)
class ProbeCall:
    """One probe function applied to one target; equal calls share one outcome."""

    probe: str | Probe  # "module:function", or the function (a custom check's own probe)
    target: Target
    timeout: float
    retries: int

    @property
    def key(self) -> tuple[object, str, str]:
        return (self.probe, self.target.kind, self.target.name)

    @property
    def deadline(self) -> float:
        """Seconds the call may take from its start: each attempt's budget (the timeout, or a
        latency run's budget), once per attempt."""
        return self.target.run_budget(self.timeout) * (self.retries + 1)


@dataclass
class Outcome:
    """What a probe call produced: its facts or the failure, and how long the last attempt took."""

    value: Any = None
    error: BaseException | None = None
    duration: float = 0.0
    attempts: int = 0
    notes: list[str] = field(default_factory=list)



def load_probe(path: str | Probe) -> Probe:
    if callable(path):
        return path
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


@dataclass
class _Pending:
    """A queued or running call; `done` is set once `outcome` is."""

    call: ProbeCall
    done: threading.Event = field(default_factory=threading.Event)
    started: float | None = None
    outcome: Outcome | None = None
    abandoned: bool = False


class ProbeRunner:
    """Runs probe calls on lanes, at most `concurrency` at once and `per_host` per host.

    A lane is a daemon thread that runs one host's queued calls one after another, so a probe
    that ignores its timeout can neither hang the run nor keep the interpreter from exiting.
    """

    def __init__(self, concurrency: int, per_host: int) -> None:
        self._concurrency, self._per_host = concurrency, per_host
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, str, str], _Pending] = {}
        self._waiting: dict[str, deque[_Pending]] = defaultdict(deque)
        self._lanes: dict[str, int] = defaultdict(int)
        self._lanes_total = 0

    def start(self, calls: list[ProbeCall]) -> None:
        """Queue calls (duplicates share one run) and start as many as the limits allow."""
        with self._lock:
            for call in calls:
                if call.key not in self._calls:
                    pending = _Pending(call)
                    self._calls[call.key] = pending
                    self._waiting[call.target.host_key].append(pending)
            self._open_lanes()

    def outcome(self, call: ProbeCall) -> Outcome:
        """The call's outcome, waiting for it at most its deadline + _WAIT_GRACE from its start.

        A call never queued (an xdist worker probes as its tests come) is queued now and waited
        for the same way, so deadlines and verdicts do not depend on xdist.
        """
        with self._lock:
            pending = self._calls.get(call.key)
        if pending is None:
            self.start([call])
            with self._lock:
                pending = self._calls[call.key]
        limit = call.deadline + _WAIT_GRACE
        while not pending.done.wait(min(0.2, limit)):
            if pending.started is not None and time.monotonic() - pending.started > limit:
                return self._abandon(pending)
        assert pending.outcome is not None
        return pending.outcome

    def _abandon(self, pending: _Pending) -> Outcome:
        # The lane stays stuck in the probe; give its slot to a fresh lane so the queue moves.
        with self._lock:
            if not pending.abandoned:
                pending.abandoned = True
                self._close_lane(pending.call.target.host_key)
                self._open_lanes()
        return Outcome(error=ProbeFailure(
            f"the probe did not finish within its {format_duration(pending.call.deadline)} "
            "deadline: the target stalls in a way the client library cannot cut off"
        ))

    def _open_lanes(self) -> None:
        for host, queue in self._waiting.items():
            while (queue and self._lanes[host] < min(self._per_host, len(queue))
                   and self._lanes_total < self._concurrency):
                self._lanes[host] += 1
                self._lanes_total += 1
                threading.Thread(target=self._lane, args=(host,), daemon=True,
                                 name=f"opsgate-probe {host}").start()

    def _close_lane(self, host: str) -> None:
        self._lanes[host] -= 1
        self._lanes_total -= 1

    def _lane(self, host: str) -> None:
        while True:
            with self._lock:
                queue = self._waiting[host]
                if not queue:
                    self._close_lane(host)
                    self._open_lanes()  # a freed slot may serve another host
                    return
                pending = queue.popleft()
                pending.started = time.monotonic()
            try:
                pending.outcome = execute(pending.call)
            except BaseException as exc:  # never leave a waiting test without an answer
                pending.outcome = Outcome(error=exc)
            pending.done.set()
            if pending.abandoned:
                return  # its slot was handed on while it hung
