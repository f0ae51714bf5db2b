"""The run summary: per-check outcomes into summary.json, summary.md and a terminal table."""

from __future__ import annotations

import json
import platform
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from opsgate import ThresholdWarning, __version__
from opsgate.redact import Redactor

SCHEMA = "opsgate.summary/1"
OUTCOMES = ("pass", "warn", "fail", "error", "skip")
_EXPLAINED = ("warn", "fail", "error", "skip")  # outcomes listed with their message or reason
_NODE = re.compile(r"::test_(?P<check>[^\[]+)(?:\[(?P<target>.*)\])?$")


def classify(report: pytest.TestReport, call: pytest.CallInfo[None]) -> str | None:
    """pass / warn / fail / error / skip for the phase that decides a check's outcome."""
    if report.skipped:
        return "skip" if report.when in ("setup", "call") else None
    if report.failed:
        if report.when != "call":
            return "error"
        finding = call.excinfo is not None and call.excinfo.errisinstance(
            (AssertionError, ThresholdWarning))
        return "fail" if finding else "error"
    if report.when == "call":
        payload = _payload(report)
        return "warn" if payload.get("level") == "warn" else "pass"
    return None


def redact_report(report: pytest.TestReport, redactor: Redactor) -> None:
    """Mask secrets in everything a report carries to the terminal, junit and xdist."""
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason), kept a tuple for junit
        path, line, reason = report.longrepr
        report.longrepr = (path, line, redactor.redact(reason))
    elif report.longrepr is not None:
        text = str(report.longrepr)
        masked = redactor.redact(text)
        if masked != text:
            report.longrepr = masked
    report.sections = [(title, redactor.redact(body)) for title, body in report.sections]
    report.user_properties = [
        (name, redactor.redact(value) if isinstance(value, str) else value)
        for name, value in report.user_properties
    ]


def _payload(report: pytest.TestReport) -> dict[str, Any]:
    for name, value in report.user_properties:
        if name == "opsgate":
            return json.loads(value)
    return {}


def _property(report: pytest.TestReport, wanted: str) -> Any:
    return next((value for name, value in report.user_properties if name == wanted), None)


@dataclass
class CheckRecord:
    id: str
    check: str
    target: str
    outcome: str = "pass"
    duration_s: float = 0.0
    probe_s: float | None = None
    retried: str | None = None
    measurements: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None


