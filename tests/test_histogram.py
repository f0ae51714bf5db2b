"""The SVG latency histogram: valid XML, bars that add up, markers and limits drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET

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
