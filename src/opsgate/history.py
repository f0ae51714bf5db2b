"""reports/history.sqlite: every run's outcomes and judged values, to say what changed.

Each run of a profile and suite (`-m` expression) appends one row per check and per judged value.
From the runs of the same profile and suite the summary then says what is newly failing, what
recovered, what is flapping (failed in k >= 2 of the last n runs, changing its mind at least twice),
and the HTML page draws the trend of each judged value as a sparkline.
"""

from __future__ import annotations

import math
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WINDOW = 10  # runs looked at for flapping and trends
KEEP = 1000  # runs kept per profile and suite
FAILED = ("fail", "error")
_TABLES = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, profile TEXT NOT NULL, suite TEXT NOT NULL,
    finished_at TEXT NOT NULL, exit_status INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    check_id TEXT NOT NULL, outcome TEXT NOT NULL, duration_s REAL NOT NULL);
CREATE TABLE IF NOT EXISTS measures (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    check_id TEXT NOT NULL, measure TEXT NOT NULL, value REAL NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_suite ON runs(profile, suite, id);
CREATE INDEX IF NOT EXISTS results_by_run ON results(run_id);
CREATE INDEX IF NOT EXISTS measures_by_run ON measures(run_id);
"""


@dataclass
class Changes:
    """What this run says against the earlier ones; `trends` feeds the HTML page only."""

    runs: int = 0  # earlier runs of this profile and suite that were known
    newly_failing: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    flapping: list[dict[str, Any]] = field(default_factory=list)
    trends: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"earlier_runs": self.runs, "newly_failing": self.newly_failing,
                "recovered": self.recovered, "flapping": self.flapping}


def check_id(check: dict[str, Any]) -> str:
    return f"{check['check']}[{check['target']}]"


def record(path: Path, data: dict[str, Any]) -> Changes:
    """Append the run (a summary.json document) and compare it with the earlier ones."""
    suite = data["markers"] or "all"
    with closing(sqlite3.connect(path, timeout=10)) as db, db:
        db.execute("PRAGMA foreign_keys = ON")
        db.executescript(_TABLES)
        earlier = _earlier_outcomes(db, data["profile"], suite)
        _append(db, data, suite)
        _prune(db, data["profile"], suite)
        trends = _trends(db, data["profile"], suite)
    return _compare(data, earlier, trends)


def _append(db: sqlite3.Connection, data: dict[str, Any], suite: str) -> None:
    cursor = db.execute("INSERT INTO runs (profile, suite, finished_at, exit_status) VALUES (?, ?, ?, ?)",
                        (data["profile"], suite, data["finished_at"], data["exit_status"]))
    run_id = int(cursor.lastrowid or 0)
    db.executemany("INSERT INTO results VALUES (?, ?, ?, ?)", [
        (run_id, check_id(c), c["outcome"], c["duration_s"]) for c in data["checks"]])
    db.executemany("INSERT INTO measures VALUES (?, ?, ?, ?)", [
        (run_id, check_id(c), m["name"], float(m["value"])) for c in data["checks"]
        for m in c["measurements"] if m["bound"] is not None and _is_number(m["value"])])


def _is_number(value: Any) -> bool:
    """A value a trend can plot: no NaN (no data) or infinity, which sqlite cannot hold."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _earlier_outcomes(db: sqlite3.Connection, profile: str, suite: str) -> list[dict[str, str]]:
    """Outcomes per check of the last WINDOW - 1 runs, newest first."""
    runs = [row[0] for row in db.execute(
        "SELECT id FROM runs WHERE profile = ? AND suite = ? ORDER BY id DESC LIMIT ?",
        (profile, suite, WINDOW - 1))]
    return [dict(db.execute("SELECT check_id, outcome FROM results WHERE run_id = ?", (run,)).fetchall())
            for run in runs]


def _trends(db: sqlite3.Connection, profile: str, suite: str) -> dict[str, dict[str, list[float]]]:
    """The last WINDOW values of every judged measure, oldest first, by check and measure."""
    rows = db.execute(
        "SELECT m.check_id, m.measure, m.value FROM measures m JOIN ("
        "  SELECT id FROM runs WHERE profile = ? AND suite = ? ORDER BY id DESC LIMIT ?"
        ") r ON m.run_id = r.id ORDER BY m.run_id", (profile, suite, WINDOW))
    trends: dict[str, dict[str, list[float]]] = {}
    for check, measure, value in rows:
        trends.setdefault(check, {}).setdefault(measure, []).append(value)
    return trends


def _prune(db: sqlite3.Connection, profile: str, suite: str) -> None:
    db.execute("DELETE FROM runs WHERE profile = ? AND suite = ? AND id NOT IN ("
               "SELECT id FROM runs WHERE profile = ? AND suite = ? ORDER BY id DESC LIMIT ?)",
               (profile, suite, profile, suite, KEEP))


def _compare(data: dict[str, Any], earlier: list[dict[str, str]],
             trends: dict[str, dict[str, list[float]]]) -> Changes:
    changes = Changes(runs=len(earlier), trends=trends)
    last = earlier[0] if earlier else {}
    for check in data["checks"]:
        name, now = check_id(check), check["outcome"]
        before = last.get(name)
        if before is not None and now in FAILED and before not in FAILED:
            changes.newly_failing.append(name)
        if before in FAILED and now not in FAILED and now != "skip":
            changes.recovered.append(name)
        # Oldest first, this run last; a check absent from a run does not count in it.
        seen = [run[name] for run in reversed(earlier) if name in run] + [now]
        failed = sum(outcome in FAILED for outcome in seen)
        flips = sum((a in FAILED) != (b in FAILED) for a, b in zip(seen, seen[1:], strict=False))
        if failed >= 2 and flips >= 2:  # one blip is not flapping; failing, passing, failing is
            changes.flapping.append({"check": name, "failed": failed, "runs": len(seen)})
    return changes
