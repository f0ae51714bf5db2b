"""`--baseline PATH/summary.json`: what got worse since an earlier run.

Before a maintenance window, save a run's summary.json; after it, run again with `--baseline` and
read the list of every check whose outcome or judged value got worse: "is everything back as it
was". A value is worse when its level rose (ok -> warn -> crit) or when it moved towards its limit
by more than TOLERANCE of its baseline value (a p95 from 120ms to 180ms, days left from 60 to 30).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opsgate.history import check_id

TOLERANCE = 0.2
RANK = {"pass": 0, "skip": 1, "warn": 1, "waived": 2, "fail": 3, "error": 3}
LEVELS = {"ok": 0, "warn": 1, "crit": 2}


class BaselineError(Exception):
    """A baseline file that cannot be compared with."""


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"--baseline {path}: cannot read it: {error.strerror}") from None
    except ValueError as error:
        raise BaselineError(f"--baseline {path}: not JSON: {error}") from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("opsgate.summary/") \
            or not isinstance(data.get("checks"), list):
        raise BaselineError(f"--baseline {path}: not an opsgate summary.json (no 'schema': "
                            "'opsgate.summary/N' with 'checks')")
    return data


def compare(data: dict[str, Any], baseline: dict[str, Any], path: Path) -> dict[str, Any]:
    """The `baseline` section of this run's summary: every check that got worse."""
    now = {check_id(c): c for c in data["checks"]}
    worse = []
    for name, before in ((check_id(c), c) for c in baseline["checks"]):
        after = now.get(name)
        if after is None:
            worse.append({"check": name, "why": f"{before['outcome']} in the baseline, not run now"})
        elif RANK.get(after["outcome"], 3) > RANK.get(before["outcome"], 3):
            worse.append({"check": name, "why": f"outcome {before['outcome']} -> {after['outcome']}"})
        else:
            worse += [{"check": name, "why": why} for why in _worse_values(before, after)]
    return {"path": str(path), "profile": baseline.get("profile"), "started_at": baseline.get("started_at"),
            "worse": worse}


def _worse_values(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    earlier = {m["name"]: m for m in before["measurements"] if m.get("bound")}
    found = []
    for m in after["measurements"]:
        old = earlier.get(m["name"])
        if old is None or not _numbers(old["value"], m["value"]):
            continue
        level_rose = LEVELS.get(m["level"], 0) > LEVELS.get(old["level"], 0)
        if level_rose or _moved_towards_limit(old["value"], m["value"], m["bound"]):
            found.append(f"{m['name']} {old['display']} -> {m['display']}"
                         + (f" ({old['level']} -> {m['level']})" if level_rose else ""))
    return found


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _moved_towards_limit(old: float, new: float, bound: str) -> bool:
    margin = abs(old) * TOLERANCE
    return new > old + margin if bound == "max" else new < old - margin
