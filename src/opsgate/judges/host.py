"""Rules for a host's facts: services and processes run, ports listen, disk, memory, load, files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsgate.judges._format import format_percent
from opsgate.units import format_number, format_size

if TYPE_CHECKING:
    from opsgate.probes.host import FileState, HostFacts
    from opsgate.targets.host import FileExpectation, HostTarget
    from opsgate.verdict import Verdict


def judge_host(target: HostTarget, facts: HostFacts, verdict: Verdict) -> None:
    """Add a finding for every rule of the target the host's facts break."""
    verdict.evidence("host facts", facts.evidence())
    verdict.note("hostname", facts.hostname)
    judge_services(target, facts, verdict)
    judge_processes(target, facts, verdict)
    judge_listening(target, facts, verdict)
    judge_disks(target, facts, verdict)
    judge_memory(target, facts, verdict)
    judge_load(target, facts, verdict)
    judge_files(target, facts, verdict)


def judge_services(target: HostTarget, facts: HostFacts, verdict: Verdict) -> None:
    """Each service runs (and is enabled at boot when asked), as testinfra's service module sees it."""
    hint = ("" if facts.systemd_running else
            " (systemd is not running on this host, so testinfra asked the SysV init script, which only "
            "knows daemons it started itself; if a supervisor or container entrypoint runs it, check it "
            "with `processes:` instead)")
    for name, state in facts.services.items():
        if state.running is None:
            verdict.fail(f"cannot tell whether service {name} runs: {state.error}{hint}")
            continue
        if not state.running:
            verdict.fail(f"service {name} is not running, expected running: read its log "
                         f"(journalctl -u {name} / /var/log), then start it (systemctl start {name}){hint}")
        if target.services_enabled and state.enabled is None:
            verdict.fail(f"cannot tell whether service {name} starts at boot: {state.error}")
        elif target.services_enabled and not state.enabled:
            verdict.fail(f"service {name} is not enabled, expected enabled: it will not come back after a "
                         f"reboot; run systemctl enable {name}")


def judge_processes(target: HostTarget, facts: HostFacts, verdict: Verdict) -> None:
    """At least one process of each named program runs."""
    for name in target.processes:
        found = facts.processes.get(name, ())
        verdict.note(f"processes {name}", len(found), str(len(found)))
        if not found:
            verdict.fail(f"no process named {name} is running on {facts.hostname}: the daemon crashed or was "
                         "never started; read its log (and dmesg for the OOM killer), then start it")


def judge_listening(target: HostTarget, facts: HostFacts, verdict: Verdict) -> None:
    """Each socket of the target is listening."""
    listening = facts.sockets or ()
    for spec in target.listening:
        if not is_listening(spec, listening):
            on_port = [s for s in listening
                       if _port_of(s) == _port_of(spec) and _proto_of(s) == _proto_of(spec)]
            seen = f"; listening on that port: {', '.join(sorted(on_port))}" if on_port else ""
            verdict.fail(f"nothing listens on {spec}{seen}: the service is down, bound to another "
                         "address/port, or still starting; check `ss -ltnp` and its config (bind/listen)")


def is_listening(spec: str, sockets: tuple[str, ...] | list[str]) -> bool:
    """Whether `spec` is served by one of testinfra's listening `sockets` (`tcp://127.0.0.1:6379` form).

    `tcp://PORT` means any address on that port; `tcp://ADDR:PORT` is met by that address or a
    wildcard (`0.0.0.0` for IPv4 addresses, `::` for any); `unix:///path` needs that path.
    """
    if spec.startswith("unix://"):
        return spec in sockets
    proto, port = _proto_of(spec), _port_of(spec)
    address = _address_of(spec)
    for sock in sockets:
        if _proto_of(sock) != proto or _port_of(sock) != port:
            continue
        bound = _address_of(sock)
        if address is None or bound in (address, "::") or (bound == "0.0.0.0" and ":" not in address):
            return True
    return False


def _proto_of(spec: str) -> str:
    return spec.split("://", 1)[0]


def _port_of(spec: str) -> str:
    return "" if spec.startswith("unix://") else spec.split("://", 1)[1].rsplit(":", 1)[-1]


def _address_of(spec: str) -> str | None:
    rest = spec.split("://", 1)[1]
    if ":" not in rest:
        return None
    return rest.rsplit(":", 1)[0].strip("[]")


