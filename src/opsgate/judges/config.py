"""Rules for settings: required keys present and not empty, an env file covering its example, value shapes.

No message ever quotes a value: a finding names the key and the shape it lacks.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from opsgate.probes.config import ConfigFacts
    from opsgate.targets.config import ConfigTarget, Shape
    from opsgate.verdict import Verdict

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BOOLEANS = {"true", "false", "1", "0", "yes", "no", "on", "off"}


def judge_config(target: ConfigTarget, facts: ConfigFacts, verdict: Verdict) -> None:
    """Add a finding for every missing, empty or wrongly shaped setting, and for keys the example has."""
    verdict.evidence("settings (names only)", facts.evidence())
    absent = [key for key in target.required if key not in facts.keys or key in (facts.missing_paths or {})]
    if absent:
        verdict.fail(f"{', '.join(absent)} missing from {facts.source}: set {_them(absent)} where the "
                     "service gets its configuration (values are never printed)")
    empty = [key for key in target.required if key in facts.empty and key not in absent]
    if empty:
        verdict.fail(f"{', '.join(empty)} set but empty in {facts.source}: the service would start "
                     f"without {_them(empty)}; fill in the value")
    if facts.example_keys is not None:
        _judge_example(target, facts, verdict)
    for key, shape in target.shapes.items():
        value = (facts.values or {}).get(key)
        if value is None:
            if key not in absent:
                verdict.fail(f"{key} missing from {facts.source}: its shape ({shape.type}) cannot be checked")
            continue
        problem = shape_problem(shape, value.value)
        if problem:
            verdict.fail(f"{key} in {facts.source} {problem} (value not shown)")


def _judge_example(target: ConfigTarget, facts: ConfigFacts, verdict: Verdict) -> None:
    assert facts.example_keys is not None
    missing = sorted(facts.example_keys - facts.keys)
    extra = sorted(facts.keys - facts.example_keys)
    verdict.note("keys not in the example", len(extra), ", ".join(extra) or "none")
    if missing:
        verdict.fail(f"{facts.source} lacks {len(missing)} key(s) of {target.example}: {', '.join(missing)}; "
                     "add them (the release expects them) with their values for this environment")
    if extra:
        verdict.evidence("keys not in the example", "\n".join(extra))


def shape_problem(shape: Shape, value: Any) -> str | None:
    """What is wrong with a value's shape, in words that never include the value; None when it fits."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if shape.type == "nonempty" or not text.strip():
        problem = None if text.strip() else "is empty"
    elif shape.type == "url":
        problem = _url_problem(shape, text)
    elif shape.type in ("integer", "number"):
        problem = _number_problem(shape, value)
    elif shape.type == "boolean":
        problem = None if isinstance(value, bool) or text.lower() in _BOOLEANS else "is not a boolean"
    else:
        problem = None if _EMAIL.match(text) else "is not an email address"
    if problem is None and shape.matches is not None and not re.search(shape.matches, text):
        problem = f"does not match /{shape.matches}/"
    return problem


def _url_problem(shape: Shape, text: str) -> str | None:
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return "is not a URL"
    if not parts.scheme or not (parts.netloc or parts.path):
        return "is not a URL (expected scheme://host/...)"
    if shape.schemes and parts.scheme not in shape.schemes:
        return f"is a {parts.scheme}:// URL, expected {' or '.join(s + '://' for s in shape.schemes)}"
    return None


def _number_problem(shape: Shape, value: Any) -> str | None:
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or (shape.type == "integer" and not number.is_integer()):
        return f"is not {'an integer' if shape.type == 'integer' else 'a number'}"
    low = shape.min if shape.min is not None else float("-inf")
    high = shape.max if shape.max is not None else float("inf")
    if not low <= number <= high:
        return f"is outside {_bound(shape.min)}..{_bound(shape.max)}"
    return None


def _bound(limit: float | None) -> str:
    return "" if limit is None else f"{limit:g}"


def _them(keys: list[str]) -> str:
    return "it" if len(keys) == 1 else "them"
