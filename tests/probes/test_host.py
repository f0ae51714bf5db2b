"""The host probe against this machine through testinfra's local backend, and over ssh to a throwaway sshd."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from opsgate.errors import ProbeConfigError, Unreachable
from opsgate.probes.host import ProcessInfo, probe, process_matches
from opsgate.targets.host import HostTarget
from tests.conftest import free_port, on_ci, unavailable

SSHD = "/usr/sbin/sshd"
# On CI a missing sshd fails the ssh-backend tests instead of skipping them.
needs_sshd = pytest.mark.skipif(
    not on_ci() and (not Path(SSHD).exists() or shutil.which("ssh") is None
                   or shutil.which("ssh-keygen") is None),
    reason="openssh-server is not installed (apt-get install -y openssh-server): ssh backend untested",
)


class SshServer:
    """A throwaway sshd on a free loopback port accepting one ed25519 key for root (RECIPES.md)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.key = directory / "userkey"
        self.ssh_config = directory / "ssh_config"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def connection(self) -> str:
        return "ssh://probe1"

    def start(self) -> SshServer:
        for name in ("hostkey", "userkey"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.dir / name)],
                           check=True)
        keys = self.dir / "authorized_keys"
        keys.write_text((self.dir / "userkey.pub").read_text())
        keys.chmod(0o600)
        Path("/run/sshd").mkdir(exist_ok=True)
        (self.dir / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.dir / 'hostkey'}\n"
            f"AuthorizedKeysFile {keys}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
            f"PidFile {self.dir / 'pid'}\nStrictModes no\nUsePAM no\n"
        )
        self.ssh_config.write_text(
            f"Host probe1\n  HostName 127.0.0.1\n  Port {self.port}\n  User root\n"
            f"  IdentityFile {self.key}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
            "  LogLevel ERROR\n"
        )
        self._proc = subprocess.Popen([SSHD, "-D", "-f", str(self.dir / "sshd_config"),
                                       "-E", str(self.dir / "log")])
        self._wait_listening()
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"sshd exited: {(self.dir / 'log').read_text(errors='replace')}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("sshd did not listen within 10 s")

    def __enter__(self) -> SshServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    if not Path(SSHD).exists():
        unavailable("openssh-server is not installed (apt-get install -y openssh-server)")
    with SshServer(tmp_path_factory.mktemp("sshd")) as server:
        yield server


def host(**fields: Any) -> HostTarget:
    return HostTarget.model_validate({"name": "h", **fields})


def meminfo() -> dict[str, int]:
    rows = (line.split() for line in Path("/proc/meminfo").read_text().splitlines())
    return {row[0].rstrip(":"): int(row[1]) * 1024 for row in rows if len(row) >= 2}


def test_local_processes_are_found_by_program_name() -> None:
    facts = probe(host(processes=["redis-server", "postgres", "opsgate-no-such-daemon"]), 5.0)
    redis_pids = {p.pid for p in facts.processes["redis-server"]}
    ps = subprocess.run(["ps", "-C", "redis-server", "-o", "pid="], capture_output=True, text=True).stdout
    assert redis_pids == {int(pid) for pid in ps.split()} and redis_pids
    assert facts.processes["postgres"]
    assert facts.processes["opsgate-no-such-daemon"] == ()
    assert facts.hostname == socket.gethostname()


def test_local_listening_sockets_include_redis_and_postgres() -> None:
    facts = probe(host(listening=["tcp://127.0.0.1:6379"]), 5.0)
    assert facts.sockets is not None
    assert "tcp://127.0.0.1:6379" in facts.sockets and "tcp://127.0.0.1:5432" in facts.sockets


def test_disk_usage_of_root_matches_statvfs() -> None:
    facts = probe(host(disk_used_max={"/": 0.99}), 5.0)
    disk = facts.disks["/"]
    assert not isinstance(disk, str)
    stats = os.statvfs("/")
    used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    assert disk.mount == "/"
    assert abs(disk.used - used) < 0.01 * disk.size  # the disk moves a little between the two reads
    assert 0 < disk.used_ratio < 1


def test_missing_mount_point_is_recorded_not_raised() -> None:
    facts = probe(host(disk_used_max={"/opsgate/no/such/mount": 0.9}), 5.0)
    assert "No such file or directory" in str(facts.disks["/opsgate/no/such/mount"])


