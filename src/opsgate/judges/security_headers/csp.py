"""Content-Security-Policy parsing, as the Mozilla HTTP Observatory's `cspParser.js` does it.

One response's CSP header values become one `Csp`: directive -> lower-cased sources. Both
the baseline rules and the Observatory scoring read that object, so a policy is parsed once
per assessment.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Csp", "CspError", "parse_csp"]

# The shortest policy the Observatory accepts: one character less than "img-src".
_SHORTEST_POLICY = len("img-src") - 1
_ALLOWED_DUPLICATES = frozenset({"report-uri", "report-to"})
_NONE = frozenset({"'none'"})


class CspError(ValueError):
    """The Content-Security-Policy cannot be parsed (Observatory: csp-header-invalid)."""


@dataclass(frozen=True)
class Csp:
    """Parsed CSP: directive -> lower-cased sources, plus whether report-uri/-to repeat.

    A directive given without sources holds `'none'` (an empty source list allows nothing).
    """

    directives: dict[str, frozenset[str]]
    duplicate_reports: bool


def _parse_policy(policy: str) -> tuple[dict[str, frozenset[str]], bool]:
    directives: dict[str, frozenset[str]] = {}
    duplicate_reports = False
    for entry in policy.split(";"):
        tokens = entry.split()
        if not tokens:
            continue
        directive = tokens[0].lower()
        if directive in directives:
            if directive not in _ALLOWED_DUPLICATES:
                raise CspError(f"directive {directive} appears twice")
            duplicate_reports = True
            continue
        directives[directive] = frozenset(s.lower() for s in tokens[1:]) or _NONE
    return directives, duplicate_reports


def parse_csp(values: list[str]) -> Csp | None:
    """Parse every CSP header value (comma-separated policies); None when there is none.

    Several policies all apply, so a directive present in several keeps the sources common
    to all; a directive first appearing in a later policy keeps none (as the Observatory,
    which also matches path prefixes where this intersection matches exact sources).
    Raises `CspError` on a policy that cannot be parsed.
    """
    policies = [p.replace("\r", "").replace("\n", "").strip() for v in values for p in v.split(",")]
    if not policies:
        return None
    merged: dict[str, frozenset[str]] = {}
    duplicate_reports = False
    for index, policy in enumerate(policies):
        if len(policy) < _SHORTEST_POLICY:
            raise CspError(f"a policy of {len(policy)} characters is too short to hold a directive")
        directives, duplicates = _parse_policy(policy)
        duplicate_reports = duplicate_reports or duplicates
        for directive, sources in directives.items():
            if index == 0:
                merged[directive] = sources
            else:
                merged[directive] = (merged.get(directive, frozenset()) & sources) or _NONE
    return Csp(merged, duplicate_reports)
