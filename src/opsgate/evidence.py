"""Allure labelling and attachments for checks; allure is imported only when a check runs."""

from __future__ import annotations

from opsgate.targets import Target

_TYPES = {
    "text/plain": "TEXT", "application/json": "JSON", "image/svg+xml": "SVG",
    "image/png": "PNG", "text/html": "HTML", "text/csv": "CSV",
}


def label_test(target: Target, check: str) -> None:
    import allure

    allure.dynamic.severity(getattr(allure.severity_level, target.severity.upper()))
    allure.dynamic.feature(check)
    allure.dynamic.story(target.name)
    allure.dynamic.tag(*target.effective_suites)
    if target.description:
        allure.dynamic.description(target.description)
    if target.runbook:
        allure.dynamic.link(target.runbook, name="runbook")


def allure_attach(name: str, text: str, mime: str) -> None:
    """Attach already-redacted evidence to the running test's allure result."""
    import allure

    kind = getattr(allure.attachment_type, _TYPES.get(mime, "TEXT"))
    allure.attach(text, name=name, attachment_type=kind)