def test_memory_and_load_come_from_proc() -> None:
    facts = probe(host(memory_available_min="1%", load_per_cpu_max=100), 5.0)
    assert facts.memory_total == meminfo()["MemTotal"]
    assert facts.memory_available and 0 < facts.memory_available <= facts.memory_total
    assert facts.cpus == os.cpu_count()
    assert facts.load is not None and all(value >= 0 for value in facts.load)


def test_files_mode_owner_and_content(tmp_path: Path) -> None:
    config = tmp_path / "nginx.conf"
    config.write_text("worker_processes auto;\nserver_tokens off;\n")
    config.chmod(0o640)
    facts = probe(host(files={str(config): {"contains": ["server_tokens off;", "gzip on;"]},
                              str(tmp_path / "absent"): {"exists": False}}), 5.0)
    state = facts.files[str(config)]
    assert (state.exists, state.kind, state.mode, state.owner) == (True, "file", 0o640, "root")
    assert state.contains == {"server_tokens off;": True, "gzip on;": False}
    assert not facts.files[str(tmp_path / "absent")].exists


def test_services_report_the_init_systems_answer() -> None:
    facts = probe(host(services=["opsgate-no-such-service"], services_enabled=True), 5.0)
    state = facts.services["opsgate-no-such-service"]
    assert state.running is False
    assert facts.systemd_running == Path("/run/systemd/system").is_dir()
    assert facts.service_module.endswith("Service")


@pytest.mark.parametrize(("comm", "args", "name", "expected"), [
    ("redis-server", "redis-server 127.0.0.1:6379", "redis-server", True),
    ("postgres", "postgres: 15/main: checkpointer", "postgres", True),
    ("python3", "/usr/bin/python3 -m celery worker", "celery", False),
    ("gunicorn: maste", "gunicorn: master [app]", "gunicorn", True),
    ("a-very-long-dae", "/opt/bin/a-very-long-daemon-name --x", "a-very-long-daemon-name", True),
    ("redis-server", "redis-server *:6380", "redis", False),
])
def test_process_names_match_exactly_never_by_substring(
    comm: str, args: str, name: str, expected: bool
) -> None:
    assert process_matches(ProcessInfo(1, comm, 0.0, 0.0, args), name) is expected


def test_secret_looking_arguments_are_masked(tmp_path: Path) -> None:
    program = tmp_path / "opsgate-fakedmn"
    program.symlink_to(sys.executable)
    command = [str(program), "-c", "import time; time.sleep(30)", "--password=hunter2"]
    with subprocess.Popen(command) as proc:
        try:
            facts = probe(host(processes=["opsgate-fakedmn"]), 5.0)
        finally:
            proc.kill()
    [mine] = facts.processes["opsgate-fakedmn"]
    assert mine.pid == proc.pid
    assert "hunter2" not in mine.args and "--password=***" in mine.args


@needs_sshd
def test_over_ssh_the_same_facts_arrive(sshd: SshServer) -> None:
    target = host(connection=sshd.connection, ssh_config=str(sshd.ssh_config),
                  processes=["redis-server"], listening=["tcp://127.0.0.1:6379"])
    facts = probe(target, 5.0)
    assert facts.backend == "SshBackend"
    assert facts.hostname == socket.gethostname()
    assert facts.processes["redis-server"] and facts.sockets and "tcp://127.0.0.1:6379" in facts.sockets


@needs_sshd
def test_ssh_with_a_key_the_server_does_not_accept_is_a_config_error(sshd: SshServer, tmp_path: Path) -> None:
    other = tmp_path / "otherkey"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    config = tmp_path / "ssh_config"
    config.write_text(sshd.ssh_config.read_text().replace(str(sshd.key), str(other)))
    with pytest.raises(ProbeConfigError, match=r"ssh authentication failed \(.*Permission denied.*\): check "
                                               r"the user, the key"):
        probe(host(connection="ssh://probe1", ssh_config=str(config), processes=["sshd"]), 5.0)


@needs_sshd
def test_ssh_to_a_closed_port_is_unreachable(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(Unreachable, match=r"ssh connection refused .*is sshd running and listening"):
        probe(host(connection=f"ssh://root@127.0.0.1:{port}", processes=["sshd"]), 3.0)


def test_missing_ssh_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ProbeConfigError, match="ssh_config .*/nope does not exist"):
        probe(host(connection="ssh://probe1", ssh_config=str(tmp_path / "nope"), processes=["x"]), 3.0)
