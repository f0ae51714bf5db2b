"""Rules for log lines: how many matched the pattern in the window, against the thresholds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsgate.judges._format import format_count
from opsgate.redact import clip
from opsgate.units import format_duration, format_size

if TYPE_CHECKING:
    from opsgate.probes.log import LogFacts
    from opsgate.targets.log import LogsTarget
    from opsgate.verdict import Verdict

_QUOTED = 160


def judge_logs(target: LogsTarget, facts: LogFacts, verdict: Verdict) -> None:
    """The count of matching lines against `max_matches`, the most frequent ones quoted as the advice."""
    verdict.evidence("matching log lines", facts.evidence(target.show))
    verdict.note("lines in the window", facts.scanned, format_count(facts.scanned))
    window = format_duration(target.window)
    # With `format: none` the source itself bounds what is read (`--since=1h`), not our window.
    scope = f"in the output of {facts.source}" if target.format == "none" else \
        f"in the last {window} of {facts.source}"
    top = facts.top(1)
    seen = (f"most frequent ({top[0][0]}x): {clip(top[0][1], _QUOTED)!r}" if top else "")
    verdict.measure(
        f"lines matching /{target.pattern}/ {scope}", len(facts.matches),
        target.max_matches, fmt=format_count,
        advice=f"{seen}; read the log around them (full list in the report's evidence) and follow the "
               "runbook for this error",
    )
    if not facts.complete:
        verdict.warn(f"only the last {format_size(target.max_bytes)} of {facts.source} were read "
                     f"(max_bytes), less than the {window} window: the count is a lower bound; raise "
                     "max_bytes or shorten the window")
