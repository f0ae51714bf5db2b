"""Benchmark of issue 15: start-up against plain pytest, a cost that stays linear, memory, allure files.

Every figure beside its goal, each with its baseline measured in the same run (this machine is
noisy: ratios hold, absolute times do not). All reports are on (junit, allure, summaries, HTML,
history), the target answers at once.

    .venv/bin/python bench/scale.py                 # 1k, 2k, 5k checks, 3 runs each
    .venv/bin/python bench/scale.py --sizes 1000 2000 5000 10000 --runs 5

Goals: a 1-check run <= 1.3x a pytest run of one trivial test with the same plugins and reports
(`-p no:opsgate --junitxml --alluredir`); wall(5,000) / wall(1,000) <= 4.6; peak RSS <= 160 MiB at
5,000 checks. It also reports the slope between sizes and the allure result files written per check.
Exits non-zero on a miss.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from smoke_gate import MISSED, Runner, report, write_profile

from opsgate.demo import DemoProcess

TRIVIAL = "def test_trivial():\n    assert True\n"


def trivial_baseline(runner: Runner, runs: int) -> float:
    """Median wall of pytest running one trivial test with junit and allure on, opsgate off."""
    test = runner.workdir / "test_trivial.py"
    test.write_text(TRIVIAL)
    walls = []
    for index in range(runs):
        out = runner.workdir / f"trivial-{index}"
        command = ["-p", "no:opsgate", f"--junitxml={out}/junit.xml", f"--alluredir={out}/allure",
                   str(test)]
        walls.append(runner.run_command(command).wall)
    return statistics.median(walls)


def allure_files(directory: Path) -> int:
    return sum(1 for path in directory.rglob("*") if path.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000])
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="opsgate-scale-"))
    runner = Runner(workdir)
    with DemoProcess(port=0, https_port=0) as demo:
        print(f"opsgate scale benchmark: median of {args.runs} runs, every report on")
        print("1. start-up")
        baseline = trivial_baseline(runner, args.runs)
        one = runner.repeat(args.runs, write_profile(workdir, "one", demo.http_url, 1, "/status/200"))
        report("pytest, one trivial test, junit + allure (baseline)", baseline, "s", "", True)
        report("opsgate, one check", one.median, "s", "", one.all_passed, one.spread)
        report("ratio one check / baseline", one.median / baseline, "x", "<= 1.3",
               one.median / baseline <= 1.3)

        print("2. cost per check")
        walls: dict[int, float] = {}
        for size in args.sizes:
            runs = runner.repeat(args.runs, write_profile(workdir, f"n{size}", demo.http_url, size,
                                                          "/status/200"))
            walls[size] = runs.median
            report(f"{size:,} checks wall", runs.median, "s", "", runs.all_passed, runs.spread)
            report(f"{size:,} checks peak RSS", runs.peak_rss_mb, "MiB",
                   "<= 160" if size == 5000 else "", size != 5000 or runs.peak_rss_mb <= 160)
            if size == 1000:
                files = allure_files(runner.last_reports / "allure-results") / size
                report("allure result files per check", files, "", "", True)
        sizes = sorted(walls)
        for small, large in zip(sizes, sizes[1:], strict=False):
            slope = (walls[large] - walls[small]) / (large - small) * 1000
            report(f"slope {small:,} -> {large:,} checks", slope, "ms", "per check", True)
        if 1000 in walls and 5000 in walls:
            ratio = walls[5000] / walls[1000]
            report("wall(5,000) / wall(1,000)", ratio, "x", "<= 4.6", ratio <= 4.6)
    shutil.rmtree(workdir, ignore_errors=True)
    if MISSED:
        print(f"missed: {', '.join(MISSED)}")
    return 1 if MISSED else 0


if __name__ == "__main__":
    sys.exit(main())
