"""Dotted JSON paths, including the seed runbook's `endpoints./comps.p95_response_time_ms`."""

from __future__ import annotations

import pytest

from opsgate.jsonpath import PathMissing, lookup, parse_path

DOCUMENT = {"endpoints": {"/comps": {"p95_response_time_ms": 420}},
            "items": [{"id": 7}, {"id": 9}], "a.b": {"c": True}}


@pytest.mark.parametrize(("path", "value"), [
    ("endpoints./comps.p95_response_time_ms", 420), ("items[1].id", 9), ("items[-1].id", 9),
    ('"a.b".c', True), ("items", [{"id": 7}, {"id": 9}]),
])
def test_lookup(path: str, value: object) -> None:
    assert lookup(DOCUMENT, path) == value


@pytest.mark.parametrize(("path", "message"), [
    ("endpoints./search.p95", r"endpoints\./search does not exist \(endpoints is a dict\)"),
    ("items[5].id", r"items\[5\] does not exist \(items is a list\)"),
    ("items.id", r"items\.id does not exist"),
])
def test_missing_paths_say_where_they_stopped(path: str, message: str) -> None:
    with pytest.raises(PathMissing, match=message):
        lookup(DOCUMENT, path)


def test_parse_errors() -> None:
    assert parse_path("a[0].b") == ["a", 0, "b"]
    with pytest.raises(ValueError, match="empty JSON path"):
        parse_path("")
