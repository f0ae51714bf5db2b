"""Allure labels and attachments for checks; allure is imported only when checks are collected."""

from __future__ import annotations

import pytest

from opsgate.targets import Target

_TYPES = {
    "text/plain": "TEXT", "application/json": "JSON", "image/svg+xml": "SVG",
    "image/png": "PNG", "text/html": "HTML", "text/csv": "CSV",
}


def allure_marks(target: Target, check: str) -> list[pytest.MarkDecorator]:
    """Severity, feature, story, description and runbook link, as the marks
    allure-pytest reads (set at collection: nothing to do per test). None without allure."""
    import allure

    marks = [
        allure.severity(getattr(allure.severity_level, target.severity.upper())),
        allure.feature(check), allure.story(target.name),
    ]  # suites need no tag of ours: allure-pytest tags every test with its markers
    if target.description:
        marks.append(allure.description(target.description))
    if target.runbook:
        marks.append(allure.link(target.runbook, name="runbook"))
    # Without the allure plugin these decorators are no-ops rather than pytest marks.
    return [mark for mark in marks if isinstance(mark, pytest.MarkDecorator)]


def allure_attach(name: str, text: str, mime: str) -> None:
    """Attach already-redacted evidence to the running test's allure result."""
    import allure

    kind = getattr(allure.attachment_type, _TYPES.get(mime, "TEXT"))
    allure.attach(text, name=name, attachment_type=kind)


def allure_probe_time(seconds: float) -> None:
    """Tell the allure logger how long the probe took, so the result's duration includes it."""
    import allure

    from opsgate.allure_results import PROBE_LABEL

    allure.dynamic.label(PROBE_LABEL, str(round(seconds * 1000)))
