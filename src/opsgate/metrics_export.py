"""A run's results as Prometheus metrics: a textfile for node_exporter, or a Pushgateway push.

Generated with prometheus_client from the summary.json document, so every export says what the
summary says. Labels: `profile`, `kind`, `target`, `suite` (the `-m` expression, `all` without
one); judged values add `measure`.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

# A waived failure is still crit (the fact), but passes the gate (success 1) and says so.
STATUS = {"pass": 0, "warn": 1, "fail": 2, "waived": 2, "error": 3}  # skipped checks export nothing
PASSING = ("pass", "warn", "waived")
LABELS = ("profile", "kind", "target", "suite", "vantage")
JOB = "opsgate"


def suite_of(data: dict[str, Any]) -> str:
    return data["markers"] or "all"


def registry_for(data: dict[str, Any], finished: float) -> CollectorRegistry:
    """The metrics of one run (a summary.json document) finished at `finished` (epoch seconds)."""
    registry = CollectorRegistry()
    success = Gauge("opsgate_check_success", "1 if the check passed (warnings and waived failures "
                    "pass), else 0", LABELS, registry=registry)
    waived = Gauge("opsgate_check_waived", "1 if a waiver covers the check's failure",
                   LABELS, registry=registry)
    status = Gauge("opsgate_check_status", "0 ok, 1 warn, 2 crit, 3 error", LABELS, registry=registry)
    duration = Gauge("opsgate_check_duration_seconds", "the probe's own time",
                     LABELS, registry=registry)
    value = Gauge("opsgate_check_value", "a value the check judged, in base units (seconds, bytes, "
                  "ratios 0-1, days)", (*LABELS, "measure"), registry=registry)
    last = Gauge("opsgate_last_run_timestamp_seconds", "when the run finished",
                 ("profile", "suite"), registry=registry)
    suite = suite_of(data)
    for check in data["checks"]:
        if check["outcome"] not in STATUS:
            continue
        labels = (data["profile"], check["check"], check["target"], suite, check.get("vantage") or "")
        success.labels(*labels).set(1 if check["outcome"] in PASSING else 0)
        waived.labels(*labels).set(1 if check["outcome"] == "waived" else 0)
        status.labels(*labels).set(STATUS[check["outcome"]])
        duration.labels(*labels).set(check["duration_s"])
        for measurement in _judged(check):
            value.labels(*labels, measurement["name"]).set(measurement["value"])
    last.labels(data["profile"], suite).set(finished)
    return registry


def _judged(check: dict[str, Any]) -> list[dict[str, Any]]:
    """Numbers held against a warn/crit limit: the ones worth a graph and an alert."""
    return [m for m in check["measurements"]
            if m["bound"] is not None and isinstance(m["value"], int | float)
            and not isinstance(m["value"], bool)]


def write_textfile(path: str, data: dict[str, Any], finished: float) -> None:
    """Write atomically (a temp file renamed over the old one): node_exporter never reads half."""
    write_to_textfile(path, registry_for(data, finished))


def push(url: str, data: dict[str, Any], finished: float, timeout: float = 10.0) -> None:
    """Replace this profile and suite's group on the Pushgateway with the run's metrics."""
    push_to_gateway(url, job=JOB, registry=registry_for(data, finished), timeout=timeout,
                    grouping_key={"profile": data["profile"], "suite": suite_of(data)})


def export(data: dict[str, Any], finished: float, textfile: str | None,
           pushgateway: str | None) -> list[str]:
    """Write and push as asked; returns what failed, for the terminal (the verdict stands)."""
    problems = []
    if textfile:
        try:
            write_textfile(textfile, data, finished)
        except OSError as error:
            problems.append(f"metrics textfile {textfile} not written: {error.strerror or error}")
    if pushgateway:
        try:
            push(pushgateway, data, finished)
        except OSError as error:  # URLError, timeouts and refusals are all OSErrors
            problems.append(f"metrics not pushed to {pushgateway}: {getattr(error, 'reason', error)}")
    return problems
