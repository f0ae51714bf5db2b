"""Figures of issue 10's deadline model and issue 11's signal handling, measured with real
subprocesses and servers on loopback (docs/guarantees.md quotes them).

1. A latency target trickling its body (Content-Length 100000, one byte per 0.2 s for 40 s;
   `samples: 2, timeout: 1s, max_duration: 2s`): seconds from the start of `pytest` to its exit,
   with and without xdist, next to the same command's start-up cost (`--collect-only`).
2. A run holding a check on a stalled target, interrupted by SIGTERM or SIGINT: seconds from the
   signal to the exit, with and without `-n 2`, and the exit status.

    .venv/bin/python bench/deadlines.py            # 3 runs of each
    .venv/bin/python bench/deadlines.py --runs 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.probes.test_http import serving  # noqa: E402 - the tests' servers, as in the tests
from tests.servers_http import Trickle, recorder, stall  # noqa: E402


def project(directory: Path, profile: str) -> Path:
    """`directory` made a project of the repo's checks and `profile`."""
    shutil.copytree(REPO / "checks", directory / "checks")
    (directory / "pytest.ini").write_text("[pytest]\ntestpaths = checks\n")
    (directory / "profile.yaml").write_text(profile)
    return directory


def pytest_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "--profile=profile.yaml", "-p", "no:cacheprovider",
            "-q", *args]


def timed_run(directory: Path, *args: str) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run(pytest_command(*args), cwd=directory, capture_output=True, timeout=120)
    return time.monotonic() - started, done.returncode


def trickle(runs: int) -> None:
    with serving(Trickle) as port, tempfile.TemporaryDirectory(prefix="opsgate-bench-") as scratch:
        directory = project(Path(scratch), f"""name: trickle
latency:
  - {{name: trickle, url: "http://127.0.0.1:{port}/", samples: 2, timeout: 1s,
      max_duration: 2s, p50: 1s}}
""")
        for label, args in (("start-up only (--collect-only)", ("--collect-only",)),
                            ("without xdist", ()), ("-n 1", ("-n", "1"))):
            walls = [timed_run(directory, *args) for _ in range(runs)]
            print(f"trickling target, {label:32}: median {statistics.median(w for w, _ in walls):5.2f}s "
                  f"(exit {walls[0][1]}; the server would trickle for 40 s)")


def interrupted(runs: int) -> None:
    hits: list[str] = []
    with serving(recorder([])) as quick, serving(stall(hits)) as stalled, \
            tempfile.TemporaryDirectory(prefix="opsgate-bench-") as scratch:
        directory = project(Path(scratch), f"""name: sig
http:
  - {{name: quick, url: "http://127.0.0.1:{quick}/", expect: {{status: 204}}}}
  - {{name: stalled, url: "http://127.0.0.1:{stalled}/", timeout: 25s}}
""")
        for signum in (signal.SIGTERM, signal.SIGINT):
            for label, args in (("without xdist", ()), ("-n 2", ("-n", "2"))):
                exits = []
                for _ in range(runs):
                    hits.clear()
                    run = subprocess.Popen(pytest_command(*args), cwd=directory,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                           env={**os.environ, "PYTHONUNBUFFERED": "1"})
                    while not hits:
                        time.sleep(0.05)
                    time.sleep(0.5)
                    sent = time.monotonic()
                    run.send_signal(signum)
                    run.wait(timeout=60)
                    exits.append((time.monotonic() - sent, run.returncode))
                print(f"{signum.name} {label:14}: exit {statistics.median(e for e, _ in exits):5.2f}s "
                      f"after the signal (median), status {exits[0][1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    trickle(runs)
    interrupted(runs)


if __name__ == "__main__":
    main()
