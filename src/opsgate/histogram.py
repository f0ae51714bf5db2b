"""A small self-contained SVG histogram of latencies, with percentile and threshold markers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 40
MARKER_COLOURS = {"p50": "#2b8a3e", "p90": "#1864ab", "p95": "#e67700", "p99": "#c92a2a",
                  "p999": "#862e9c"}


def bin_counts(values: Sequence[float], bins: int, low: float, high: float) -> list[int]:
    """How many values fall into each of `bins` equal-width bins over [low, high] (high inclusive)."""
    counts = [0] * bins
    width = (high - low) / bins if high > low else 1.0
    for value in values:
        index = min(bins - 1, max(0, int((value - low) / width)))
        counts[index] += 1
    return counts


def svg_histogram(
    values: Sequence[float], *, title: str, markers: dict[str, float] | None = None,
    limits: dict[str, float] | None = None, bins: int = 40,
) -> str:
    """An SVG document: bars of `values` (seconds), dashed lines at `markers` (e.g. p95) and solid
    red lines at `limits` (e.g. the crit threshold), axes in milliseconds."""
    markers, limits = markers or {}, limits or {}
    if not values:
        return _document(title, [_text(WIDTH / 2, HEIGHT / 2, "no samples", anchor="middle")])
    high = max([*values, *markers.values(), *limits.values()]) * 1.05 or 1e-3
    counts = bin_counts(values, bins, 0.0, high)
    parts = _bars(counts) + _axes(high, max(counts))
    parts += [_vline(x, name, MARKER_COLOURS.get(name, "#495057"), high, dashed=True, row=i)
              for i, (name, x) in enumerate(sorted(markers.items(), key=lambda kv: kv[1]))]
    parts += [_vline(x, name, "#e03131", high, dashed=False, row=len(markers) + i)
              for i, (name, x) in enumerate(limits.items())]
    return _document(title, parts)


_CHAR_WIDTH = 6.2  # a 10px sans-serif character, generously: labels are placed by this estimate


def _plot_x(value: float, high: float) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * value / high


def _bars(counts: list[int]) -> list[str]:
    tallest = max(counts) or 1
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    width = inner_w / len(counts)
    bars = []
    for i, count in enumerate(counts):
        if count:
            h = inner_h * count / tallest
            bars.append(f'<rect x="{LEFT + i * width:.1f}" y="{TOP + inner_h - h:.1f}" '
                        f'width="{max(width - 1, 1):.1f}" height="{h:.1f}" fill="#74c0fc">'
                        f"<title>{count}</title></rect>")
    return bars


def _axes(high: float, tallest: int) -> list[str]:
    base = HEIGHT - BOTTOM
    parts = [f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#333"/>',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="#333"/>',
             _text(LEFT - 6, TOP + 4, str(tallest), anchor="end"),
             _text(LEFT - 6, base, "0", anchor="end"),
             _text(WIDTH / 2, HEIGHT - 6, "latency (ms)", anchor="middle")]
    step = _nice_step(high * 1000 / 6)
    tick = 0.0
    while tick <= high * 1000:
        x = _plot_x(tick / 1000, high)
        parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}" stroke="#333"/>')
        parts.append(_text(x, base + 16, f"{tick:g}", anchor="middle"))
        tick += step
    return parts


def _nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _vline(value: float, name: str, colour: str, high: float, *, dashed: bool, row: int) -> str:
    x = _plot_x(value, high)
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    label = f"{name} {value * 1000:.4g}ms"
    # A label that would run past the right edge is cut by the viewer: put it left of its line.
    fits_right = x + 3 + len(label) * _CHAR_WIDTH <= WIDTH
    return (f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="{colour}" '
            f'stroke-width="1.5"{dash}/>'
            + _text(x + 3 if fits_right else x - 3, TOP + 10 + 11 * (row % 6), label,
                    anchor="start" if fits_right else "end", colour=colour))


def _text(x: float, y: float, text: str, *, anchor: str = "start", colour: str = "#333") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" font-family="sans-serif" '
            f'text-anchor="{anchor}" fill="{colour}">{escape(text)}</text>')


def _document(title: str, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}"><title>{escape(title)}</title>'
            f'<rect width="100%" height="100%" fill="white"/>'
            + _text(LEFT, 16, title) + "".join(parts) + "</svg>")
