"""Benchmark of issues 5 and 6 item 5: opsgate's latency sampler against `hey` on one target.

Starts a local target in its own process (this script with `--serve`: a threading HTTP/1.1 server
with keep-alive, Nagle off and a listen backlog of 128, answering every request after `--ms`
milliseconds), then alternates, several times: opsgate's sampler (`opsgate.probes.latency.probe`,
200 samples at concurrency 10) and `hey -n 200 -c 10` on the same URL. Prints the median over runs
of p50/p95/p99 for both (type-7 percentiles of hey's raw per-request times from `-o csv`, plus the
figures hey's own report prints), the ratios opsgate/hey, and opsgate's wall time against the ~2 s
target.

    .venv/bin/python bench/latency_vs_hey.py [--runs 5] [--samples 200] [--concurrency 10] [--ms 100]
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opsgate.probes.latency import probe
from opsgate.stats import percentile
from opsgate.targets.latency import LatencyTarget

LEVELS = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
HEY_LINE = re.compile(r"^\s*(50|95|99)%+ in ([0-9.]+) secs")


@dataclass
class Figures:
    percentiles: dict[str, float]  # seconds
    wall: float
    errors: int


def run_opsgate(url: str, samples: int, concurrency: int) -> Figures:
    """One sampling run of opsgate's latency probe."""
    target = LatencyTarget(name="bench", url=url, samples=samples, concurrency=concurrency,
                           max="60s")
    started = time.perf_counter()
    facts = probe(target, 120.0)
    wall = time.perf_counter() - started
    values = facts.latencies
    return Figures({k: percentile(values, p) for k, p in LEVELS.items()}, wall, len(facts.errors))


def run_hey(hey: str, url: str, samples: int, concurrency: int) -> tuple[Figures, dict[str, float]]:
    """One hey run: type-7 percentiles of its raw times, and the percentiles its report prints."""
    started = time.perf_counter()
    raw = subprocess.run([hey, "-n", str(samples), "-c", str(concurrency), "-o", "csv", url],
                         capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - started
    rows = list(csv.DictReader(io.StringIO(raw)))
    values = sorted(float(r["response-time"]) for r in rows)
    errors = sum(1 for r in rows if not r["status-code"].startswith("2"))
    report = subprocess.run([hey, "-n", str(samples), "-c", str(concurrency), url],
                            capture_output=True, text=True, check=True).stdout
    printed = {f"p{m.group(1)}": float(m.group(2))
               for line in report.splitlines() if (m := HEY_LINE.match(line))}
    return Figures({k: percentile(values, p) for k, p in LEVELS.items()}, wall, errors), printed


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    delay = 0.1
    body = b'{"ok": true}'

    def do_GET(self) -> None:
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops SYNs under 10 concurrent connects: 1 s stalls
    daemon_threads = True


def serve(ms: int) -> None:
    """The target: answer every GET after `ms` milliseconds; print its URL, serve until killed."""
    _Handler.delay = ms / 1000
    server = _Server(("127.0.0.1", 0), _Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()


def median(figures: list[dict[str, float]], key: str) -> float:
    return statistics.median(f[key] for f in figures if key in f)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--ms", type=int, default=100, help="the target's answer time")
    parser.add_argument("--serve", type=int, metavar="MS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    hey = shutil.which("hey")
    if hey is None:
        print("hey is not installed (Debian: apt-get install hey)", file=sys.stderr)
        return 2
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(args.ms)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        run_opsgate(url, 20, args.concurrency)  # warm the server's threads and our imports
        ours: list[Figures] = []
        theirs: list[Figures] = []
        printed: list[dict[str, float]] = []
        for _ in range(args.runs):
            ours.append(run_opsgate(url, args.samples, args.concurrency))
            figures, report = run_hey(hey, url, args.samples, args.concurrency)
            theirs.append(figures)
            printed.append(report)
    finally:
        server.terminate()
        server.wait()
    return 0 if report_table(args, url, ours, theirs, printed) else 1


def report_table(args: argparse.Namespace, url: str, ours: list[Figures], theirs: list[Figures],
                 printed: list[dict[str, float]]) -> bool:
    """Print the comparison; True when every percentile is within 3 % of hey's and the wall time
    within 10 % of the ideal (samples / concurrency x answer time)."""
    print(f"target: {url}  ({args.samples} requests at concurrency {args.concurrency}, "
          f"median of {args.runs} runs; percentiles type 7)")
    print(f"{'':6}{'opsgate':>10}{'hey (raw)':>12}{'hey (report)':>14}{'opsgate/hey':>13}")
    within = True
    for key in LEVELS:
        mine = median([f.percentiles for f in ours], key) * 1000
        other = median([f.percentiles for f in theirs], key) * 1000
        shown = median(printed, key) * 1000 if any(key in p for p in printed) else float("nan")
        print(f"{key:<6}{mine:>8.1f}ms{other:>10.1f}ms{shown:>12.1f}ms{mine / other:>13.3f}")
        within &= abs(mine / other - 1) <= 0.03
    wall = statistics.median(f.wall for f in ours)
    ideal = args.samples / args.concurrency * args.ms / 1000
    within &= wall <= ideal * 1.1
    print(f"opsgate wall: {wall:.2f}s (ideal {ideal:.2f}s, target about 2 s); hey wall "
          f"{statistics.median(f.wall for f in theirs):.2f}s; errors opsgate "
          f"{sum(f.errors for f in ours)}, hey {sum(f.errors for f in theirs)}")
    print("within targets" if within else "MISSED: a percentile is more than 3 % off hey's or the wall "
          "is over 110 % of the ideal")
    return within


if __name__ == "__main__":
    sys.exit(main())
