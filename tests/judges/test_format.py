"""The shared formatting of judged values: percentages keep small limits visible, big counts group."""

from __future__ import annotations

import pytest

from opsgate.judges._format import format_count, format_percent


@pytest.mark.parametrize(("ratio", "shown"), [
    (0.953, "95.3%"), (0.8, "80%"), (0.0625, "6.25%"), (0.0001, "0.01%"),
    (0.995, "99.5%"),  # below 100 % three significant digits, even where rounding would give 100
    (1.0, "100%"), (1.0149, "101%"), (12.5, "1250%"),  # from 100 % on, whole percents, never 1.25e+03
])
def test_format_percent(ratio: float, shown: str) -> None:
    assert format_percent(ratio) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (0, "0"), (200, "200"), (5000, "5000"), (99_999, "99999"), (99_999.4, "99999"),
    (100_000, "100_000"), (200_000, "200_000"), (1_234_567.8, "1_234_568"), (-250_000, "-250_000"),
])
def test_format_count_groups_from_six_digits_on(value: float, shown: str) -> None:
    assert format_count(value) == shown
