"""The probe runner: concurrency limits, shared calls, retries, timeouts and broken probes."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from opsgate.errors import ProbeFailure, Unreachable
from opsgate.runner import ProbeCall, ProbeRunner, execute
from opsgate.targets.http import HttpTarget
from tests.conftest import RunChecks
from tests.probes.test_http import serving
from tests.servers_http import Trickle

IN_FLIGHT: dict[str, int] = {"now": 0, "peak": 0}
LOCK = threading.Lock()
ATTEMPTS: dict[str, int] = {}


def slow_probe(target: HttpTarget, timeout: float) -> str:
    with LOCK:
        IN_FLIGHT["now"] += 1
        IN_FLIGHT["peak"] = max(IN_FLIGHT["peak"], IN_FLIGHT["now"])
    time.sleep(0.05)
    with LOCK:
        IN_FLIGHT["now"] -= 1
    return target.name


def flaky_probe(target: HttpTarget, timeout: float) -> str:
    ATTEMPTS[target.name] = ATTEMPTS.get(target.name, 0) + 1
    if ATTEMPTS[target.name] < 2:
        raise Unreachable("first attempt refused")
    return "second time lucky"


def buggy_probe(target: HttpTarget, timeout: float) -> Any:
    ATTEMPTS[target.name] = ATTEMPTS.get(target.name, 0) + 1
    raise KeyError("bug")


def exiting_probe(target: HttpTarget, timeout: float) -> None:
    raise SystemExit(3)  # not an Exception: only the lane's last resort catches it


def hung_probe(target: HttpTarget, timeout: float) -> None:
    time.sleep(30)  # far past its timeout: a test that waited for it could not pass unnoticed


def call(probe: str, name: str, host: str = "127.0.0.1:1", retries: int = 0,
         timeout: float = 1.0) -> ProbeCall:
    target = HttpTarget(name=name, url=f"http://{host}/")
    return ProbeCall(probe=f"tests.test_runner:{probe}", target=target, timeout=timeout,
                     retries=retries)


def test_per_host_limit_bounds_calls_in_flight() -> None:
    IN_FLIGHT.update(now=0, peak=0)
    runner = ProbeRunner(concurrency=16, per_host=3)
    calls = [call("slow_probe", f"c{i}") for i in range(12)]
    started = time.perf_counter()
    runner.start(calls)
    assert [runner.outcome(c).value for c in calls] == [f"c{i}" for i in range(12)]
    assert IN_FLIGHT["peak"] == 3
    assert time.perf_counter() - started == pytest.approx(0.2, abs=0.15)  # 4 rounds of 3


def test_different_hosts_run_side_by_side() -> None:
    IN_FLIGHT.update(now=0, peak=0)
    runner = ProbeRunner(concurrency=16, per_host=1)
    calls = [call("slow_probe", f"h{i}", host=f"127.0.0.{i + 1}:1") for i in range(6)]
    runner.start(calls)
    for c in calls:
        runner.outcome(c)
    assert IN_FLIGHT["peak"] == 6


def test_the_global_limit_bounds_calls_across_hosts() -> None:
    IN_FLIGHT.update(now=0, peak=0)
    runner = ProbeRunner(concurrency=2, per_host=2)
    calls = [call("slow_probe", f"g{i}", host=f"127.0.0.{i % 6 + 1}:1") for i in range(12)]
    runner.start(calls)
    assert [runner.outcome(c).value for c in calls] == [f"g{i}" for i in range(12)]
    assert IN_FLIGHT["peak"] == 2


def test_equal_calls_share_one_run() -> None:
    ATTEMPTS.clear()
    runner = ProbeRunner(concurrency=4, per_host=4)
    first, again = call("flaky_probe", "same", retries=1), call("flaky_probe", "same", retries=1)
    runner.start([first, again])
    assert runner.outcome(first) is runner.outcome(again)
    assert ATTEMPTS["same"] == 2


def test_failures_about_the_target_are_retried() -> None:
    ATTEMPTS.clear()
    outcome = execute(call("flaky_probe", "flaky", retries=1))
    assert outcome.value == "second time lucky" and outcome.attempts == 2
    assert outcome.notes == ["attempt 1: first attempt refused"]
    ATTEMPTS.clear()
    assert isinstance(execute(call("flaky_probe", "no-retry", retries=0)).error, Unreachable)


def test_bugs_are_not_retried() -> None:
    ATTEMPTS.clear()
    outcome = execute(call("buggy_probe", "bug", retries=3))
    assert isinstance(outcome.error, KeyError) and ATTEMPTS["bug"] == 1
    assert 0 <= outcome.duration < 1


def test_a_success_ends_the_attempts_and_times_the_last_one() -> None:
    ATTEMPTS.clear()
    outcome = execute(call("flaky_probe", "lucky", retries=3))
    assert outcome.attempts == 2 == ATTEMPTS["lucky"]
    assert 0 <= execute(call("slow_probe", "timed")).duration < 1


def test_a_host_served_once_is_served_again_within_its_limit() -> None:
    # Its lane closed when its queue ran dry; later calls get one lane again, not more.
    runner = ProbeRunner(concurrency=4, per_host=1)
    first = call("slow_probe", "first")
    runner.start([first])
    assert runner.outcome(first).value == "first"
    IN_FLIGHT.update(now=0, peak=0)
    later = [call("slow_probe", f"later{i}") for i in range(3)]
    runner.start(later)
    waiter = threading.Thread(target=lambda: [runner.outcome(c) for c in later], daemon=True)
    waiter.start()
    waiter.join(5)
    assert not waiter.is_alive(), "the later calls never started"
    assert IN_FLIGHT["peak"] == 1


def test_a_probe_that_ignores_its_timeout_cannot_hang_the_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("opsgate.runner._WAIT_GRACE", 0.2)
    runner = ProbeRunner(concurrency=2, per_host=2)
    hung, next_one = call("hung_probe", "hung", timeout=0.8), call("slow_probe", "after")
    runner.start([hung, next_one])
    started = time.perf_counter()
    outcome = runner.outcome(hung)
    assert time.perf_counter() - started < 15  # hung_probe sleeps 30 s
    assert isinstance(outcome.error, ProbeFailure) and (outcome.attempts, outcome.duration) == (0, 0.0)
    assert "did not finish within its 800ms deadline" in str(outcome.error)
    assert runner.outcome(next_one).value == "after"


def test_a_call_never_queued_has_the_same_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Under xdist nothing is queued up front: the probe used to run unbounded in the test thread.
    monkeypatch.setattr("opsgate.runner._WAIT_GRACE", 0.2)
    runner = ProbeRunner(concurrency=2, per_host=2)
    started = time.perf_counter()
    outcome = runner.outcome(call("hung_probe", "inline", timeout=0.1))
    assert time.perf_counter() - started < 15  # hung_probe sleeps 30 s
    assert "did not finish within its 100ms deadline" in str(outcome.error)
    assert runner.outcome(call("slow_probe", "inline-ok")).value == "inline-ok"


@pytest.mark.parametrize("xdist", [[], ["-n", "1"]], ids=["inline", "xdist"])
def test_a_trickling_target_gets_the_same_deadline_and_verdict_with_and_without_xdist(
        run_checks: RunChecks, xdist: list[str]) -> None:
    with serving(Trickle) as port:
        started = time.perf_counter()
        result = run_checks(f"""
            name: trickle
            latency:
              - name: trickle
                url: http://127.0.0.1:{port}/
                samples: 2
                timeout: 1s
                max_duration: 2s
                p50: 1s
            """, *xdist)
        elapsed = time.perf_counter() - started
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*only 1 of 2 samples finished within the 2s run budget*",
        "*error rate (of 1 samples) is 100%*no complete response within 1s (timed out)*",
    ])
    # The server trickles for 40 s; the run ends with its 2 s budget (plus pytest's start-up).
    assert elapsed < 20, elapsed


def test_an_abandoned_call_hands_its_slot_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # One slot in all: the queued call can only run if the hung one's slot is handed on.
    monkeypatch.setattr("opsgate.runner._WAIT_GRACE", 0.2)
    runner = ProbeRunner(concurrency=1, per_host=1)
    hung, queued = call("hung_probe", "stuck", timeout=0.1), call("slow_probe", "queued")
    runner.start([hung, queued])
    assert isinstance(runner.outcome(hung).error, ProbeFailure)
    waiter = threading.Thread(target=runner.outcome, args=(queued,), daemon=True)
    waiter.start()
    waiter.join(15)  # well before the hung probe's 30 s sleep would free its lane by itself
    assert not waiter.is_alive(), "the queued call never got the hung call's slot"


def failing_slowly_probe(target: HttpTarget, timeout: float) -> None:
    ATTEMPTS[target.name] = ATTEMPTS.get(target.name, 0) + 1
    time.sleep(1.4)  # within its timeout, but three attempts outlast two timeouts plus the grace
    raise Unreachable("refused after a while")


def test_the_wait_for_a_queued_call_allows_for_every_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    # Budget: 1.5 s x 3 attempts + 0.5 s = 5 s; the attempts take 4.2 s.
    monkeypatch.setattr("opsgate.runner._WAIT_GRACE", 0.5)
    ATTEMPTS.clear()
    runner = ProbeRunner(concurrency=1, per_host=1)
    retried = call("failing_slowly_probe", "retried", timeout=1.5, retries=2)
    runner.start([retried])
    outcome = runner.outcome(retried)
    assert isinstance(outcome.error, Unreachable), outcome.error  # not abandoned as hung
    assert outcome.attempts == 3 == ATTEMPTS["retried"]


def test_a_hung_probe_does_not_keep_the_process_alive() -> None:
    script = (
        "import time\n"
        "from opsgate.runner import ProbeRunner, ProbeCall\n"
        "from opsgate.targets.http import HttpTarget\n"
        "import opsgate.runner\n"
        "opsgate.runner._WAIT_GRACE = 0.1\n"
        "c = ProbeCall('tests.test_runner:hung_probe', HttpTarget(name='h', url='http://127.0.0.1:1/'),"
        " 0.1, 0)\n"
        "r = ProbeRunner(2, 2); r.start([c]); print(r.outcome(c).error)\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                          cwd=Path(__file__).resolve().parent.parent)
    assert "did not finish" in done.stdout, done.stderr
    assert time.perf_counter() - started < 15  # hung_probe sleeps 30 s: exit did not wait for it


def test_the_wait_counts_from_the_start_not_from_the_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("opsgate.runner._WAIT_GRACE", 0.0)
    runner = ProbeRunner(concurrency=1, per_host=1)
    calls = [call("slow_probe", f"q{i}", timeout=0.1) for i in range(6)]  # 50 ms each, in a row
    runner.start(calls)
    assert [runner.outcome(c).value for c in reversed(calls)] == [f"q{i}" for i in range(5, -1, -1)]


def test_a_probe_finishing_within_its_budget_is_not_abandoned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("opsgate.runner._WAIT_GRACE", 0.2)
    runner = ProbeRunner(concurrency=1, per_host=1)
    prompt = call("slow_probe", "prompt", timeout=0.5)  # 50 ms, well within 0.5 s + 0.2 s
    runner.start([prompt])
    assert runner.outcome(prompt).value == "prompt"


def test_a_probe_that_exits_still_answers_its_waiter() -> None:
    runner = ProbeRunner(concurrency=1, per_host=1)
    exiting = call("exiting_probe", "exit")
    runner.start([exiting])
    assert isinstance(runner.outcome(exiting).error, SystemExit)


def test_calls_are_values() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        call("slow_probe", "x").timeout = 2.0  # type: ignore[misc]
