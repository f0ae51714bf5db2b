"""Formatting helpers the data-store judges share."""

from __future__ import annotations


def format_percent(ratio: float) -> str:
    """A share as a percentage to three significant digits, so tiny limits stay visible:
    `0.953` -> `95.3%`, `0.8` -> `80%`, `0.0625` -> `6.25%`, `0.0001` -> `0.01%`, `12.5` -> `1250%`."""
    percent = ratio * 100
    return (f"{percent:.0f}" if abs(percent) >= 100 else f"{percent:.3g}") + "%"


def format_count(value: float) -> str:
    """A count as an integer: `200`, never `2e+02`."""
    return f"{value:,.0f}".replace(",", "_") if abs(value) >= 100_000 else f"{value:.0f}"
