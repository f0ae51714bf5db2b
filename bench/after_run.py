"""What the life after a run costs: the end-of-run outputs for N checks.

Runs the demo profile once to get a real summary.json and its evidence, replicates its checks to
N (distinct target names), then times each output the plugin writes after the last check:
summary.json + summary.md + summary.html, the history record, the metrics textfile. Medians of
several repetitions, per output.

    .venv/bin/python bench/after_run.py                 # N = 100 and 1000, 5 repetitions
    .venv/bin/python bench/after_run.py --checks 5000 --runs 3
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def real_run(directory: Path) -> dict[str, Any]:
    """The local-broken demo profile's summary.json (every kind of finding, evidence included)."""
    import json

    env = {**os.environ, "OPSGATE_BROKEN_DEMO_PORT": str(random.randint(20000, 24999)),
           "OPSGATE_BROKEN_DEMO_HTTPS_PORT": str(random.randint(25000, 29999))}
    subprocess.run([sys.executable, "-m", "pytest", "--profile=local-broken", "-p", "no:cacheprovider",
                    "-q", f"--reports-dir={directory}", "--history=off"], cwd=REPO, env=env,
                   capture_output=True, check=False)
    return json.loads((directory / "summary.json").read_text())


def replicated(data: dict[str, Any], count: int) -> dict[str, Any]:
    grown = copy.deepcopy(data)
    base = data["checks"]
    grown["checks"] = []
    for i in range(count):
        check = copy.deepcopy(base[i % len(base)])
        check["target"] = f"{check['target']}-{i}"
        check["id"] = f"{check['id'].split('[')[0]}[{check['target']}]"
        grown["checks"].append(check)
    return grown


def timed(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(doc: dict[str, Any], directory: Path, runs: int) -> dict[str, float]:
    """Median seconds of each end-of-run output for one summary document."""
    import json

    from opsgate.history import record
    from opsgate.html import render
    from opsgate.metrics_export import write_textfile

    history = directory / f"history-{len(doc['checks'])}.sqlite"
    return {
        "summary.json": timed(lambda: (directory / "s.json").write_text(json.dumps(doc, indent=2)), runs),
        "summary.html": timed(lambda: (directory / "s.html").write_text(render(doc, {})), runs),
        "history.sqlite": timed(lambda: record(history, doc), runs),
        "metrics textfile": timed(lambda: write_textfile(str(directory / "m.prom"), doc, time.time()), runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        data = real_run(directory / "source")
        print(f"source: {len(data['checks'])} checks of the local-broken demo profile")
        for count in args.checks:
            figures = measure(replicated(data, count), directory, args.runs)
            size = (directory / "s.html").stat().st_size
            print(f"{count} checks: " + ", ".join(f"{name} {seconds * 1000:.0f} ms"
                                                 for name, seconds in figures.items())
                  + f" (median of {args.runs}; summary.html {size / 1024:.0f} KiB)")

if __name__ == "__main__":
    main()
