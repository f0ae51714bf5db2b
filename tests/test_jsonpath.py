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


PODS = {"items": [
    {"metadata": {"name": "api-1"}, "status": {"phase": "Running", "ready": True}},
    {"metadata": {"name": "api-2"}, "status": {"phase": "Pending", "ready": False}},
    {"metadata": {"name": "worker-1"}, "status": {"phase": "Running"}},
]}


@pytest.mark.parametrize(("path", "value"), [
    ("len(items[?status.phase!='Running'])", 1),
    ("len(items[?status.phase=='Running'])", 2),
    ("len(items[?status.phase==Running])", 2),
    ("items[?status.phase!='Running'][0].metadata.name", "api-2"),
    ("len(items[?status.ready!=true])", 2),  # a missing `ready` is null, not true
    ("len(items[?status.ready==1])", 0),  # JSON: a boolean never equals a number
    ("len(items)", 3), ("len(items[0].metadata)", 1),
    ("len(items[?status.vulns!=[]])", 3),  # a missing list is null, not []
])
def test_filters_and_counts(path: str, value: object) -> None:
    assert lookup(PODS, path) == value


def test_filters_apply_to_lists_only_and_len_to_collections() -> None:
    with pytest.raises(PathMissing, match=r'items\[0\]\[\?phase=="x"\] does not exist \(items\[0\] is a'):
        lookup(PODS, "items[0][?phase=='x']")
    with pytest.raises(PathMissing, match=r"len\(items\[0\]\.status\.ready\): .* is a bool, not a list"):
        lookup(PODS, "len(items[0].status.ready)")
    with pytest.raises(ValueError, match="cannot read JSON path"):
        parse_path("items[?a.[==1]")
