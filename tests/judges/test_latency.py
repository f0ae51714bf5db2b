"""Latency rules on measured facts: point estimate vs confidence, errors, short samples."""

from __future__ import annotations

import re

import pytest

from opsgate.judges.latency import ADVICE, fmt_latency, histogram, judge_latency, percentile_table
from opsgate.probes.latency import LatencySample, Sample
from opsgate.stats import percentile
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
    assert "4 or more of 60 samples above it" in message
    # The share seen, 4 of 60, grown by a quarter at a time, is first significant at 586 samples
    # (39 above: P=0.045; at 468, 31 above: P=0.071).
    assert "sample more (about 586) for a firm verdict" in message


def test_confidence_still_fails_a_clear_breach() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="100ms", confidence=0.95)
    verdict = verdict_for(target, facts(CLEAR))
    # One finding: a significant breach is not also reported as "not significant".
    assert [(f.level, f.message) for f in verdict.findings] == [(
        "crit", "p95 is 200ms over 60 samples, above the limit 100ms (crit); 10 of 60 samples above 100ms; "
        "95% bounds 200ms..200ms, breach significant at confidence 0.95: P=0.00074: " + ADVICE)]


def test_under_the_slo_passes_with_measurements() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="300ms", max="1s")
    verdict = verdict_for(target, facts(CLEAR))
    assert verdict.level == "ok"
    shown = {m.name: m.display for m in verdict.measurements}
    assert shown["p95"] == "200ms" and shown["max (of 60 samples)"] == "200ms"
    assert shown["p50"] == "20ms"


@pytest.mark.parametrize("confidence", [None, 0.95])
def test_warn_level_percentile_names_the_warn_limit(confidence: float | None) -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60,
                           p95={"warn": "100ms", "crit": "1s"}, confidence=confidence)
    verdict = verdict_for(target, facts(CLEAR))
    [finding] = verdict.findings
    assert finding.level == "warn"
    assert finding.message.startswith("p95 is 200ms over 60 samples, above the limit 100ms (warn); 10 of 60 "
                                      "samples above 100ms")


def test_samples_at_the_limit_are_not_counted_above_it() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="100ms")
    verdict = verdict_for(target, facts([0.02] * 50 + [0.1] * 5 + [0.2] * 5))
    assert "p95 is 200ms over 60 samples, above the limit 100ms (crit); 5 of 60 samples above 100ms; " \
        in verdict.failure_message()


def test_max_is_the_slowest_sample() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="1s", max="250ms")
    verdict = verdict_for(target, facts([0.02] * 58 + [0.3, 0.2]))
    assert [f.message for f in verdict.findings] == [
        "max (of 60 samples) is 300ms, above the limit 250ms (crit): at least one request was that slow; "
        "look for timeouts, GC pauses or cold caches in the service's logs"]


@pytest.mark.parametrize(("seconds", "shown"), [
    (0.00042, "0.42ms"), (0.0203, "20.3ms"), (0.42, "420ms"), (0.9994, "999ms"),
    (0.9995, "1000ms"), (0.9996, "1000ms"),  # three digits round to 1000: never "1e+03ms"
    (1.0, "1s"), (3.2, "3.2s"),
])
def test_fmt_latency(seconds: float, shown: str) -> None:
    assert fmt_latency(seconds) == shown


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


def test_evidence_table_in_full() -> None:
    values = [0.010 + 0.001 * i for i in range(100)]
    answered = tuple(Sample(started=i * 0.01, total=v, status=200, connect=0.001, ttfb=v * 0.9)
                     for i, v in enumerate(values))
    refused = tuple(Sample(started=1.0, total=None, error=f"connection refused #{i}") for i in range(7))
    sample = LatencySample(url="http://api/", method="GET", planned=107, warmup=2, concurrency=1,
                           samples=answered + refused, wall=0.5, budget=10.0, cut_short=False)
    target = LatencyTarget(name="api", url="http://api/", samples=107, p95={"warn": "50ms", "crit": "100ms"},
                           max="1s", error_rate=1.0)
    assert percentile_table(target, sample) == """\
GET http://api/: 107 of 107 samples (warm-up 2 excluded), concurrency 1, 0.50s wall, 200.0 req/s
percentiles: Hyndman-Fan type 7; bounds: distribution-free (binomial), one-sided each, confidence 0.95
           value  interval                            target
p50       59.5ms  51ms..68ms                          -
p90       99.1ms  94ms..105ms                         -
p95        104ms  100ms..108ms                        warn 50ms, crit 100ms
p99        108ms  106ms..unbounded (too few samples)  -
max        109ms                                      crit 1s
errors: 7 of 107
  connection refused #0
  connection refused #1
  connection refused #2
  connection refused #3
  connection refused #4
connect  p50 1ms, p95 1ms (100 samples)
ttfb     p50 53.5ms, p95 93.6ms (100 samples)"""


def test_evidence_table_of_a_run_without_samples() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=20, p95="1s")
    sample = LatencySample(url="http://api/", method="GET", planned=20, warmup=0, concurrency=1, samples=(),
                           wall=0.0, budget=10.0, cut_short=True)
    assert percentile_table(target, sample).splitlines()[0] == (
        "GET http://api/: 0 of 20 samples (warm-up 0 excluded), concurrency 1, 0.00s wall, 0.0 req/s")


def test_evidence_table_shows_p999_only_when_it_is_a_target() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=1000, p999="1s")
    table = percentile_table(target, facts([0.02] * 1000))
    assert "\np999" in table and table.count("\np9") == 4


