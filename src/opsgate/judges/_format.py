"""Formatting helpers the data-store judges share."""

from __future__ import annotations


def format_percent(ratio: float) -> str:
    """`0.953` -> `95.3%`."""
    return f"{ratio * 100:.1f}%"


def format_count(value: float) -> str:
    """A count as an integer: `200`, never `2e+02`."""
    return f"{value:,.0f}".replace(",", "_") if abs(value) >= 100_000 else f"{value:.0f}"
