"""Durations, sizes, numbers and thresholds as profiles write them."""

from __future__ import annotations

import pytest

from opsgate.units import (
    Threshold,
    format_duration,
    format_size,
    parse_duration,
    parse_number,
    parse_size,
)


@pytest.mark.parametrize(("text", "seconds"), [
    ("250ms", 0.25), ("10s", 10), ("2m", 120), ("36h", 129600), ("7d", 604800), ("1w", 604800),
    ("1.5s", 1.5), (3, 3), (0.5, 0.5), ("500us", 0.0005), ("10", 10),
])
def test_durations(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(("text", "message"), [
    ("10sec", "unknown duration unit 'sec'"), ("soon", "expected a duration such as '500ms'"),
    (True, "expected a duration"), ([1], "expected a duration"),
])
def test_bad_durations(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(("text", "size"), [
    ("500MB", 500e6), ("2GiB", 2 * 1024**3), ("512kb", 512000), (1024, 1024), ("1.5KiB", 1536),
])
def test_sizes(text: str | int, size: float) -> None:
    assert parse_size(text) == size


def test_numbers_accept_percentages() -> None:
    assert parse_number("80%") == pytest.approx(0.8)
    assert parse_number("0.95") == 0.95
    with pytest.raises(ValueError, match="expected a number"):
        parse_number("lots")


def test_threshold_ceiling_and_floor() -> None:
    ceiling = Threshold(warn=0.8, crit=0.95)
    assert [ceiling.breach(v) for v in (0.5, 0.8, 0.81, 0.96)] == [None, None, "warn", "crit"]
    floor = Threshold(warn=0.8, crit=0.4)
    assert [floor.breach(v, floor=True) for v in (0.9, 0.7, 0.3)] == [None, "warn", "crit"]
    assert Threshold(crit=1).breach(2) == "crit" and Threshold(warn=1).breach(2) == "warn"


def test_formats() -> None:
    assert [format_duration(s) for s in (0.42, 3.2, 300, 36 * 3600, 12 * 86400)] == [
        "420ms", "3.2s", "5m", "36h", "12d"]
    assert format_size(500 * 1024**2) == "500MiB"