@pytest.mark.parametrize(("fields", "marked"), [
    ({"p90": "1s"}, ["p90"]), ({"max": "1s"}, ["p50", "p95", "p99"])])
def test_histogram_marks_the_target_percentiles_or_the_usual_ones(fields: dict[str, str],
                                                                   marked: list[str]) -> None:
    svg = histogram(LatencyTarget(name="api", url="http://api/", samples=60, **fields), facts(CLEAR))
    assert sorted(re.findall(r">(p\d+) \d", svg)) == marked


def test_histogram_marks_the_crit_limits() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95={"warn": "50ms", "crit": "100ms"},
                           p50="40ms")
    svg = histogram(target, facts(CLEAR))
    assert "p95 crit" in svg and "p50 crit" in svg


def test_a_percentile_within_its_limit_is_never_failed_by_the_exceedance_test() -> None:
    # 2 of 23 above 100ms is significant at confidence 0.67 (P=0.32), but the p95 estimate, 95.5ms, is
    # within the limit: a breach needs both.
    target = LatencyTarget(name="api", url="http://api/", samples=23, p95="100ms", confidence=0.67)
    verdict = verdict_for(target, facts([0.01] * 21 + [0.105, 0.105]))
    assert verdict.findings == []
    [p95] = [m for m in verdict.measurements if m.name == "p95"]
    assert (p95.display, p95.level) == ("95.5ms", "ok")


def test_samples_at_the_limit_do_not_count_in_the_significance_test() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="100ms", confidence=0.95)
    message = verdict_for(target, facts([0.02] * 40 + [0.1] * 10 + [0.2] * 10)).failure_message()
    assert "10 of 60 samples above 100ms; 95% bounds 200ms..200ms, breach significant at confidence 0.95: " \
        "P=0.00074: " in message
    # The share above the limit (4 of 60, not 10) sets how many samples a firm verdict needs.
    message = verdict_for(target, facts([0.02] * 50 + [0.1] * 6 + [0.2] * 4)).failure_message()
    assert "(P=0.35 that a service meeting the SLO shows 4 or more of 60 samples above it;" in message
    assert "sample more (about 586) for a firm verdict" in message


def test_exactly_the_samples_a_percentile_needs_are_enough() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=20, p95="100ms")
    assert verdict_for(target, facts([0.2] * 20)).failure_message().startswith(
        "latency api: p95 is 200ms over 20 samples, above the limit 100ms (crit)")


def test_every_percentile_short_of_samples_is_named() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=100, p95="1s", p99="1s")
    sample = facts([0.01] * 10, planned=100)
    messages = [f.message for f in verdict_for(target, sample).findings]
    assert messages[-2:] == ["p95: only 10 of 100 planned samples have a latency, fewer than the 20 a p95 "
                             "verdict needs",
                             "p99: only 10 of 100 planned samples have a latency, fewer than the 100 a p99 "
                             "verdict needs"]


def test_a_run_where_no_sample_finished_fails() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=20, p95="1s")
    verdict = verdict_for(target, LatencySample(url="http://api/", method="GET", planned=20, warmup=0,
                                                concurrency=1, samples=(), wall=0.0, budget=10.0,
                                                cut_short=True))
    assert [f.message for f in verdict.findings][-1] == "no sample finished within the 10s run budget"


def test_a_run_with_one_sample_is_judged() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=20, p95="1s")
    verdict = verdict_for(target, facts([0.05], [503], planned=20))
    assert [f.message for f in verdict.findings][1:] == [
        "error rate (of 1 samples) is 100%, above the limit 1% (crit): 1 of 1 requests failed, first: "
        "status 503; check the service's error log",
        "p95: only 1 of 20 planned samples have a latency, fewer than the 20 a p95 verdict needs"]


def test_a_percentile_exactly_at_its_limit_is_within_it() -> None:
    # As above, 2 of 23 samples above the limit would be significant; the estimate is the limit itself.
    values = [0.01] * 21 + [0.105, 0.105]
    limit = percentile(values, 0.95)
    target = LatencyTarget(name="api", url="http://api/", samples=23, p95=f"{limit!r}s", confidence=0.67)
    verdict = verdict_for(target, facts(values))
    assert verdict.findings == []
    assert [m.level for m in verdict.measurements if m.name == "p95"] == ["ok"]


def test_a_breach_at_the_slos_own_rate_never_becomes_significant() -> None:
    # 3 of 60 above the limit is the 5 % a p95 allows: no sample size makes it significant, so the
    # advice stops at the first size past 100 000 of its growing sequence.
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95="100ms", confidence=0.95)
    message = verdict_for(target, facts([0.02] * 56 + [0.099, 0.2, 0.2, 0.2])).failure_message()
    assert "p95 is 104ms over 60 samples, above the crit limit 100ms" in message
    assert "sample more (about 124571) for a firm verdict" in message


def test_a_judged_percentile_is_measured_with_its_limits_and_level() -> None:
    target = LatencyTarget(name="api", url="http://api/", samples=60, p95={"warn": "50ms", "crit": "100ms"},
                           p50="1s")
    measured = {m.name: m for m in verdict_for(target, facts(CLEAR)).measurements}
    p95, p50 = measured["p95"], measured["p50"]
    assert (p95.display, p95.level, p95.warn_display, p95.crit_display) == ("200ms", "crit", "50ms", "100ms")
    assert (p50.display, p50.level, p50.warn_display, p50.crit_display) == ("20ms", "ok", None, "1s")
