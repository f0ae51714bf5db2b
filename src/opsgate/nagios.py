"""`--exit-mode nagios`: a suite as a Nagios/Icinga/Sensu check.

Exit 0 OK, 1 WARNING (only warn findings), 2 CRITICAL (a failing check or an expired waiver),
3 UNKNOWN (opsgate could not judge: a profile or usage error, nothing selected, an internal
error). Stdout is one line, the plugin output, with the judged values as performance data:
`OPSGATE CRITICAL - production (smoke): 1 of 12 checks failing; http[api] status 503 ... |
'http[api] response time'=0.021;0.5;2 ...` (on one line).
"""

from __future__ import annotations

from typing import Any

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
NAMES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
_FAILED = ("fail", "error")
_SHOWN = 3  # failures named in the line; the rest are counted


def unknown(reason: str) -> str:
    return f"OPSGATE UNKNOWN - {' '.join(reason.split())}"


def verdict(data: dict[str, Any], pytest_status: int) -> tuple[int, str]:
    """The exit code and the plugin output line for a finished run's summary.json document."""
    checks = data["checks"]
    where = f"{data['profile']} ({data['markers'] or 'all'})"
    if pytest_status not in (0, 1) or not checks:  # interrupted, internal error, nothing selected
        return UNKNOWN, unknown(f"{where}: no verdict (pytest exit status {pytest_status}, "
                                f"{len(checks)} checks run)")
    failed = [c for c in checks if c["outcome"] in _FAILED]
    lapsed = [w for w in data["waivers"] if w["expired"]]
    warned = [c for c in checks if c["outcome"] == "warn"]
    if failed or lapsed:
        code = CRITICAL
        parts = [f"{len(failed)} of {len(checks)} checks failing"] + [
            f"{c['check']}[{c['target']}] {_first(c)}" for c in failed[:_SHOWN]] + [
            f"waiver {w['check']} expired {w['expires']}" for w in lapsed]
    elif warned:
        code = WARNING
        parts = [f"{len(warned)} of {len(checks)} checks warn"] + [
            f"{c['check']}[{c['target']}] {_first(c)}" for c in warned[:_SHOWN]]
    else:
        code = OK
        parts = [f"{len(checks)} checks pass"]
    text = " ".join(f"OPSGATE {NAMES[code]} - {where}: {'; '.join(parts)}".split()).replace("|", "/")
    return code, f"{text} | {perfdata(checks)}".rstrip(" |")


def perfdata(checks: list[dict[str, Any]]) -> str:
    """`'label'=value;warn;crit` for every judged number; a floor reads `warn:` (alert below)."""
    items = []
    for check in checks:
        for m in check["measurements"]:
            if m["bound"] is None or isinstance(m["value"], bool) or not isinstance(m["value"], int | float):
                continue
            label = f"{check['check']}[{check['target']}] {m['name']}".replace("'", "''")
            floor = ":" if m["bound"] == "min" else ""
            limits = [_limit(m["warn"], floor), _limit(m["crit"], floor)]
            items.append(f"'{label}'={m['value']:.6g};{limits[0]};{limits[1]}")
    return " ".join(items)


def _limit(value: float | None, floor: str) -> str:
    return "" if value is None else f"{value:.6g}{floor}"


def _first(check: dict[str, Any]) -> str:
    findings = check["findings"]
    text = findings[0]["message"] if findings else (check["message"] or check["outcome"])
    return text if len(text) <= 120 else text[:117] + "..."
