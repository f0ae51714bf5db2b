"""Rules for metric values: every series against `min` / `max`; no data is a failure."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from opsgate.judges._format import format_percent
from opsgate.targets.metrics import UNIT_RANGES
from opsgate.units import format_duration, format_number, format_size

if TYPE_CHECKING:
    from opsgate.probes.metrics import MetricValues, Series
    from opsgate.targets.metrics import MetricsTarget
    from opsgate.verdict import Verdict

FORMATS: dict[str, Callable[[float], str]] = {
    "number": format_number,
    "ratio": lambda v: f"{v:.4g} ({format_percent(v)})",
    "percent": lambda v: f"{v:.4g}%",
    "seconds": format_duration,
    "ms": lambda v: f"{v:.4g}ms",
    "bytes": format_size,
}
SOURCES = {"prometheus": "Prometheus", "json": "JSON metrics", "exposition": "metrics exposition"}


def judge_metrics(target: MetricsTarget, facts: MetricValues, verdict: Verdict) -> None:
    """A finding for no data, for each NaN series and for each series outside min/max."""
    verdict.evidence(f"{SOURCES[facts.source]} answer", facts.evidence)
    source = f"{SOURCES[facts.source]} at {facts.endpoint}"
    for warning in facts.warnings:
        verdict.warn(f"{source} warned that its answer may be partial: {warning}; check its remote "
                     "storage / federation targets, and judge the value with care")
    if facts.no_data is not None or not facts.series:
        verdict.fail(
            f"no data for {target.description_of_value} from {source}: {facts.no_data or 'no series'}; "
            "a missing metric is never green: check the name/labels/path and that the service "
            "exports it (and, for Prometheus, that its scrape target is up)"
        )
        return
    verdict.note("series", len(facts.series), str(len(facts.series)))
    for series in facts.series:
        judge_series(target, series, len(facts.series), verdict)


def judge_series(target: MetricsTarget, series: Series, count: int, verdict: Verdict) -> None:
    """Judge one value; its labels name it in the message when there are several series."""
    fmt = FORMATS[target.unit]
    name = f"{target.description_of_value}{series.label_text()}" if series.labels else \
        target.description_of_value
    if math.isnan(series.value):
        verdict.fail(f"no data: {name} is NaN (e.g. 0/0: no traffic in the window, or a division by "
                     "an absent series); a NaN is never green")
        return
    if not _possible(target, series.value):
        verdict.fail(_impossible(target, name, series.value))
        return
    where = f" (series {series.label_text()}, 1 of {count})" if series.labels and count > 1 else ""
    advice = target.runbook and "see the runbook" or "check the service's dashboard for this metric"
    if target.max is not None:
        verdict.measure(name, series.value, target.max, fmt=fmt, advice=f"{advice}{where}")
    if target.min is not None:
        verdict.measure(name, series.value, target.min, floor=True, fmt=fmt, advice=f"{advice}{where}")


def _possible(target: MetricsTarget, value: float) -> bool:
    low, high = UNIT_RANGES.get(target.unit, (-math.inf, math.inf))
    return low <= value <= high


def _impossible(target: MetricsTarget, name: str, value: float) -> str:
    """A value its unit cannot take: judged against the limits it would mislead (a hit rate
    published in percent, 5, read as a ratio shows "500%" and passes a 40 % floor)."""
    if target.unit == "ratio":
        return (f"{name} is {value:.4g}, outside 0..1, so it is not a ratio: the field may be a "
                "percentage; set 'unit: percent' (and limits in percent) if it is")
    return (f"{name} is {value:.4g}, outside 0..100, so it is not a percentage: check the field, "
            "or set 'unit: ratio' or 'number'")
