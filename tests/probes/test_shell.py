"""Running a probe's command here and over a throwaway sshd: output, status, deadline, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgate.deadline import Deadline
from opsgate.errors import ProbeConfigError, ProbeTimeout, Unreachable
from opsgate.probes.shell import run_command
from opsgate.targets.command import CommandTarget
from tests.conftest import free_port
from tests.probes.test_host import SshServer, needs_sshd


def local(command: str) -> CommandTarget:
    return CommandTarget(name="t", command=command)


def over(server: SshServer, command: str) -> CommandTarget:
    return CommandTarget.model_validate({"name": "t", "command": command, "connection": server.connection,
                                         "ssh_config": str(server.ssh_config)})


def test_a_local_command_gives_its_status_and_both_streams() -> None:
    output = run_command(local("x"), "echo out; echo err >&2; exit 3", Deadline(10))
    assert (output.status, output.stdout, output.stderr) == (3, "out\n", "err\n")
    assert output.where == "local://"
    assert "exit status 3" in output.evidence() and "--- stderr\nerr" in output.evidence()


def test_a_pipeline_that_outlasts_the_deadline_is_killed_whole(tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    with pytest.raises(ProbeTimeout, match=r"local://: `.*` did not finish within 0.5s and was stopped"):
        run_command(local("x"), f"sleep 30 & echo $! >{marker}; wait", Deadline(0.5))
    pid = int(marker.read_text())
    # The background sleep was in the killed process group: it is gone (or a zombie being reaped).
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        state = "gone"
    assert state in ("gone", "Z")


def test_an_unknown_tool_is_a_configuration_error() -> None:
    with pytest.raises(ProbeConfigError, match=r"`opsgate-no-such-tool get pods` cannot run: .*not found; "
                                               "install the tool there"):
        run_command(local("x"), "opsgate-no-such-tool get pods", Deadline(5))


def test_no_time_left_runs_nothing(tmp_path: Path) -> None:
    with pytest.raises(ProbeTimeout, match="no time left for `touch"):
        run_command(local("x"), f"touch {tmp_path / 'ran'}", Deadline(0))
    assert not (tmp_path / "ran").exists()


@needs_sshd
def test_over_ssh_the_command_runs_on_the_host(sshd: SshServer) -> None:
    output = run_command(over(sshd, "x"), "echo $SSH_CONNECTION; exit 2", Deadline(15))
    assert output.status == 2 and output.stdout.startswith("127.0.0.1 ")
    assert output.where == "ssh://probe1"


@needs_sshd
def test_over_ssh_a_slow_command_is_stopped_by_the_hosts_timeout(sshd: SshServer) -> None:
    with pytest.raises(ProbeTimeout, match=r"ssh://probe1: `sleep 30` did not finish within 2s"):
        run_command(over(sshd, "x"), "sleep 30", Deadline(2))


@needs_sshd
def test_an_ssh_host_that_refuses_is_unreachable(sshd: SshServer, tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text(sshd.ssh_config.read_text().replace(f"Port {sshd.port}", f"Port {free_port()}"))
    target = CommandTarget.model_validate({"name": "t", "command": "true", "connection": "ssh://probe1",
                                           "ssh_config": str(config)})
    with pytest.raises(Unreachable, match="ssh connection refused"):
        run_command(target, "true", Deadline(10))
