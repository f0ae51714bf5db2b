"""Benchmark of the redactor at scale: a 1,000-target profile full of secrets, and long excerpts.

Prints the time to load a generated profile of N http targets (each with a URL password, a
URL-encoded query token and a bearer token: about 7 masked forms per target), the first redaction
(which compiles the pattern of every form), a later one, and redactions of letter runs with a URL
in them (a base64 or minified body excerpt), which must grow linearly with their length.

    .venv/bin/python bench/redaction.py              # 1,000 targets
    .venv/bin/python bench/redaction.py --targets 5000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from opsgate.profile import load_profile
from opsgate.redact import Redactor


def timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def profile_text(targets: int) -> str:
    lines = ["name: bench", "http:"]
    lines += [f'  - {{name: t{i}, url: "http://u:pw-{i:05d}@127.0.0.1:{1000 + i}/?token=tk%2B{i:05d}", '
              f'bearer_token: "bt-{i:06d}-abc"}}' for i in range(targets)]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.yaml"
        path.write_text(profile_text(args.targets))
        started = time.perf_counter()
        _, redactor = load_profile(path, environ={})
        print(f"load {args.targets} targets ({path.stat().st_size // 1024} KiB): "
              f"{time.perf_counter() - started:.2f}s")
    excerpt = "x" * 2000 + " bt-000001-abc"
    print(f"first redact (compiles the pattern): {timed(lambda: redactor.redact(excerpt)) * 1000:.0f}ms")
    print(f"later redact of 2 KB: {timed(lambda: redactor.redact(excerpt)) * 1000:.2f}ms")
    plain = Redactor()
    for size in (32 * 1024, 1024 * 1024):
        text = "a" * size + " http://u:pw@host/"
        print(f"letters + URL, {size // 1024} KiB: {timed(lambda t=text: plain.redact(t)) * 1000:.1f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