@dataclass
class RunSummary:
    profile: str
    profile_path: Path
    started: float
    checks: dict[str, CheckRecord] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # about the run, not one check

    def add(self, report: pytest.TestReport) -> None:
        outcome = _property(report, "opsgate_outcome")
        if outcome is None:
            return
        record = self.checks.get(report.nodeid)
        if record is None:
            match = _NODE.search(report.nodeid)
            record = CheckRecord(
                id=report.nodeid, check=match.group("check") if match else report.nodeid,
                target=(match.group("target") or "") if match else "",
            )
            self.checks[report.nodeid] = record
        if report.when == "teardown" and record.outcome not in ("pass", "warn"):
            return
        record.outcome = outcome
        record.duration_s = round(record.duration_s + report.duration, 4)
        record.probe_s = _property(report, "opsgate_probe_seconds")
        record.retried = _property(report, "opsgate_retries") or record.retried
        payload = _payload(report)
        record.measurements = payload.get("measurements", record.measurements)
        record.findings = payload.get("findings", record.findings)
        if report.failed:
            record.message = _crash_message(report)
        elif report.skipped and isinstance(report.longrepr, tuple):
            record.message = str(report.longrepr[2]).removeprefix("Skipped: ")

    def totals(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for record in self.checks.values():
            counts[record.outcome] += 1
        return counts

    def by_check(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for record in self.checks.values():
            table.setdefault(record.check, dict.fromkeys(OUTCOMES, 0))[record.outcome] += 1
        return table

    def as_json(self, exit_status: int, markers: str) -> dict[str, Any]:
        finished = time.time()
        return {
            "schema": SCHEMA,
            "opsgate_version": __version__,
            "profile": self.profile,
            "profile_path": str(self.profile_path),
            "host": platform.node(),
            "markers": markers or None,
            "started_at": _iso(self.started),
            "finished_at": _iso(finished),
            "duration_s": round(finished - self.started, 3),
            "exit_status": exit_status,
            "totals": self.totals(),
            "checks": [vars(record) for record in self.checks.values()],
        }

    def write(self, directory: Path, exit_status: int, markers: str) -> None:
        data = self.as_json(exit_status, markers)
        (directory / "summary.json").write_text(json.dumps(data, indent=2) + "\n")
        (directory / "summary.md").write_text(self.markdown(data))

    def markdown(self, data: dict[str, Any]) -> str:
        totals = data["totals"]
        verdict = "FAILED" if totals["fail"] or totals["error"] else "passed"
        lines = [
            f"## opsgate: {verdict} (profile `{self.profile}`"
            + (f", `-m {data['markers']}`" if data["markers"] else "") + ")",
            "",
            " · ".join(f"{totals[o]} {o}" for o in OUTCOMES) + f" · {data['duration_s']} s",
            "",
            "| check | " + " | ".join(OUTCOMES) + " |",
            "| --- | " + " | ".join("---:" for _ in OUTCOMES) + " |",
        ]
        for check, counts in sorted(self.by_check().items()):
            lines.append(f"| {check} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |")
        lines += [f"> {note}" for note in self.notes]
        problems = [r for r in self.checks.values() if r.outcome in _EXPLAINED]
        if problems:
            lines += ["", "| outcome | check | target | message |", "| --- | --- | --- | --- |"]
            for record in problems:
                lines.append(f"| {record.outcome} | {record.check} | {record.target} | "
                             f"{_cell(self._problem_text(record))} |")
        return "\n".join(lines) + "\n"

    def print_table(self, terminal: Any, reports_dir: Path | None) -> None:
        terminal.section(f"opsgate summary (profile {self.profile})")
        width = max((len(name) for name in self.by_check()), default=5) + 2
        terminal.write_line("check".ljust(width) + "".join(o.rjust(7) for o in OUTCOMES))
        for check, counts in sorted(self.by_check().items()):
            terminal.write_line(check.ljust(width) + "".join(str(counts[o]).rjust(7)
                                                               for o in OUTCOMES))
        for record in self.checks.values():
            if record.outcome in _EXPLAINED:
                first = _one_line(self._problem_text(record))[:200]
                terminal.write_line(f"{record.outcome.upper():5} {record.check}[{record.target}]: "
                                    f"{first}")
        for note in self.notes:
            terminal.write_line(f"NOTE  {note}")
        if reports_dir is not None:
            terminal.write_line(f"reports: {reports_dir}/ (junit.xml, allure-results/, "
                                "summary.json, summary.md)")

    @staticmethod
    def _problem_text(record: CheckRecord) -> str:
        if record.message:
            return record.message
        return "; ".join(f["message"] for f in record.findings) or record.outcome


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        text = crash.message
    else:  # a redacted report keeps only text: its "E" lines are the exception's message
        lines = str(report.longrepr).splitlines()
        failure = [line[1:].strip() for line in lines if line.startswith("E ")]
        text = "\n".join(failure) if failure else lines[-1]
    return re.sub(r"^(?:[\w.]+\.)?(?:AssertionError|[A-Z]\w+): ", "", text, count=1)


def _one_line(text: str) -> str:
    """A multi-finding message folded onto one line: its findings joined by `; `."""
    lines = text.splitlines()
    findings = [line.strip().removeprefix("- ") for line in lines[1:] if line.strip().startswith("- ")]
    return "; ".join(findings) if findings else lines[0] if lines else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")[:500]


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
