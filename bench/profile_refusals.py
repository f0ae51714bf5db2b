"""Benchmark of issue 11: every refused profile is refused in under a second, whatever it holds.

For each profile of `tests/profiles/invalid/` and a file past the size cap, prints the loader's
time to refuse it (median of in-process runs) and the wall time and peak memory of the whole
`pytest --profile FILE` command (one subprocess run each: start-up included), with its exit code.

    .venv/bin/python bench/profile_refusals.py             # 5 in-process runs per profile
    .venv/bin/python bench/profile_refusals.py --runs 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from opsgate.profile import MAX_PROFILE_BYTES, ProfileError, load_profile

REPO = Path(__file__).resolve().parent.parent
INVALID = REPO / "tests" / "profiles" / "invalid"


def load_seconds(path: Path, runs: int) -> float:
    """Median seconds for the loader to refuse `path`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        try:
            load_profile(path, environ={})
        except ProfileError:
            pass
        else:
            raise SystemExit(f"{path} loaded: it is not a bad profile")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def command_run(path: Path, workdir: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of `pytest --profile path` in a subprocess."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", f"--profile={path}", "-p", "no:cacheprovider", "-q"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, peak memory included
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="in-process runs per profile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        oversized = workdir / "oversized.yaml"
        oversized.write_text("name: oversized\n" + "#" * MAX_PROFILE_BYTES + "\n")
        paths = [*sorted(INVALID.glob("*.yaml")), oversized]
        print(f"{'profile':<22} {'loader (median)':>16} {'pytest wall':>12} {'peak RSS':>9} exit")
        loaders, walls = [], []
        for path in paths:
            loaders.append(load_seconds(path, args.runs))
            wall, rss, code = command_run(path, workdir)
            walls.append(wall)
            print(f"{path.stem:<22} {loaders[-1] * 1000:>14.1f}ms {wall:>11.2f}s {rss:>7.0f}MB {code:>4}")
        print(f"slowest loader: {max(loaders) * 1000:.1f}ms; slowest command: {max(walls):.2f}s, "
              f"median {statistics.median(walls):.2f}s (the rest of a command is pytest's start-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
