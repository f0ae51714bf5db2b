"""Latency rules on measured facts: point estimate vs confidence, errors, short samples."""

from __future__ import annotations

import pytest

from opsgate.judges.latency import judge_latency, percentile_table
from opsgate.probes.latency import LatencySample, Sample
from opsgate.targets.latency import LatencyTarget
from opsgate.verdict import Verdict


def facts(latencies: list[float], statuses: list[int] | None = None, planned: int | None = None,
          ) -> LatencySample:
    statuses = statuses or [200] * len(latencies)
    samples = tuple(Sample(started=i * 0.01, total=v, status=s, ttfb=v * 0.9)
                    for i, (v, s) in enumerate(zip(latencies, statuses, strict=True)))
    return LatencySample(url="http://api/", method="GET", planned=planned or len(latencies),
                         warmup=0, concurrency=1, samples=samples, wall=1.0, budget=10.0,
                         cut_short=planned is not None and planned > len(latencies))


def verdict_for(target: LatencyTarget, sample: LatencySample) -> Verdict:
    verdict = Verdict(target=target, check="latency")
    judge_latency(target, sample, verdict)
    return verdict


# 60 samples, 4 of them slow: p95 (type 7, h = 56.05) lands on a slow sample -> 200 ms.
BORDERLINE = [0.020] * 56 + [0.200] * 4
CLEAR = [0.020] * 50 + [0.200] * 10


def test_point_estimate_fails_the_borderline_case() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="100ms")
    verdict = verdict_for(target, facts(BORDERLINE))
    assert verdict.level == "crit"
    assert ("p95 is 200ms over 60 samples, above the limit 100ms (crit); 4 of 60 samples above 100ms"
            in verdict.failure_message())


def test_confidence_passes_the_borderline_case_with_a_warning() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="100ms", confidence=0.95)
    verdict = verdict_for(target, facts(BORDERLINE))
    assert verdict.level == "warn"
    message = verdict.failure_message()
    assert "at confidence 0.95 the breach is not significant (P=0.35" in message
    assert "4 or more of 60 samples above it" in message and "sample more (about" in message


def test_confidence_still_fails_a_clear_breach() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="100ms", confidence=0.95)
    verdict = verdict_for(target, facts(CLEAR))
    assert verdict.level == "crit"
    assert "breach significant at confidence 0.95: P=" in verdict.failure_message()


def test_under_the_slo_passes_with_measurements() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="300ms", max="1s")
    verdict = verdict_for(target, facts(CLEAR))
    assert verdict.level == "ok"
    shown = {m.name: m.display for m in verdict.measurements}
    assert shown["p95"] == "200ms" and shown["max (of 60 samples)"] == "200ms"
    assert shown["p50"] == "20ms"


def test_warn_level_percentile() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60,
                           p95={"warn": "100ms", "crit": "1s"})
    verdict = verdict_for(target, facts(CLEAR))
    assert verdict.level == "warn"


def test_error_rate_counts_non_2xx_with_the_sample_size() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=20, p95="1s")
    verdict = verdict_for(target, facts([0.01] * 20, [200] * 18 + [503, 500]))
    assert verdict.level == "crit"
    assert ("error rate (of 20 samples) is 10%, above the limit 1% (crit): 2 of 20 requests "
            "failed, first: status 503" in verdict.failure_message())


def test_a_sampling_run_cut_short_fails() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=50, p95="1s")
    verdict = verdict_for(target, facts([0.5] * 20, planned=50))
    assert "only 20 of 50 samples finished within the 10s run budget" in verdict.failure_message()


def test_too_few_latencies_after_failures_fail() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=20, p95="1s", error_rate=1.0)
    sample = facts([0.01] * 10)
    broken = tuple(Sample(started=0, total=None, error="connection reset") for _ in range(10))
    sample = LatencySample(**{**sample.__dict__, "samples": sample.samples + broken, "planned": 20})
    verdict = verdict_for(target, sample)
    assert ("p95: only 10 of 20 planned samples have a latency, fewer than the 20"
            in verdict.failure_message())


def test_evidence_table_and_histogram() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=100, p99="1s")
    attached: dict[str, tuple[str, str]] = {}
    verdict = Verdict(target=target, check="latency",
                      attach=lambda name, text, mime: attached.__setitem__(name, (text, mime)))
    judge_latency(target, facts([0.02] * 90 + [0.2] * 10), verdict)
    table, _ = attached["latency percentiles"]
    assert "100 of 100 samples" in table and "Hyndman-Fan type 7" in table
    assert "p99" in table and "crit 1s" in table
    svg, mime = attached["latency histogram"]
    assert mime == "image/svg+xml" and svg.startswith("<svg")
    assert percentile_table(target, facts([0.02] * 100)).count("\n") >= 6


@pytest.mark.parametrize("n", [59, 100])
def test_ci_is_reported_in_messages(n: int) -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=n, p95="10ms")
    message = verdict_for(target, facts([0.02] * n)).failure_message()
    assert "95% bounds 20ms.." in message
