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
from opsgate.errors import ProbeFailure, TargetFindings
from opsgate.interrupt import write_whole
from opsgate.redact import Redactor

SCHEMA = "opsgate.summary/2"
OUTCOMES = ("pass", "warn", "fail", "error", "waived", "skip")
# Outcomes listed one by one under the tables, with their message or reason.
NOTABLE = ("fail", "error", "waived", "warn", "skip")
_NODE = re.compile(r"::test_(?P<check>[^\[]+)(?:\[(?P<target>.*)\])?$")


def classify(report: pytest.TestReport, call: pytest.CallInfo[None]) -> str | None:
    """pass / warn / fail / error / skip for the phase that decides a check's outcome."""
    if report.skipped:
        return "skip" if report.when in ("setup", "call") else None
    if report.failed:
        if report.when != "call":
            return "error"
        # Findings only: any other exception, a bare AssertionError included, is a broken check.
        finding = call.excinfo is not None and call.excinfo.errisinstance(
            (ProbeFailure, TargetFindings, ThresholdWarning))
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
    """One check on one target, as summary.json publishes it (see summary.schema.json)."""

    id: str
    check: str
    target: str
    outcome: str = "pass"
    # The probe's own time when it ran (what the target cost), else pytest's time for the check:
    # the one duration every output shows.
    duration_s: float = 0.0
    retried: list[str] = field(default_factory=list)
    measurements: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None
    runbook: str | None = None
    waiver: str | None = None
    vantage: str | None = None


@dataclass
class RunSummary:
    profile: str
    profile_path: Path
    started: float
    checks: dict[str, CheckRecord] = field(default_factory=dict)
    # Evidence per check id, for the HTML page only (summary.json stays small).
    evidence: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    waivers: list[dict[str, Any]] = field(default_factory=list)
    # Judged values of earlier runs by check id and measure (history), for sparklines.
    trends: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    written: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # about the run, not one check

    def add(self, report: pytest.TestReport) -> CheckRecord | None:
        """Fold a report into its check's record; the record, or None for a report of no check."""
        outcome = _property(report, "opsgate_outcome")
        if outcome is None:
            return None
        vantage = _property(report, "opsgate_vantage")
        key = f"{report.nodeid}@{vantage}"  # `--dist each`: one record per check and vantage point
        record = self.checks.get(key)
        if record is None:
            match = _NODE.search(report.nodeid)
            record = CheckRecord(
                id=report.nodeid, check=match.group("check") if match else report.nodeid,
                target=(match.group("target") or "") if match else "", vantage=vantage,
            )
            self.checks[key] = record
        if report.when == "teardown" and record.outcome not in ("pass", "warn"):
            return record
        record.outcome = outcome
        probe_s = _property(report, "opsgate_probe_seconds")
        record.duration_s = probe_s if probe_s is not None else round(
            record.duration_s + report.duration, 4)
        retried = _property(report, "opsgate_retries")
        record.retried = json.loads(retried) if retried else record.retried
        payload = _payload(report)
        record.measurements = payload.get("measurements", record.measurements)
        record.findings = payload.get("findings", record.findings)
        record.runbook = getattr(report, "opsgate_runbook", None) or record.runbook
        if report.when == "call":
            self.evidence[report.nodeid] = getattr(report, "opsgate_evidence", [])
        record.waiver = getattr(report, "opsgate_waiver", None) or record.waiver
        if report.failed or outcome == "waived":
            record.message = self._unlabelled(record, _crash_message(report))
            if not record.findings:  # failed before any answer: the reason is the finding
                record.findings = [{"level": "crit", "message": _first_line(record.message)}]
        elif report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
            record.message = self._unlabelled(record, reason)
        return record

    @staticmethod
    def _unlabelled(record: CheckRecord, message: str) -> str:
        """One message style: the check and target are fields of their own, not a prefix."""
        return re.sub(rf"^\w+ {re.escape(record.target)}: ", "", message, count=1)

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

    def split_verdicts(self) -> list[str]:
        """One line per check that fails from some vantage points only, e.g. `http[api]: fails from
        eu-west, passes from us-east` — the difference between "down" and "unreachable from there"."""
        by_id: dict[str, list[CheckRecord]] = {}
        for record in self.checks.values():
            by_id.setdefault(record.id, []).append(record)
        lines = []
        for records in by_id.values():
            bad = sorted(str(r.vantage) for r in records if r.outcome in ("fail", "error"))
            good = sorted(str(r.vantage) for r in records if r.outcome in ("pass", "warn"))
            if bad and good:
                first = records[0]
                lines.append(f"{first.check}[{first.target}]: fails from {', '.join(bad)}, "
                             f"passes from {', '.join(good)}")
        return lines

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
            # Ctrl-C or SIGTERM: the checks listed are those that ran, not the whole selection.
            "interrupted": exit_status == pytest.ExitCode.INTERRUPTED,
            "totals": self.totals(),
            "checks": [vars(record) for record in self.checks.values()],
            "waivers": self.waivers,
        }

    def write(self, directory: Path, data: dict[str, Any]) -> None:
        """Write summary.json, summary.md and summary.html of the document `as_json` made, each
        whole or not at all (a reader never sees half a file, nor a stale one as this run's)."""
        from opsgate.html import render

        self.written = data
        write_whole(directory / "summary.json", json.dumps(data, indent=2) + "\n")
        write_whole(directory / "summary.md", self.markdown(data))
        write_whole(directory / "summary.html", render(data, self.evidence, self.trends))

    def markdown(self, data: dict[str, Any]) -> str:
        totals = data["totals"]
        verdict = "FAILED" if run_failed(data) else "passed"
        if data.get("interrupted"):
            verdict = f"INTERRUPTED, {verdict} so far"
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
        lines += [f"\n**Expired waiver** `{w['check']}` (owner {w['owner']}, expired {w['expires']}): "
                  f"{_cell(w['reason'])}" for w in data["waivers"] if w["expired"]]
        lines += [f"\n{line}" for line in changes(data)]
        split = self.split_verdicts()
        if split:
            lines += ["", "Fails from some vantage points only:", ""] + [f"- {line}" for line in split]
        lines += [f"> {note}" for note in self.notes]
        problems = [r for r in self.checks.values() if r.outcome in NOTABLE]
        if problems:
            lines += ["", "| outcome | check | target | message |", "| --- | --- | --- | --- |"]
            for record in problems:
                lines.append(f"| {record.outcome} | {record.check} | {record.target} | "
                             f"{_cell(self._problem_text(record))} |")
        return "\n".join(lines) + "\n"

    def print_table(self, terminal: Any, reports_dir: Path | None) -> None:
        terminal.section(f"opsgate summary (profile {self.profile})")
        table = self.by_check()
        width = max((len(name) for name in table), default=5) + 2
        terminal.write_line("check".ljust(width) + "".join(o.rjust(7) for o in OUTCOMES))
        for check, counts in sorted(table.items()):
            terminal.write_line(check.ljust(width) + "".join(str(counts[o]).rjust(7)
                                                               for o in OUTCOMES))
        # ` from eu-west` on each line only when the run had several vantage points.
        several = len({record.vantage for record in self.checks.values()}) > 1
        for record in self.checks.values():
            if record.outcome in NOTABLE:
                first = _one_line(self._problem_text(record))[:200]
                where = f" from {record.vantage}" if several else ""
                terminal.write_line(f"{record.outcome.upper():5} {record.check}[{record.target}]"
                                    f"{where}: {first}")
        for line in self.split_verdicts():
            terminal.write_line(f"SPLIT {line}")
        for line in changes(self.written):
            terminal.write_line(line)
        self._print_slowest(terminal)
        for note in self.notes:
            terminal.write_line(f"NOTE  {note}")
        if reports_dir is not None:
            terminal.write_line(f"reports: {reports_dir}/ (junit.xml, allure-results/, "
                                "summary.json, summary.md, summary.html)")

    def _print_slowest(self, terminal: Any) -> None:
        from opsgate.html import slowest

        ranked = slowest([vars(record) for record in self.checks.values()])
        if len(ranked) < 2:
            return
        terminal.write_line("slowest checks: " + ", ".join(
            f"{r['check']}[{r['target']}] {r['duration_s']:.2f}s" for r in ranked))

    @staticmethod
    def _problem_text(record: CheckRecord) -> str:
        if record.waiver:
            return f"{record.message} ({record.waiver})"
        if record.message:
            return record.message
        return "; ".join(f["message"] for f in record.findings) or record.outcome


