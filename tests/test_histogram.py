"""The SVG latency histogram: valid XML, bars that add up, markers and limits drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from opsgate.histogram import bin_counts, svg_histogram

SVG = "{http://www.w3.org/2000/svg}"


def test_bins_count_every_value_once() -> None:
    values = [0.0, 0.01, 0.02, 0.05, 0.1, 0.1]
    counts = bin_counts(values, 10, 0.0, 0.1)
    assert sum(counts) == len(values)
    assert counts[0] == 1 and counts[-1] == 2


def test_svg_has_a_bar_per_filled_bin_and_labelled_lines() -> None:
    values = [0.02] * 90 + [0.2] * 10
    svg = svg_histogram(values, title="latency api <x>", markers={"p50": 0.02, "p95": 0.2},
                        limits={"p95 crit": 0.1})
    root = ET.fromstring(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert sorted(int(r.find(f"{SVG}title").text) for r in bars) == [10, 90]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "p95 crit 100ms" in texts and "p50 20ms" in texts
    assert root.find(f"{SVG}title").text == "latency api <x>"


def test_svg_without_samples_says_so() -> None:
    root = ET.fromstring(svg_histogram([], title="empty"))
    assert "no samples" in [t.text for t in root.iter(f"{SVG}text")]


def test_line_labels_are_neither_cut_nor_overlapping_in_a_browser(tmp_path: Path) -> None:
    """Read by Chromium: a crit line at the right edge used to show 'p95 crit 3' for 300ms."""
    from tests.browser import CHROMIUM, Chromium

    if CHROMIUM is None:
        pytest.skip("chromium is not installed (see .ci/run)")
    values = [0.1 + 0.2 * i / 99 for i in range(100)]
    svg = svg_histogram(values, title="latency api", markers={"p50": 0.2, "p95": 0.29},
                        limits={"p95 warn": 0.25, "p95 crit": 0.3})
    page = tmp_path / "histogram.svg"
    page.write_text(svg)
    with Chromium() as browser:
        browser.open(page.as_uri())
        boxes = browser.evaluate("""[...document.querySelectorAll('text')]
            .filter(t => /ms$/.test(t.textContent))
            .map(t => { const b = t.getBBox();
                        return {text: t.textContent, x: b.x, y: b.y, w: b.width, h: b.height}; })""")
    assert {box["text"] for box in boxes} == {"p50 200ms", "p95 290ms", "p95 warn 250ms", "p95 crit 300ms"}
    for box in boxes:
        assert box["x"] >= 0 and box["x"] + box["w"] <= 640, f"{box['text']} is cut: {box}"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
                     or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"])
            assert apart, f"{a['text']} overlaps {b['text']}"
