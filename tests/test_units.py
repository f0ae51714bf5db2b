"""Durations, sizes, numbers and thresholds as profiles write them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from opsgate.units import (
    Threshold,
    format_duration,
    format_size,
    parse_duration,
    parse_duration_limit,
    parse_number,
    parse_ratio,
    parse_size,
    parse_timeout,
    threshold_reader,
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


@pytest.mark.parametrize(("parse", "value", "message"), [
    (parse_duration, float("nan"), "expected a finite duration, got nan"),
    (parse_duration, -1, "a duration cannot be negative, got -1"),
    (parse_duration, "1" * 400 + "d", "expected a finite duration"),
    (parse_size, float("inf"), "expected a finite size, got inf"),
    (parse_size, -1, "a size cannot be negative, got -1"),
    (parse_number, "nan", "expected a finite number, got 'nan'"),
    (parse_number, float("-inf"), "expected a finite number, got -inf"),
])
def test_no_value_is_nan_infinite_or_a_negative_amount(
    parse: Callable[[Any], float], value: object, message: str,
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(value)


def test_numbers_may_be_negative() -> None:
    assert parse_number(-5) == -5.0 and parse_number("-12.5%") == pytest.approx(-0.125)


@pytest.mark.parametrize("value", [0, -5, "0s", "1000000d", 86401])
def test_a_timeout_is_more_than_zero_and_at_most_a_day(value: object) -> None:
    with pytest.raises(ValueError, match="a timeout must be more than 0 and at most 1d|cannot be negative"):
        parse_timeout(value)
    assert parse_timeout("1d") == 86400.0 and parse_timeout(0.5) == 0.5


@pytest.mark.parametrize(("value", "seconds"), [("100ms", 0.1), ("2s", 2.0), (0, 0.0), ("0", 0.0)])
def test_duration_limits_with_a_unit(value: object, seconds: float) -> None:
    assert parse_duration_limit(value) == seconds


@pytest.mark.parametrize("value", [100, 0.5, "100", " 2.5 "])
def test_a_bare_number_is_not_a_duration_limit(value: object) -> None:
    with pytest.raises(ValueError, match=r"a duration limit needs a unit: write '.*ms' or '.*s'"):
        parse_duration_limit(value)


def test_nan_is_never_green_on_a_ceiling_or_a_floor() -> None:
    nan = float("nan")
    assert Threshold(crit=500).breach(nan) == "crit"
    assert Threshold(warn=0.8).breach(nan, floor=True) == "crit"


@pytest.mark.parametrize(("floor", "limits", "accepted"), [
    (False, {"warn": 0.8, "crit": 0.95}, True), (False, {"warn": "95%", "crit": "80%"}, False),
    (True, {"warn": 20, "crit": 15}, True), (True, {"warn": 10, "crit": 20}, False),
    (False, {"warn": 1, "crit": 1}, True),
])
def test_warn_comes_before_crit(floor: bool, limits: dict[str, object], accepted: bool) -> None:
    read = threshold_reader(parse_number, floor=floor)
    if accepted:
        assert read(limits) == Threshold(warn=parse_number(limits["warn"]),
                                         crit=parse_number(limits["crit"]))
    else:
        with pytest.raises(ValueError, match=f"inverted for a {'floor' if floor else 'ceiling'}"):
            read(limits)


@pytest.mark.parametrize("value", [80, "95", -0.1, "120%"])
def test_a_ratio_is_between_zero_and_one(value: object) -> None:
    with pytest.raises(ValueError, match="a ratio is between 0 and 1: write 0.8 or '80%'"):
        parse_ratio(value)
    assert parse_ratio("80%") == pytest.approx(0.8) and parse_ratio(1) == 1.0
