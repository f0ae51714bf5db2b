"""Benchmark of the logs probe: counting the last hour of a log costs the hour, not the file.

Writes nginx combined access logs of several sizes at one traffic rate (a line every 0.4 s, so
every file's last hour holds the same 9,000 lines and bigger files reach further back), then
times the `logs` probe counting 5xx lines in the last hour of each, against a plain full read
(`grep -c` of the whole file) of the same file. Figures: median of N runs.

    .venv/bin/python bench/logs_window.py                 # 50, 200 and 800 MB
    .venv/bin/python bench/logs_window.py --sizes 100 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from opsgate.probes.log import probe
from opsgate.targets.log import LogsTarget

STEP = 0.4  # seconds between lines: 9,000 lines an hour


def write_log(path: Path, megabytes: int) -> int:
    """An access log of about `megabytes` MB, a line every STEP seconds up to now; returns its line count."""
    line = '203.0.113.7 - - [{}] "GET /api/pins?page=2 HTTP/1.1" {} 512 "-" "Mozilla/5.0 (X11; Linux)"\n'
    count = megabytes * 1_000_000 // (len(line) + 20)
    start, step = time.time() - count * STEP, STEP
    with path.open("w") as out:
        for i in range(count):
            stamp = datetime.fromtimestamp(start + i * step, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
            out.write(line.format(stamp, 500 if i % 97 == 0 else 200))
    return count


def timed(action: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 800], help="file sizes in MB")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'size':>8}  {'lines':>10}  {'probe, last 1h':>15}  {'matches':>8}  {'grep -c, whole file':>20}")
    with tempfile.TemporaryDirectory(prefix="opsgate-bench-logs-") as directory:
        for megabytes in args.sizes:
            path = Path(directory) / f"access-{megabytes}.log"
            lines = write_log(path, megabytes)
            target = LogsTarget(name="bench", file=str(path), pattern='" 5\\d\\d ', window=3600.0,
                                max_bytes=2 * 1024**3)
            facts = probe(target, 600.0)
            grep = ["grep", "-c", '" 5[0-9][0-9] ', str(path)]
            probe_time = timed(lambda t=target: probe(t, 600.0), args.runs)
            grep_time = timed(lambda g=grep: subprocess.run(g, capture_output=True, check=False), args.runs)
            size = path.stat().st_size / 1e6
            print(f"{size:>6.0f}MB  {lines:>10}  {probe_time * 1000:>13.0f}ms  {len(facts.matches):>8}  "
                  f"{grep_time * 1000:>18.0f}ms")
            path.unlink()


if __name__ == "__main__":
    main()
