"""Rules for a latency sample: percentile SLOs (point estimate or exceedance test), max, errors.

Without `confidence` a percentile breaches its limit when the type-7 point estimate exceeds it.
With `confidence: c` a breach counts only when it is significant: k of n samples above the limit
and P(Binomial(n, 1 - p) >= k) <= 1 - c. A point estimate above the limit whose breach is not
significant is reported as a warning that says so, never silently passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from opsgate.histogram import svg_histogram
from opsgate.judges._format import format_percent
from opsgate.stats import breach_is_significant, exceedance_p_value, percentile, quantile_interval
from opsgate.targets.latency import PERCENTILES, LatencyTarget
from opsgate.units import Threshold, format_duration
from opsgate.verdict import Measurement, Verdict

if TYPE_CHECKING:
    from opsgate.probes.latency import LatencySample

REPORT_CONFIDENCE = 0.95  # the interval shown when the profile sets no `confidence`
ADVICE = ("the endpoint is slower than its SLO: compare with its latency dashboard and recent "
          "deploys, and see the phases and histogram in the report")


def fmt_latency(seconds: float) -> str:
    """`0.42ms`, `20.3ms`, `420ms`, `3.2s`: three significant digits below a second. From 999.5 ms
    on, three digits round to 1000, which `.3g` writes `1e+03`: those are whole milliseconds."""
    milliseconds = seconds * 1000
    return f"{milliseconds:.3g}ms" if milliseconds < 999.5 else format_duration(seconds)


def judge_latency(target: LatencyTarget, facts: LatencySample, verdict: Verdict) -> None:
    """Add a finding for each percentile, the maximum and the error rate that break the SLO."""
    values = facts.latencies
    verdict.evidence("latency percentiles", percentile_table(target, facts))
    verdict.evidence("latency histogram", histogram(target, facts), "image/svg+xml")
    verdict.note("samples", len(facts.samples), str(len(facts.samples)))
    if facts.cut_short:
        verdict.fail(
            f"only {len(facts.samples)} of {facts.planned} samples finished within the "
            f"{format_duration(facts.budget)} run budget: the endpoint is too slow for the plan; "
            "raise the target's max_duration, or lower samples (judging the rest would flatter "
            "the endpoint)"
        )
    _judge_errors(target, facts, verdict)
    if not values:
        return
    for key, (level, threshold) in target.targets().items():
        needed = target.samples_needed(level)
        if len(values) < needed:
            verdict.fail(f"{key}: only {len(values)} of {facts.planned} planned samples have a "
                         f"latency, fewer than the {needed} a {key} verdict needs")
            continue
        judge_percentile(key, level, threshold, values, target.confidence, verdict)
    _judge_max(target, values, verdict)
    for key in ("p50", "p90", "p95", "p99"):
        if key not in target.targets():
            verdict.note(key, percentile(values, PERCENTILES[key]), fmt_latency(
                percentile(values, PERCENTILES[key])))


def judge_percentile(
    key: str, level: float, threshold: Threshold, values: Sequence[float],
    confidence: float | None, verdict: Verdict,
) -> None:
    """Judge the `level` quantile of sorted `values` against `threshold` (see the module docs)."""
    n = len(values)
    value = percentile(values, level)
    found = _significant_level(level, threshold, values, value, confidence)
    verdict.measurements.append(Measurement(
        name=key, value=value, display=fmt_latency(value), warn=threshold.warn,
        crit=threshold.crit, bound="max", level=found or "ok",
        warn_display=None if threshold.warn is None else fmt_latency(threshold.warn),
        crit_display=None if threshold.crit is None else fmt_latency(threshold.crit),
    ))
    point = threshold.breach(value)
    if point is None:
        return
    limit = threshold.crit if point == "crit" else threshold.warn
    assert limit is not None
    above = sum(1 for v in values if v > limit)
    context = f"{above} of {n} samples above {fmt_latency(limit)}; {interval_text(values, level, confidence)}"
    if found is not None:
        shown = threshold.crit if found == "crit" else threshold.warn
        assert shown is not None
        test = "" if confidence is None else (
            f", breach significant at confidence {confidence:g}: "
            f"P={exceedance_p_value(n, sum(1 for v in values if v > shown), level):.2g}")
        message = (f"{key} is {fmt_latency(value)} over {n} samples, above the limit "
                   f"{fmt_latency(shown)} ({found}); {context}{test}: {ADVICE}")
        (verdict.fail if found == "crit" else verdict.warn)(message)
    if confidence is not None and found != point:
        needed = _samples_to_decide(level, limit, value, values, confidence)
        verdict.warn(
            f"{key} is {fmt_latency(value)} over {n} samples, above the {point} limit "
            f"{fmt_latency(limit)}, but at confidence {confidence:g} the breach is not significant "
            f"(P={exceedance_p_value(n, above, level):.2g} that a service meeting the SLO shows "
            f"{above} or more of {n} samples above it; {interval_text(values, level, confidence)}), "
            f"so the {point} limit does not apply; sample more (about {needed}) for a firm verdict"
        )


def _significant_level(
    level: float, threshold: Threshold, values: Sequence[float], value: float,
    confidence: float | None,
) -> str | None:
    if confidence is None:
        return threshold.breach(value)
    for name, limit in (("crit", threshold.crit), ("warn", threshold.warn)):
        if limit is None or value <= limit:
            continue
        above = sum(1 for v in values if v > limit)
        if breach_is_significant(len(values), above, level, confidence):
            return name
    return None


def _samples_to_decide(
    level: float, limit: float, value: float, values: Sequence[float], confidence: float,
) -> int:
    """The sample size at which the share of samples seen above `limit` would be significant."""
    share = sum(1 for v in values if v > limit) / len(values)
    n = len(values)
    while n < 100_000:
        n = int(n * 1.25) + 1
        if breach_is_significant(n, min(n, round(share * n)), level, confidence):
            return n
    return n


def interval_text(values: Sequence[float], level: float, confidence: float | None) -> str:
    """`95% bounds 98.1ms..130ms` (one-sided each, see opsgate.stats) for the level-quantile of
    sorted values, or why there is none."""
    shown = confidence or REPORT_CONFIDENCE
    interval = quantile_interval(len(values), level, shown)
    low, high = interval.bounds(values)
    low_text = fmt_latency(low) if low is not None else "-inf"
    high_text = fmt_latency(high) if high is not None else "unbounded (too few samples)"
    return f"{format_percent(shown)} bounds {low_text}..{high_text}"


def _judge_max(target: LatencyTarget, values: Sequence[float], verdict: Verdict) -> None:
    verdict.measure(f"max (of {len(values)} samples)", values[-1], target.max, fmt=fmt_latency,
                    advice="at least one request was that slow; look for timeouts, GC pauses or "
                           "cold caches in the service's logs")


def _judge_errors(target: LatencyTarget, facts: LatencySample, verdict: Verdict) -> None:
    n = len(facts.samples)
    if n == 0:
        verdict.fail(f"no sample finished within the {format_duration(facts.budget)} run budget")
        return
    errors = facts.errors
    first = errors[0] if errors else None
    detail = "" if first is None else (
        f"{len(errors)} of {n} requests failed, first: "
        + (first.error or f"status {first.status}"))
    verdict.measure(f"error rate (of {n} samples)", len(errors) / n, target.error_rate,
                    fmt=format_percent, advice=f"{detail}; check the service's error log")


def percentile_table(target: LatencyTarget, facts: LatencySample) -> str:
    """The evidence table: every percentile with its interval and target, phases and errors."""
    values = facts.latencies
    n = len(values)
    rate = n / facts.wall if facts.wall > 0 else 0.0
    lines = [f"{facts.method} {facts.url}: {len(facts.samples)} of {facts.planned} samples "
             f"(warm-up {facts.warmup} excluded), concurrency {facts.concurrency}, "
             f"{facts.wall:.2f}s wall, {rate:.1f} req/s",
             f"percentiles: Hyndman-Fan type 7; bounds: distribution-free (binomial), one-sided "
             f"each, confidence {target.confidence or REPORT_CONFIDENCE:g}",
             f"{'':6}{'value':>10}  {'interval':<36}target"]
    for key, level in PERCENTILES.items():
        threshold = getattr(target, key)
        if n == 0 or (threshold is None and key == "p999"):
            continue
        interval = interval_text(values, level, target.confidence).split(" ", 2)[-1]
        lines.append(f"{key:<6}{fmt_latency(percentile(values, level)):>10}  {interval:<36}"
                     f"{_threshold_text(threshold)}")
    if n:
        lines.append(f"{'max':<6}{fmt_latency(values[-1]):>10}  {'':<36}{_threshold_text(target.max)}")
    lines.append(f"errors: {len(facts.errors)} of {len(facts.samples)}"
                 + "".join(f"\n  {s.error or f'status {s.status}'}" for s in facts.errors[:5]))
    for phase in ("connect", "tls", "ttfb"):
        measured = facts.phase(phase)
        if measured:
            lines.append(f"{phase:<8} p50 {fmt_latency(percentile(measured, 0.5))}, "
                         f"p95 {fmt_latency(percentile(measured, 0.95))} ({len(measured)} samples)")
    return "\n".join(lines)


def _threshold_text(threshold: Threshold | None) -> str:
    if threshold is None:
        return "-"
    parts = [f"{name} {fmt_latency(v)}" for name, v in (("warn", threshold.warn),
                                                         ("crit", threshold.crit)) if v is not None]
    return ", ".join(parts)


def histogram(target: LatencyTarget, facts: LatencySample) -> str:
    """The SVG histogram of the sample with its target percentiles and crit limits marked."""
    values = facts.latencies
    keys = list(target.targets()) or ["p50", "p95", "p99"]
    markers = {key: percentile(values, PERCENTILES[key]) for key in keys} if values else {}
    limits = {f"{key} crit": t.crit for key, (_, t) in target.targets().items() if t.crit is not None}
    return svg_histogram(values, title=f"latency {target.name}: {len(values)} samples, "
                         f"{facts.method} {facts.url}", markers=markers, limits=limits)
