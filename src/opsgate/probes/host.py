"""Host probe: facts about one host through pytest-testinfra (`local://`, `ssh://`), read-only commands only.

It runs `uname`, `ps`, `ss`/`netstat`, `systemctl is-active|is-enabled` / `service NAME status`, `df`,
`cat /proc/meminfo|loadavg`, `getconf`, `stat` and `grep -qF`: nothing that changes the host. Our own
commands run under `timeout` when the host has it; ssh connects with BatchMode (never prompts), a
connect timeout and keep-alives, so a hung host costs about the target's timeout.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from opsgate.errors import ProbeConfigError, ProbeFailure, ProbeTimeout, Unreachable
from opsgate.redact import clip
from opsgate.targets._connection import Connected
from opsgate.targets.host import HostTarget

if TYPE_CHECKING:
    from testinfra.host import Host

T = TypeVar("T")
_SECRET_ARG = re.compile(r"(?i)((?:pass(?:word)?|secret|token|key|auth)[a-z_-]*[= ]+)\S+")
_ARGS_SHOWN = 200
_SOCKETS_SHOWN = 60
_CONTROL_PERSIST = 3


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    comm: str
    cpu: float
    mem: float
    args: str


@dataclass(frozen=True)
class ServiceState:
    """What testinfra's service module says; `error` when it could not tell."""

    running: bool | None
    enabled: bool | None = None
    error: str = ""


@dataclass(frozen=True)
class DiskUsage:
    """`df -Pk` of one path: the file system holding it, in bytes."""

    filesystem: str
    mount: str
    size: int
    used: int
    available: int

    @property
    def used_ratio(self) -> float:
        """Used share as df's Use% computes it: blocks reserved for root count as unavailable."""
        usable = self.used + self.available
        return self.used / usable if usable else 0.0


