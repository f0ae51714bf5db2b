"""reports/summary.html: the run as one self-contained page a person reads, rendered with Jinja2.

No external assets and no script: the page works opened from disk, from a CI artifact and in a
mail client's preview. Evidence the checks attached (already redacted) is shown where it helps
the reader: latency histograms as images, the security-header breakdown and the certificate
chain as text, everything else folded away.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from typing import Any

from opsgate.verdict import MEASURED

# Shown open under their check; any other evidence is folded into a <details>.
OPEN_EVIDENCE = ("latency histogram", "security headers", "certificate chain", "latency percentiles")
_ORDER = {"fail": 0, "error": 1, "waived": 2, "warn": 3, "skip": 4, "pass": 5}
SLOWEST = 5


def render(data: dict[str, Any], evidence: dict[str, list[dict[str, str]]],
           trends: dict[str, dict[str, list[float]]] | None = None) -> str:
    """The page for a summary.json document, the evidence of its checks and the trends of their
    judged values over the last runs (oldest first, by `kind[target]` and measure)."""
    import jinja2  # only when a run ends with a profile: keeps the plugin's import cheap

    from opsgate.report import changes, run_failed

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("opsgate", "html"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    checks = data["checks"]
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in sorted(checks, key=lambda r: (_ORDER[r["outcome"]], r["target"])):
        kinds[record["check"]].append(record)
    return environment.get_template("summary.html.j2").render(
        run=data,
        failed=run_failed(data),
        problems=[r for r in checks if r["outcome"] in ("fail", "error")],
        warnings=[r for r in checks if r["outcome"] in ("waived", "warn")],
        expired=[w for w in data["waivers"] if w["expired"]],
        kinds=sorted(kinds.items(), key=lambda item: (min(_ORDER[r["outcome"]] for r in item[1]),
                                                      item[0])),
        slowest=slowest(checks),
        evidence={check_id: _shown(items) for check_id, items in evidence.items()},
        sparklines={check: {measure: sparkline(values) for measure, values in measures.items()
                            if len(values) > 1} for check, measures in (trends or {}).items()},
        changes=changes(data),
    )


def sparkline(values: list[float], width: int = 90, height: int = 18) -> str:
    """A trend as a tiny SVG line, as a data: URI (the last point marked)."""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 4) / (len(values) - 1)
    points = [(2 + i * step, height - 2 - (v - low) / span * (height - 4)) for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    x, y = points[-1]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
           f'<polyline points="{line}" fill="none" stroke="#1864ab" stroke-width="1.5"/>'
           f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#1864ab"/></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def slowest(checks: list[dict[str, Any]], count: int = SLOWEST) -> list[dict[str, Any]]:
    """The checks that took longest, longest first (skips cost nothing worth listing)."""
    ran = [r for r in checks if r["outcome"] != "skip"]
    return sorted(ran, key=lambda r: r["duration_s"], reverse=True)[:count]


def _shown(items: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    shown: dict[str, list[dict[str, str]]] = {"open": [], "folded": []}
    for item in items:
        if item["name"] == MEASURED:  # the page has them as a table of its own
            continue
        entry = dict(item)
        if item["mime"] == "image/svg+xml":
            # An <img> of a data: URI: self-contained, and an SVG shown so cannot run script.
            entry["src"] = "data:image/svg+xml;base64," + base64.b64encode(
                item["text"].encode("utf-8")).decode("ascii")
        shown["open" if item["name"] in OPEN_EVIDENCE else "folded"].append(entry)
    return shown