def judge_disks(target: HostTarget, facts: HostFacts, verdict: Verdict) -> None:
    """The used share of each mount point against its ceiling."""
    for path, threshold in target.disk_used_max.items():
        disk = facts.disks.get(path)
        if disk is None or isinstance(disk, str):
            verdict.fail(f"cannot read the disk usage of {path}: {disk or 'not gathered'}; check that "
                         "the mount point exists on the host")
            continue
        verdict.measure(
            f"disk used on {path}", disk.used_ratio, threshold, fmt=format_percent,
            advice=f"{format_size(disk.available)} left on {disk.filesystem} ({disk.mount}); find what grows "
                   "(du -xh --max-depth=2 {0}, old logs, backups, docker images), clean or grow the volume "
                   "before writes fail".format(disk.mount),
        )


def judge_memory(target: HostTarget, facts: HostFacts, verdict: Verdict) -> None:
    """MemAvailable against the floor, as a share of MemTotal or as a size."""
    floor = target.memory_available_min
    if floor is None:
        return
    if facts.memory_available is None or not facts.memory_total:
        verdict.fail(f"cannot judge available memory: {facts.problems.get('memory', 'not gathered')}")
        return
    available, total = facts.memory_available, facts.memory_total
    advice = (f"{format_size(available)} of {format_size(total)} available; find the biggest processes "
              "(ps aux --sort=-rss | head), look for leaks or the OOM killer in dmesg, then restart or scale")
    if floor.ratio:
        verdict.measure("available memory", available / total, floor.threshold, floor=True,
                        fmt=format_percent, advice=advice)
    else:
        verdict.measure("available memory", available, floor.threshold, floor=True, fmt=format_size,
                        advice=advice)


def judge_load(target: HostTarget, facts: HostFacts, verdict: Verdict) -> None:
    """The 5-minute load average per CPU against its ceiling."""
    if target.load_per_cpu_max is None:
        return
    if facts.load is None or not facts.cpus:
        verdict.fail(f"cannot judge the load: {facts.problems.get('load', 'not gathered')}")
        return
    per_cpu = facts.load[1] / facts.cpus
    verdict.measure(
        "5-minute load per CPU", per_cpu, target.load_per_cpu_max, fmt=format_number,
        advice=f"load {facts.load[0]:.2f} {facts.load[1]:.2f} {facts.load[2]:.2f} on {facts.cpus} CPU(s); "
               "find the busy processes (top, ps aux --sort=-pcpu) or I/O waits (vmstat 1), then scale out",
    )


def judge_files(target: HostTarget, facts: HostFacts, verdict: Verdict) -> None:
    """Each file exists (or not), with the mode, owner, group and content the profile asks for."""
    for path, expected in target.files.items():
        state = facts.files.get(path)
        if state is None:
            verdict.fail(f"file {path} was not examined")
            continue
        if not expected.exists:
            if state.exists:
                verdict.fail(f"{path} exists, expected absent: remove it if it is a leftover "
                             "(maintenance flag, debug dump) after checking why it is there")
            continue
        if not state.exists:
            verdict.fail(f"{path} does not exist, expected a file: the deploy did not install it or it was "
                         "removed; redeploy the configuration")
            continue
        _judge_file_state(path, expected, state, verdict)


def _judge_file_state(path: str, expected: FileExpectation, state: FileState, verdict: Verdict) -> None:
    mode = state.mode
    if expected.mode_bits is not None and mode != expected.mode_bits:
        shown = f"{mode:04o}" if mode is not None else "?"
        verdict.fail(f"{path} has mode {shown}, expected {expected.mode}: chmod {expected.mode} {path} "
                     "(a world-readable secret or a non-executable script breaks things)")
    for key in ("owner", "group"):
        wanted, seen = getattr(expected, key), getattr(state, key)
        if wanted is not None and seen != wanted:
            verdict.fail(f"{path} has {key} {seen}, expected {wanted}: "
                         f"{'chown' if key == 'owner' else 'chgrp'} {wanted} {path}")
    for text, found in state.contains.items():
        if found is None:
            verdict.fail(f"cannot read {path} to look for {text!r}: permission denied or not a text file")
        elif not found:
            verdict.fail(f"{path} does not contain {text!r}: the deployed configuration differs from the "
                         "expected one; diff it against the repository and redeploy")