@dataclass(frozen=True)
class FileState:
    exists: bool
    kind: str = ""
    mode: int | None = None
    owner: str = ""
    group: str = ""
    contains: dict[str, bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class HostFacts:
    """What the host showed; sections the target does not ask for stay empty."""

    connection: str
    hostname: str
    backend: str
    systemd_running: bool | None = None
    service_module: str = ""
    services: dict[str, ServiceState] = field(default_factory=dict)
    processes: dict[str, tuple[ProcessInfo, ...]] = field(default_factory=dict)
    sockets: tuple[str, ...] | None = None
    disks: dict[str, DiskUsage | str] = field(default_factory=dict)
    memory_total: int | None = None
    memory_available: int | None = None
    load: tuple[float, float, float] | None = None
    cpus: int | None = None
    files: dict[str, FileState] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    def evidence(self) -> str:
        """What an on-call engineer would type `ps`, `ss -ltn`, `df -h` and `free` for, in one block."""
        lines = [f"# {self.connection} ({self.backend}): {self.hostname}"]
        lines += _service_lines(self)
        for name, found in self.processes.items():
            lines.append(f"process {name}: {len(found)} running")
            lines += [f"  pid {p.pid:>7}  cpu {p.cpu:5.1f}%  mem {p.mem:5.1f}%  {p.args}" for p in found[:5]]
        if self.sockets is not None:
            shown = sorted(self.sockets)[:_SOCKETS_SHOWN]
            lines.append(f"listening sockets ({len(self.sockets)}): " + " ".join(shown))
        for path, disk in self.disks.items():
            lines.append(f"disk {path}: {disk}" if isinstance(disk, str) else
                         f"disk {path}: {disk.used_ratio:.1%} used of {disk.size / 1e9:.1f} GB "
                         f"({disk.filesystem} on {disk.mount}, {disk.available / 1e9:.1f} GB available)")
        if self.memory_total:
            lines.append(f"memory: {(self.memory_available or 0) / 1e6:.0f} MB available of "
                         f"{self.memory_total / 1e6:.0f} MB")
        if self.load is not None:
            lines.append(f"load average: {self.load[0]:.2f} {self.load[1]:.2f} {self.load[2]:.2f} "
                         f"on {self.cpus or '?'} CPU(s)")
        for path, state in self.files.items():
            shown = (f"{state.kind}, mode {state.mode:04o}, {state.owner}:{state.group}"
                     if state.exists and state.mode is not None else "absent")
            lines.append(f"file {path}: {shown}")
        lines += [f"could not read {what}: {why}" for what, why in self.problems.items()]
        return "\n".join(lines)


def _service_lines(facts: HostFacts) -> list[str]:
    if not facts.services:
        return []
    manager = {True: "systemd running", False: "systemd NOT running: SysV `service` fallback",
               None: "init system unknown"}[facts.systemd_running]
    lines = [f"services via testinfra {facts.service_module} ({manager}):"]
    for name, state in facts.services.items():
        lines.append(f"  {name}: running={state.running} enabled={state.enabled}"
                     + (f" error={state.error}" if state.error else ""))
    return lines


def probe(target: HostTarget, timeout: float) -> HostFacts:
    """Connect with testinfra and gather the facts the target asks about, within about `timeout`."""
    where = target.connection
    host = connect(target, timeout)
    runner = _Runner(host, timeout, where)
    hostname = runner.output("uname -n") or "?"
    facts: dict[str, Any] = {"connection": where, "hostname": hostname,
                             "backend": type(host.backend).__name__, "problems": {}}
    if target.services:
        facts.update(_services(host, target, runner))
    if target.processes:
        facts["processes"] = runner.gather("processes (ps)", lambda: _processes(host, target.processes))
    if target.listening:
        facts["sockets"] = runner.gather("listening sockets (ss/netstat)",
                                         lambda: tuple(host.socket.get_listening_sockets()))
    if target.disk_used_max:
        facts["disks"] = {path: _disk(runner, path) for path in target.disk_used_max}
    if target.memory_available_min is not None:
        facts["memory_total"], facts["memory_available"] = _memory(runner, facts["problems"])
    if target.load_per_cpu_max is not None:
        facts["load"], facts["cpus"] = _load(runner, facts["problems"])
    if target.files:
        facts["files"] = {path: runner.gather(f"file {path}", lambda p=path, e=exp: _file(host, runner, p, e))
                          for path, exp in target.files.items()}
    return HostFacts(**facts)


def connect(target: Connected, timeout: float) -> Host:
    """A testinfra Host for the target's connection; ssh never prompts and gives up after `timeout`."""
    import testinfra

    if target.scheme == "local":
        return testinfra.get_host("local://")
    for key in ("ssh_config", "ssh_identity_file"):
        value = getattr(target, key)
        if value is not None and not Path(value).expanduser().is_file():
            raise ProbeConfigError(f"{target.connection}: {key} {value} does not exist")
    seconds = max(1, math.ceil(timeout))
    options: dict[str, Any] = {
        "timeout": seconds,
        # One multiplexed connection per probe (testinfra runs a dozen commands); the master exits
        # a few seconds after the last one, so nothing lingers after the run.
        "controlpersist": _CONTROL_PERSIST,
        # Per connection settings: a master opened with another key or config is never reused.
        "controlpath": os.path.join(tempfile.gettempdir(), f"opsgate-ssh-{_settings_hash(target)}-%%C"),
        "ssh_extra_args": f"-o BatchMode=yes -o ServerAliveInterval={seconds} -o ServerAliveCountMax=1",
    }
    if target.ssh_config:
        options["ssh_config"] = str(Path(target.ssh_config).expanduser())
    if target.ssh_identity_file:
        options["ssh_identity_file"] = str(Path(target.ssh_identity_file).expanduser())
    return testinfra.get_host(target.connection, **options)


def _settings_hash(target: Connected) -> str:
    text = "\0".join((target.connection, target.ssh_config or "", target.ssh_identity_file or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class _Runner:
    """Runs our own read-only commands bounded by `timeout`, mapping connection errors to opsgate errors."""

    def __init__(self, host: Host, timeout: float, where: str) -> None:
        self.host, self.timeout, self.where = host, timeout, where
        self._prefix: str | None = None

    def output(self, command: str, *args: str) -> str | None:
        """stdout of a command (None if it failed); an unreachable host raises."""
        result = self.gather(command, lambda: self.host.run(self.prefix() + command, *args))
        return result.stdout.strip() if result.rc == 0 else None

    def result(self, command: str, *args: str) -> Any:
        return self.gather(command, lambda: self.host.run(self.prefix() + command, *args))

    def prefix(self) -> str:
        if self._prefix is None:
            found = self.gather("timeout", lambda: self.host.run("command -v timeout"))
            self._prefix = f"timeout -k 1 {max(1, math.ceil(self.timeout))} " if found.rc == 0 else ""
        return self._prefix

    def gather(self, what: str, read: Callable[[], T]) -> T:
        """`read()`, with ssh failures as Unreachable/ProbeTimeout/ProbeConfigError and tool errors as
        ProbeConfigError naming `what`."""
        started = time.monotonic()
        try:
            return read()
        except ProbeFailure:
            raise
        except RuntimeError as exc:
            if ssh_result(exc) is not None:
                raise ssh_failure(self.where, ssh_result(exc), self.timeout) from None
            raise ProbeConfigError(f"{self.where}: cannot read {what}: {exc}") from None
        except (AssertionError, ValueError, NotImplementedError) as exc:
            if time.monotonic() - started >= self.timeout:
                raise ProbeTimeout(f"{self.where}: reading {what} took longer than {self.timeout:g}s "
                                   "(the host is overloaded or a file system hangs)") from None
            raise ProbeConfigError(f"{self.where}: cannot read {what}: {_short(exc)}; the host lacks the "
                                   "tool testinfra uses for it, or the user may not run it") from None


def ssh_result(exc: RuntimeError) -> Any:
    """The CommandResult testinfra's ssh backend raises with when ssh itself failed (exit 255)."""
    arg = exc.args[0] if exc.args else None
    return arg if getattr(arg, "rc", None) == 255 and hasattr(arg, "stderr") else None


def ssh_failure(where: str, result: Any, timeout: float) -> ProbeFailure | ProbeConfigError:
    """The opsgate error for an ssh connection that failed, with what to do about it."""
    text = " ".join(str(result.stderr).split()) or "ssh exited with status 255"
    if "Permission denied" in text or "Too many authentication failures" in text:
        return ProbeConfigError(f"{where}: ssh authentication failed ({text}): check the user, the key "
                                "(ssh_identity_file) and the host's authorized_keys")
    if "Host key verification failed" in text or "REMOTE HOST IDENTIFICATION HAS CHANGED" in text:
        return ProbeConfigError(f"{where}: ssh host key verification failed: add the host key to "
                                "known_hosts (ssh-keyscan) after checking it, or fix a changed key")
    if "timed out" in text:
        return ProbeTimeout(f"{where}: ssh connection timed out after {timeout:g}s ({text}): the host is "
                            "down or a firewall drops packets")
    if "Connection refused" in text:
        return Unreachable(f"{where}: ssh connection refused ({text}): is sshd running and listening "
                           "on that port?")
    if "Could not resolve hostname" in text:
        return Unreachable(f"{where}: DNS lookup failed ({text}): check the host name")
    return Unreachable(f"{where}: ssh failed: {text}")


def _services(host: Host, target: HostTarget, runner: _Runner) -> dict[str, Any]:
    systemd = runner.gather("init system", lambda: host.file("/run/systemd/system/").is_directory)
    states: dict[str, ServiceState] = {}
    module = ""
    for name in target.services:
        service = runner.gather(f"service {name}", lambda n=name: host.service(n))
        module = type(service).__name__
        states[name] = _service_state(service, target.services_enabled, runner, name)
    return {"services": states, "systemd_running": systemd, "service_module": module}


def _service_state(service: Any, want_enabled: bool, runner: _Runner, name: str) -> ServiceState:
    try:
        running = runner.gather(f"service {name}", lambda: bool(service.is_running))
    except ProbeConfigError as exc:
        return ServiceState(running=None, error=str(exc).split(": ", 1)[-1])
    if not want_enabled:
        return ServiceState(running=running)
    try:
        enabled = runner.gather(f"service {name}", lambda: bool(service.is_enabled))
    except ProbeConfigError as exc:
        return ServiceState(running=running, error=str(exc).split(": ", 1)[-1])
    return ServiceState(running=running, enabled=enabled)


def _processes(host: Host, names: list[str]) -> dict[str, tuple[ProcessInfo, ...]]:
    """Processes per name: `comm` is the name (Linux cuts comm at 15 characters) or argv[0]'s basename is."""
    every = [
        ProcessInfo(pid=int(p.pid), comm=str(p.comm), cpu=float(p.pcpu), mem=float(p.pmem),
                    args=_masked(str(p.args)))
        for p in host.process.filter()
    ]
    return {name: tuple(p for p in every if process_matches(p, name)) for name in names}


def process_matches(process: ProcessInfo, name: str) -> bool:
    """Whether a process is the program `name` (exact, never a substring of some other command line)."""
    first = process.args.split(" ", 1)[0].rstrip(":")
    return process.comm in (name, name[:15]) or first.rsplit("/", 1)[-1] == name


def _masked(args: str) -> str:
    text = _SECRET_ARG.sub(r"\1***", args)
    return text if len(text) <= _ARGS_SHOWN else text[: _ARGS_SHOWN - 3] + "..."


def _disk(runner: _Runner, path: str) -> DiskUsage | str:
    result = runner.result("df -Pk -- %s", path)
    lines = result.stdout.strip().splitlines()
    if result.rc != 0 or len(lines) < 2:
        return " ".join(result.stderr.split()) or f"df exited with status {result.rc}"
    parts = lines[-1].split(None, 5)
    if len(parts) < 6 or not all(p.isdigit() for p in parts[1:4]):
        return f"unexpected df output: {lines[-1]!r}"
    return DiskUsage(filesystem=parts[0], mount=parts[5], size=int(parts[1]) * 1024,
                     used=int(parts[2]) * 1024, available=int(parts[3]) * 1024)


def _memory(runner: _Runner, problems: dict[str, str]) -> tuple[int | None, int | None]:
    text = runner.output("cat /proc/meminfo")
    fields = dict(re.findall(r"^(\w+):\s+(\d+) kB$", text or "", re.MULTILINE))
    if "MemTotal" not in fields or "MemAvailable" not in fields:
        problems["memory"] = "/proc/meminfo has no MemTotal/MemAvailable (not Linux, or a kernel before 3.14)"
        return None, None
    return int(fields["MemTotal"]) * 1024, int(fields["MemAvailable"]) * 1024


def _load(runner: _Runner, problems: dict[str, str]) -> tuple[tuple[float, float, float] | None, int | None]:
    loadavg = (runner.output("cat /proc/loadavg") or "").split()
    cpus = runner.output("getconf _NPROCESSORS_ONLN") or runner.output("nproc")
    if len(loadavg) < 3 or not cpus or not cpus.isdigit() or int(cpus) < 1:
        problems["load"] = "/proc/loadavg or the CPU count (getconf _NPROCESSORS_ONLN, nproc) is unavailable"
        return None, None
    return (float(loadavg[0]), float(loadavg[1]), float(loadavg[2])), int(cpus)


def _file(host: Host, runner: _Runner, path: str, expected: Any) -> FileState:
    handle = host.file(path)
    if not handle.exists:
        return FileState(exists=False)
    kind = "directory" if handle.is_directory else ("file" if handle.is_file else "other")
    contains: dict[str, bool | None] = {}
    for text in expected.contains:
        # grep -F: a fixed string, not a regular expression; exit 2 = unreadable.
        rc = runner.result("grep -qF -e %s -- %s", text, path).rc
        contains[text] = {0: True, 1: False}.get(rc)
    return FileState(exists=True, kind=kind, mode=int(handle.mode), owner=str(handle.user),
                     group=str(handle.group), contains=contains)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return clip(text, 300)
