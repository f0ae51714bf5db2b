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

# Shown open under their check; any other evidence is folded into a <details>.
OPEN_EVIDENCE = ("latency histogram", "security headers", "certificate chain", "latency percentiles")
_ORDER = {"fail": 0, "error": 1, "waived": 2, "warn": 3, "skip": 4, "pass": 5}
SLOWEST = 5


def render(data: dict[str, Any], evidence: dict[str, list[dict[str, str]]]) -> str:
    """The page for a summary.json document and the evidence of its checks."""
    import jinja2  # only when a run ends with a profile: keeps the plugin's import cheap

    from opsgate.report import run_failed

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
    )


def slowest(checks: list[dict[str, Any]], count: int = SLOWEST) -> list[dict[str, Any]]:
    """The checks that took longest, longest first (skips cost nothing worth listing)."""
    ran = [r for r in checks if r["outcome"] != "skip"]
    return sorted(ran, key=lambda r: r["duration_s"], reverse=True)[:count]


def _shown(items: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    shown: dict[str, list[dict[str, str]]] = {"open": [], "folded": []}
    for item in items:
        entry = dict(item)
        if item["mime"] == "image/svg+xml":
            # An <img> of a data: URI: self-contained, and an SVG shown so cannot run script.
            entry["src"] = "data:image/svg+xml;base64," + base64.b64encode(
                item["text"].encode("utf-8")).decode("ascii")
        shown["open" if item["name"] in OPEN_EVIDENCE else "folded"].append(entry)
    return shown
