"""Benchmark of issue 15: the host checks of a 50-host fleet over ssh, concurrent against serial.

Starts N sshd instances on loopback ports (throwaway host and user keys, key auth only), writes an
ssh_config with one `Host node-I` entry each and a profile whose single `hosts:` template is expanded
over an inventory of those names, then runs `pytest --profile` in subprocesses: concurrently (the
default limits) and one probe at a time (`--opsgate-concurrency 1`), each several times, and prints
the medians beside the goals (≥ 10× faster than serial, under 10 s). Exits non-zero on a miss.

    .venv/bin/python bench/fleet_ssh.py                  # 50 hosts, 3 runs each
    .venv/bin/python bench/fleet_ssh.py --hosts 10 --runs 1
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SSHD = "/usr/sbin/sshd"
GOAL_SPEEDUP, GOAL_WALL = 10.0, 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def sshd_fleet(directory: Path, count: int) -> Iterator[list[int]]:
    """`count` sshd processes sharing one host key and one authorized user key; yields their ports."""
    for name in ("hostkey", "userkey"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(directory / name)],
                       check=True)
    keys = directory / "authorized_keys"
    keys.write_text((directory / "userkey.pub").read_text())
    keys.chmod(0o600)
    Path("/run/sshd").mkdir(exist_ok=True)
    ports = [free_port() for _ in range(count)]
    processes = []
    try:
        for index, port in enumerate(ports):
            config = directory / f"sshd_{index}.conf"
            config.write_text(
                f"Port {port}\nListenAddress 127.0.0.1\nHostKey {directory / 'hostkey'}\n"
                f"AuthorizedKeysFile {keys}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
                f"PidFile {directory / f'sshd_{index}.pid'}\nStrictModes no\nUsePAM no\nMaxStartups 100\n"
            )
            processes.append(subprocess.Popen([SSHD, "-D", "-f", str(config), "-E", str(directory / "log")]))
        _wait_listening(ports)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _wait_listening(ports: list[int]) -> None:
    deadline = time.monotonic() + 20
    waiting = set(ports)
    while waiting and time.monotonic() < deadline:
        for port in list(waiting):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    waiting.discard(port)
        time.sleep(0.05)
    if waiting:
        raise RuntimeError(f"{len(waiting)} sshd instances did not listen within 20 s")


def write_fleet(directory: Path, ports: list[int]) -> Path:
    """ssh_config with `node-I` entries, and a profile expanding one host template over them."""
    entries = "".join(
        f"Host node-{index}\n  HostName 127.0.0.1\n  Port {port}\n  User root\n"
        f"  IdentityFile {directory / 'userkey'}\n  StrictHostKeyChecking no\n"
        f"  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
        for index, port in enumerate(ports)
    )
    (directory / "ssh_config").write_text(entries)
    hosts = "\n".join(f"      - {{name: node-{i}, labels: {{port: {port}}}}}" for i, port in enumerate(ports))
    profile = directory / "fleet.yaml"
    profile.write_text(f"""\
name: fleet-bench
defaults: {{timeout: 10s}}
inventories:
  nodes:
    hosts:
{hosts}
hosts:
  - name: node
    for_each: nodes
    connection: ssh://{{{{host}}}}
    ssh_config: {directory / 'ssh_config'}
    processes: [sshd]
    listening: ["tcp://127.0.0.1:{{{{labels.port}}}}"]
    disk_used_max: {{"/": 0.99}}
    memory_available_min: 1%
    load_per_cpu_max: 50
    files: {{/etc/hostname: {{exists: true}}}}
""")
    return profile


def run(profile: Path, reports: Path, *extra: str) -> tuple[float, int]:
    shutil.rmtree(reports, ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", f"--profile={profile}", f"--reports-dir={reports}", "-q",
         "-p", "no:cacheprovider", *extra],
        cwd=REPO, capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-2000:], sep="\n")
    return wall, done.returncode


def spread(runs: list[tuple[float, int]]) -> str:
    walls = [wall for wall, _ in runs]
    return f"[{min(walls):.2f}-{max(walls):.2f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not Path(SSHD).exists():
        print("openssh-server is not installed (bash .ci/run installs it)")
        return 2
    with tempfile.TemporaryDirectory(prefix="opsgate-fleet-") as temp:
        directory = Path(temp)
        with sshd_fleet(directory, args.hosts) as ports:
            profile = write_fleet(directory, ports)
            concurrent, serial = [], []
            for _ in range(args.runs):  # interleaved, so drift of the machine hits both alike
                concurrent.append(run(profile, directory / "reports"))
                serial.append(run(profile, directory / "reports", "--opsgate-concurrency", "1"))
    failed = [code for _, code in concurrent + serial if code != 0]
    fast = statistics.median(wall for wall, _ in concurrent)
    slow = statistics.median(wall for wall, _ in serial)
    speedup = slow / fast
    print(f"{args.hosts} hosts x host checks over ssh, median of {args.runs} runs")
    print(f"  concurrent: {fast:.2f} s  {spread(concurrent)}  goal < {GOAL_WALL:g} s")
    print(f"  serial:     {slow:.2f} s  {spread(serial)}")
    print(f"  speed-up:   {speedup:.1f}x  goal >= {GOAL_SPEEDUP:g}x")
    if failed:
        print(f"  {len(failed)} run(s) did not pass: the figures do not count")
        return 1
    return 0 if speedup >= GOAL_SPEEDUP and fast < GOAL_WALL else 1


if __name__ == "__main__":
    sys.exit(main())
