"""Judging a probe's facts: collect every finding, then fail once with all of them.

A check records measurements against thresholds and adds findings; `conclude()` raises one
TargetFindings (an AssertionError) listing every crit finding (with the runbook step) and emits a
ThresholdWarning for each warn-only finding, so the on-call engineer sees the whole picture in one failure.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from opsgate import ThresholdWarning
from opsgate.errors import TargetFindings
from opsgate.redact import Redactor
from opsgate.targets import Target
from opsgate.units import Threshold, format_number

Level = Literal["ok", "warn", "crit"]
Attach = Callable[[str, str, str], None]
PROPERTY = "opsgate"
MEASURED = "measured values"  # the attachment's name


@dataclass
class Measurement:
    name: str
    value: float | str | None
    display: str
    warn: float | None = None
    crit: float | None = None
    bound: Literal["max", "min"] | None = None
    level: Level = "ok"
    # The limits as the value is shown ("26h", "80%"): reports compare like with like.
    warn_display: str | None = None
    crit_display: str | None = None


@dataclass
class Finding:
    level: Literal["warn", "crit"]
    message: str


@dataclass
class Verdict:
    """The findings of one check on one target."""

    target: Target
    check: str = ""
    redactor: Redactor = field(default_factory=Redactor)
    strict: bool = False
    attach: Attach | None = None
    publish: Callable[[str, str], None] | None = None
    measurements: list[Measurement] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    concluded: bool = False

    def __repr__(self) -> str:
        return f"<verdict on {self.target.kind} {self.target.name!r}: {len(self.findings)} finding(s)>"

    def measure(
        self, name: str, value: float, threshold: Threshold | None, *, floor: bool = False,
        fmt: Callable[[float], str] = format_number, advice: str = "",
    ) -> Level:
        """Record a value and judge it against a ceiling (or a floor); returns its level."""
        level: Level = (threshold.breach(value, floor=floor) if threshold else None) or "ok"
        self.measurements.append(Measurement(
            name=name, value=value, display=fmt(value),
            warn=threshold.warn if threshold else None, crit=threshold.crit if threshold else None,
            bound=("min" if floor else "max") if threshold else None, level=level,
            warn_display=_shown(threshold.warn, fmt) if threshold else None,
            crit_display=_shown(threshold.crit, fmt) if threshold else None,
        ))
        if threshold and math.isnan(value):
            self._add(level, f"no data: {name} is NaN (0/0, or a source without a value), which "
                             "no limit can judge; no data is never green")
        elif threshold and level != "ok":
            limit = threshold.crit if level == "crit" else threshold.warn
            relation = "below the minimum" if floor else "above the limit"
            text = f"{name} is {fmt(value)}, {relation} {fmt(limit or 0.0)} ({level})"
            self._add(level, f"{text}: {advice}" if advice else text)
        return level

    def note(
        self, name: str, value: float | str | None, display: str | None = None, *,
        level: Level = "ok", expected: str | None = None,
    ) -> None:
        """Record a fact for the summary; a fact judged elsewhere (a status code against the
        expected ones) carries that level and what was expected, so reports do not call it ok."""
        shown = display if display is not None else (
            value if isinstance(value, str) else format_number(value or 0.0))
        self.measurements.append(Measurement(name=name, value=value, display=str(shown), level=level,
                                             crit_display=expected))

    def fail(self, message: str) -> None:
        self._add("crit", message)

    def warn(self, message: str) -> None:
        self._add("warn", message)

    def quote(self, text: str, limit: int) -> str:
        """`text` as a message quotes it (in repr quotes): redacted, then cut to `limit` characters.
        Cut first, a secret straddling the cut would leak its head, which no redactor recognises."""
        return repr(self.redactor.redact(text)[:limit])

    def evidence(self, name: str, text: str, mime: str = "text/plain") -> None:
        if self.attach is not None:
            self.attach(name, self.redactor.redact(text), mime)

    @property
    def level(self) -> Level:
        levels = {f.level for f in self.findings}
        return "crit" if "crit" in levels else ("warn" if "warn" in levels else "ok")

    def conclude(self) -> None:
        """Publish the measurements, warn for warn findings, fail on crit ones (all at once)."""
        __tracebackhide__ = True
        self.concluded = True
        self._publish()
        if self.measurements:  # Allure shows a CSV attachment as a table
            self.evidence(MEASURED, self.measurement_table(), "text/csv")
        if self.level == "crit":
            raise TargetFindings(self.failure_message())
        for finding in self.findings:
            warnings.warn(ThresholdWarning(self.redactor.redact(self._label(finding.message))),
                          stacklevel=2)

    def measurement_table(self) -> str:
        """The measured values against their limits, as CSV."""
        rows = [["measured", "value", "warn", "crit", "level"]] + [
            [m.name, m.display, _limit(m, m.warn_display), _limit(m, m.crit_display), m.level]
            for m in self.measurements]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()

    def failure_message(self) -> str:
        crits = [f.message for f in self.findings if f.level == "crit"]
        others = [f"(warn) {f.message}" for f in self.findings if f.level == "warn"]
        lines = crits + others
        if len(lines) == 1:
            body = lines[0]
        else:
            body = f"{len(crits)} problem(s):\n" + "\n".join(f"  - {line}" for line in lines)
        return self.redactor.redact(self._label(body) + self._runbook())

    def _add(self, level: Literal["warn", "crit"], message: str) -> None:
        self.findings.append(Finding("crit" if self.strict else level, message))

    def _label(self, message: str) -> str:
        return f"{self.check or self.target.kind} {self.target.name}: {message}"

    def _runbook(self) -> str:
        return f"\nRunbook: {self.target.runbook}" if self.target.runbook else ""

    def _publish(self) -> None:
        if self.publish is None:
            return
        payload = {
            "level": self.level,
            # flat dataclasses: vars() is enough, and asdict's deep copy costs per check
            "measurements": [_json_safe(vars(m)) for m in self.measurements],
            "findings": [vars(f) for f in self.findings],
        }
        self.publish(PROPERTY, self.redactor.redact(json.dumps(payload, default=str)))


def _json_safe(fields: dict[str, Any]) -> dict[str, Any]:
    """No NaN or infinity in reports: JSON has none (strict readers refuse `NaN`), so a value
    that is no number is null there, and its display says what was seen."""
    value = fields["value"]
    if isinstance(value, float) and not math.isfinite(value):
        return {**fields, "value": None}
    return fields


def _limit(measurement: Measurement, shown: str | None) -> str:
    if shown is None:
        return ""
    if measurement.bound is None:
        return f"expected {shown}"
    return f"{'>=' if measurement.bound == 'min' else '<='} {shown}"


def _shown(limit: float | None, fmt: Callable[[float], str]) -> str | None:
    return None if limit is None else fmt(limit)


def describe(value: Any, limit: int = 80) -> str:
    """A short repr for messages: long values are cut, never dumped whole."""
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