def changes(data: dict[str, Any]) -> list[str]:
    """What history and the baseline say of this run, one line each (empty when they are silent)."""
    lines = []
    history = data.get("history") or {}
    if history.get("newly_failing"):
        lines.append("newly failing: " + ", ".join(history["newly_failing"]))
    if history.get("recovered"):
        lines.append("recovered: " + ", ".join(history["recovered"]))
    lines += [f"flapping: {f['check']} failed in {f['failed']} of the last {f['runs']} runs"
              for f in history.get("flapping", [])]
    baseline = data.get("baseline")
    if baseline is not None:
        worse = baseline["worse"]
        lines.append(f"against the baseline of {baseline['started_at']}: "
                     + (f"{len(worse)} worse" if worse else "nothing got worse"))
        lines += [f"  worse: {w['check']}: {w['why']}" for w in worse]
    return lines


def run_failed(data: dict[str, Any]) -> bool:
    """A summary.json document's verdict: a failing check or an expired waiver fails the run."""
    totals = data["totals"]
    return bool(totals["fail"] or totals["error"] or any(w["expired"] for w in data["waivers"]))


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        text = crash.message
    else:  # a redacted report keeps only text: its "E" lines are the exception's message
        lines = str(report.longrepr).splitlines()
        failure = [line[1:].strip() for line in lines if line.startswith("E ")]
        text = "\n".join(failure) if failure else lines[-1]
    return re.sub(r"^(?:[\w.]+\.)?(?:AssertionError|[A-Z]\w+): ", "", text, count=1)


def _first_line(text: str) -> str:
    """A failure's reason without the runbook line that follows it."""
    return text.split("\nRunbook: ")[0]


def _one_line(text: str) -> str:
    """A multi-finding message folded onto one line: its findings joined by `; `."""
    lines = text.splitlines()
    findings = [line.strip().removeprefix("- ") for line in lines[1:] if line.strip().startswith("- ")]
    return "; ".join(findings) if findings else lines[0] if lines else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")[:500]


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
