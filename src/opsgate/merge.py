"""`opsgate merge DIR…`: the reports of sharded runs (CI matrix jobs) joined into one, with one verdict."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from opsgate.report import CheckRecord, RunSummary

# Which exit status of a part decides the whole: an internal error outranks an interruption, which
# outranks a usage error, which outranks failed checks; "no checks" only when no part ran any.
_PRECEDENCE = (3, 2, 4, 1)


class MergeError(Exception):
    """A part that cannot be merged: the message names its directory and what is wrong."""


def merge(parts: list[Path], out: Path) -> int:
    """Write `out/summary.json`, `summary.md` and `junit.xml` from the parts; return the verdict's
    exit status."""
    summaries = [_read_summary(part) for part in parts]
    merged = _merged_summary(summaries, parts)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(merged, indent=2) + "\n")
    (out / "summary.md").write_text(_markdown(merged))
    junits = [part / "junit.xml" for part in parts if (part / "junit.xml").is_file()]
    if junits:
        _merge_junit(junits).write(out / "junit.xml", encoding="utf-8", xml_declaration=True)
    return int(merged["exit_status"])


def _read_summary(part: Path) -> dict[str, Any]:
    path = part / "summary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MergeError(f"{path}: no summary.json: is {part} a reports directory of a run?") from None
    except (OSError, ValueError) as exc:
        raise MergeError(f"{path}: unreadable summary: {exc}") from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("opsgate.summary/"):
        raise MergeError(f"{path}: not an opsgate summary (no 'schema: opsgate.summary/…')")
    return data


def _merged_summary(summaries: list[dict[str, Any]], parts: list[Path]) -> dict[str, Any]:
    checks: dict[tuple[str, Any], dict[str, Any]] = {}
    for summary in summaries:
        for check in summary.get("checks", []):
            checks[(check["id"], check.get("vantage"))] = check
    first = summaries[0]
    profiles = sorted({str(s.get("profile")) for s in summaries})
    merged = {
        **first,
        "profile": ", ".join(profiles),
        "host": ", ".join(sorted({str(s.get("host")) for s in summaries})),
        "started_at": min(s["started_at"] for s in summaries),
        "finished_at": max(s["finished_at"] for s in summaries),
        "duration_s": round(max(float(s.get("duration_s", 0)) for s in summaries), 3),
        "exit_status": combined_exit_status([int(s.get("exit_status", 3)) for s in summaries]),
        "checks": list(checks.values()),
        "parts": [{"reports_dir": str(part), "exit_status": s.get("exit_status"),
                   "totals": s.get("totals")} for part, s in zip(parts, summaries, strict=True)],
    }
    merged["totals"] = _totals(merged["checks"], first.get("totals", {}))
    return merged


def combined_exit_status(statuses: list[int]) -> int:
    """One exit status for several parts of one gate."""
    for status in _PRECEDENCE:
        if status in statuses:
            return status
    return 0 if 0 in statuses else 5


def _totals(checks: list[dict[str, Any]], template: dict[str, int]) -> dict[str, int]:
    counts = dict.fromkeys(template, 0)
    for check in checks:
        counts[check["outcome"]] = counts.get(check["outcome"], 0) + 1
    return counts


def _markdown(merged: dict[str, Any]) -> str:
    """summary.md of the merged run, written by the same code as a single run's."""
    summary = RunSummary(merged["profile"], Path(str(merged.get("profile_path", ""))), 0.0)
    known = {field.name for field in dataclasses.fields(CheckRecord)}
    for index, check in enumerate(merged["checks"]):
        summary.checks[str(index)] = CheckRecord(**{k: v for k, v in check.items() if k in known})
    parts = len(merged["parts"])
    return summary.markdown(merged) + f"\nMerged from {parts} part(s): " + ", ".join(
        f"`{p['reports_dir']}` (exit {p['exit_status']})" for p in merged["parts"]) + "\n"


def _merge_junit(paths: list[Path]) -> ET.ElementTree:
    root = ET.Element("testsuites")
    for path in paths:
        try:
            tree = ET.parse(path)
        except ET.ParseError as exc:
            raise MergeError(f"{path}: unreadable junit XML: {exc}") from None
        top = tree.getroot()
        root.extend(top.findall("testsuite") if top.tag == "testsuites" else [top])
    for name in ("tests", "failures", "errors", "skipped"):
        root.set(name, str(sum(int(suite.get(name, 0)) for suite in root)))
    return ET.ElementTree(root)
