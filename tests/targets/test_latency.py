"""Latency profile model: defaults, rates, intrusiveness and percentiles the sample cannot resolve."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from opsgate.profile import ProfileError, load_profile
from opsgate.targets.latency import LatencyTarget, parse_rate


def make(**keys: object) -> LatencyTarget:
    return LatencyTarget.model_validate({"name": "api", "url": "http://127.0.0.1:1/", **keys})


def test_defaults() -> None:
    target = make(p95="500ms")
    assert (target.samples, target.concurrency, target.warmup, target.confidence) == (50, 1, 0, None)
    assert target.p95.crit == 0.5 and target.error_rate.crit == 0.01
    assert target.effective_suites == ("daily",)
    assert not target.intrusive


@pytest.mark.parametrize(("keys", "intrusive"), [
    ({"samples": 100}, False), ({"samples": 100, "warmup": 1}, True),
    ({"samples": 20, "concurrency": 2}, True),
])
def test_load_beyond_a_few_requests_is_intrusive(keys: dict[str, int], intrusive: bool) -> None:
    assert make(p95="1s", **keys).intrusive is intrusive


@pytest.mark.parametrize(("text", "rate"), [("10/s", 10.0), ("120/m", 2.0), (5, 5.0), ("0.5/sec", 0.5)])
def test_rates(text: object, rate: float) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["fast", "0/s", "10/h", True])
def test_bad_rates(text: object) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


def test_p99_from_20_samples_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"p99: 20 samples cannot resolve the p99 .*samples: 100"):
        make(samples=20, p99="1s")


def test_confidence_needs_the_maximum_to_bound_the_percentile() -> None:
    make(samples=59, p95="1s", confidence=0.95)
    with pytest.raises(ValidationError, match=r"p95: 58 samples .* confidence 0.95.*samples: 59"):
        make(samples=58, p95="1s", confidence=0.95)


def test_a_target_needs_a_limit() -> None:
    with pytest.raises(ValidationError, match="at least one of p50"):
        make()


def test_profile_loader_names_the_key_path(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("name: t\nlatency:\n  - {name: api, url: 'http://x/', samples: 20, p99: 1s}\n")
    with pytest.raises(ProfileError) as error:
        load_profile(profile, {})
    assert f"{profile}: latency[0]: p99: 20 samples cannot resolve the p99" in str(error.value)


def test_requests_are_kept_alive_with_get_by_default() -> None:
    target = make(p95="500ms")
    assert (target.method, target.keepalive, target.rate, target.max_duration) == ("GET", True, None, None)


@pytest.mark.parametrize(("keys", "problem"), [
    ({"samples": 1, "max": "1s"}, None), ({"samples": 100_000}, None),
    ({"samples": 0}, "greater than or equal to 1"), ({"samples": 100_001}, "less than or equal to 100000"),
    ({"concurrency": 1}, None), ({"concurrency": 256}, None),
    ({"concurrency": 0}, "greater than or equal to 1"), ({"concurrency": 257}, "less than or equal to 256"),
    ({"warmup": 0}, None), ({"warmup": 10_000}, None),
    ({"warmup": -1}, "greater than or equal to 0"), ({"warmup": 10_001}, "less than or equal to 10000"),
    ({"confidence": 0.99}, None), ({"confidence": 0.5}, "greater than 0.5"),
    ({"confidence": 1.0}, "less than 1"),
    ({"max_duration": "500ms"}, None), ({"max_duration": "0s"}, "greater than 0"),
])
def test_ranges(keys: dict[str, object], problem: str | None) -> None:
    limits = {} if "max" in keys else {"p50": "1s"}
    if problem is None:
        assert make(**limits, **keys)
    else:
        with pytest.raises(ValidationError, match=f"{next(iter(keys))}\n  Input should be {problem}"):
            make(**limits, **keys)


def test_each_percentile_names_its_level() -> None:
    target = make(samples=1000, p50="1s", p90="1s", p95="1s", p99="1s", p999="1s")
    assert {key: level for key, (level, _) in target.targets().items()} == {
        "p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p999": 0.999}


@pytest.mark.parametrize("rate", [0, -1, "0/s"])
def test_a_rate_must_be_positive(rate: object) -> None:
    with pytest.raises(ValueError, match="a rate must be positive"):
        parse_rate(rate)


def test_the_old_request_timeout_key_says_what_replaced_it() -> None:
    gone = ("'request_timeout' is gone: 'timeout' is now the per-request timeout of a latency target, "
            "and 'max_duration' bounds the whole run")
    with pytest.raises(ValidationError, match=gone):
        make(p95="1s", request_timeout="2s")


def test_a_rate_that_cannot_fit_in_max_duration_is_refused() -> None:
    with pytest.raises(ValidationError, match="rate: 50 requests at 2/s need 25s, more than max_duration "
                                              "20s; raise max_duration or the rate"):
        make(p95="1s", rate="2/s", max_duration="20s")
    assert make(p95="1s", rate="2/s", max_duration="30s").max_duration == 30.0
    assert make(p95="1s", rate="2/s", max_duration="25s").rate == 2.0  # exactly fits
    assert make(p95="1s", max_duration="20s").rate is None
    assert make(p95="1s", rate="2/s").max_duration is None


def test_a_percentile_the_maximum_cannot_bound_says_why() -> None:
    why = r"p99: 20 samples cannot resolve the p99 at confidence 0\.9 \(the largest of n samples bounds "
    with pytest.raises(ValidationError, match=why + r"it only when 0\.99\^n <= 0\.1\)"):
        make(samples=20, p99="1s", confidence=0.9)


@pytest.mark.parametrize(("keys", "timeout", "budget"), [
    ({"samples": 10, "concurrency": 3}, 2.0, 9.0),              # 4 rounds of 2 s, plus 1 s
    ({"samples": 10, "concurrency": 3, "rate": "5/s"}, 2.0, 11.0),  # plus 10 requests at 5/s
    ({"samples": 100}, 10.0, 600.0),                            # 1001 s, capped
    ({"samples": 10, "max_duration": "1m"}, 2.0, 60.0),
])
def test_run_budget(keys: dict[str, object], timeout: float, budget: float) -> None:
    assert make(p50="1s", **keys).run_budget(timeout) == budget
