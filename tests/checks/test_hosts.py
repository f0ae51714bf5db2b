"""The hosts check end to end: this machine through testinfra's local backend, and a throwaway sshd."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RunChecks, free_port
from tests.probes.test_host import SshServer, needs_sshd


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    with SshServer(tmp_path_factory.mktemp("sshd")) as server:
        yield server


def test_this_machine_passes(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: t
        hosts:
          - name: local
            processes: [redis-server, postgres]
            listening: ["tcp://127.0.0.1:6379", "tcp://5432"]
            disk_used_max: {"/": {warn: 0.98, crit: 0.99}}
            memory_available_min: 1%
            load_per_cpu_max: 100
            files: {"/etc/hostname": {exists: true}}
    """, "-m", "daily")
    result.assert_outcomes(passed=1)


def test_broken_expectations_fail_with_every_finding(run_checks: RunChecks) -> None:
    port = free_port()
    result = run_checks(f"""
        name: t
        hosts:
          - name: local
            processes: [redis-server, opsgate-no-such-daemon]
            listening: ["tcp://127.0.0.1:{port}"]
            disk_used_max: {{"/": 0.0001}}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*hosts local: 3 problem(s):",
        "*- no process named opsgate-no-such-daemon is running on *: the daemon crashed or was never*",
        f"*- nothing listens on tcp://127.0.0.1:{port}: the service is down, bound to another address/port*",
        "*- disk used on / is *%, above the limit 0.01% (crit): *left on * (/); find what grows*",
    ])


def test_an_unknown_service_fails(run_checks: RunChecks) -> None:
    result = run_checks("""
        name: t
        hosts:
          - {name: local, services: [opsgate-no-such-service]}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*hosts local: service opsgate-no-such-service is not running, expected*"])


@needs_sshd
def test_over_ssh_a_healthy_and_a_broken_host(run_checks: RunChecks, sshd: SshServer) -> None:
    result = run_checks(f"""
        name: t
        hosts:
          - name: web1
            connection: "{sshd.connection}"
            ssh_config: "{sshd.ssh_config}"
            processes: [redis-server, sshd]
            listening: ["tcp://127.0.0.1:{sshd.port}"]
          - name: web2
            connection: "{sshd.connection}"
            ssh_config: "{sshd.ssh_config}"
            processes: [opsgate-no-such-daemon]
    """, "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines_random([
        "*test_hosts.py::test_hosts?web1? PASSED*",
        "*hosts web2: no process named opsgate-no-such-daemon is running on *",
    ])


@needs_sshd
def test_ssh_to_a_dead_host_fails_as_unreachable(run_checks: RunChecks) -> None:
    port = free_port()
    result = run_checks(f"""
        name: t
        defaults: {{timeout: 3s}}
        hosts:
          - {{name: gone, connection: "ssh://root@127.0.0.1:{port}", processes: [sshd]}}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        f"*ssh://root@127.0.0.1:{port}: ssh connection refused (*): is sshd running and "
        "listening on that port?"
    ])
