"""Host judge rules on given facts: socket matching, ratios vs sizes, the SysV hint, files."""

from __future__ import annotations

from typing import Any

import pytest

from opsgate.judges._format import format_percent
from opsgate.judges.host import is_listening, judge_host
from opsgate.probes.host import DiskUsage, FileState, HostFacts, ProcessInfo, ServiceState
from opsgate.targets.host import HostTarget
from opsgate.verdict import Verdict

SOCKETS = ("tcp://127.0.0.1:6379", "tcp://::1:6379", "tcp://0.0.0.0:80", "tcp://:::443", "udp://0.0.0.0:53",
           "unix:///run/app.sock")


def findings(facts: dict[str, Any], **fields: Any) -> list[tuple[str, str]]:
    target = HostTarget.model_validate({"name": "web", **fields})
    verdict = Verdict(target=target)
    judge_host(target, HostFacts(connection="local://", hostname="web1", backend="LocalBackend", **facts),
               verdict)
    return [(f.level, f.message) for f in verdict.findings]


@pytest.mark.parametrize(("spec", "expected"), [
    ("tcp://127.0.0.1:6379", True),
    ("tcp://6379", True),              # bare port: any address
    ("tcp://10.0.0.5:6379", False),    # bound to loopback only
    ("tcp://10.0.0.5:80", True),       # 0.0.0.0 serves every IPv4 address
    ("tcp://[::1]:80", False),         # ...but not IPv6
    ("tcp://10.0.0.5:443", True),      # :: serves everything
    ("udp://53", True),
    ("tcp://53", False),
    ("unix:///run/app.sock", True),
    ("unix:///run/other.sock", False),
])
def test_socket_matching(spec: str, expected: bool) -> None:
    assert is_listening(spec, SOCKETS) is expected


def test_a_port_nobody_listens_on_names_what_listens_on_that_port() -> None:
    [(level, message)] = findings({"sockets": SOCKETS}, listening=["tcp://10.0.0.5:6379"])
    assert level == "crit"
    assert message.startswith("nothing listens on tcp://10.0.0.5:6379; listening on that port: "
                              "tcp://127.0.0.1:6379, tcp://::1:6379: the service is down, bound to another")


def test_services_without_systemd_point_to_processes() -> None:
    facts = {"services": {"nginx": ServiceState(running=False, enabled=False)}, "systemd_running": False}
    found = findings(facts, services=["nginx"], services_enabled=True)
    assert [level for level, _ in found] == ["crit", "crit"]
    assert "service nginx is not running, expected running" in found[0][1]
    assert "check it with `processes:` instead" in found[0][1]
    assert found[1][1].startswith("service nginx is not enabled, expected enabled: it will not come back")


def test_running_service_under_systemd_has_no_findings_or_hint() -> None:
    facts = {"services": {"nginx": ServiceState(running=True, enabled=True)}, "systemd_running": True}
    assert findings(facts, services=["nginx"], services_enabled=True) == []
    facts = {"services": {"nginx": ServiceState(running=False)}, "systemd_running": True}
    [(_, message)] = findings(facts, services=["nginx"])
    assert "processes:" not in message


def test_disk_warn_and_crit() -> None:
    disk = DiskUsage("/dev/vda", "/", size=100 * 10**9, used=85 * 10**9, available=15 * 10**9)
    [(level, message)] = findings({"disks": {"/": disk}}, disk_used_max={"/": {"warn": 0.8, "crit": 0.9}})
    assert level == "warn" and message.startswith("disk used on / is 85%, above the limit 80% (warn): ")
    [(level, message)] = findings({"disks": {"/": disk}}, disk_used_max={"/": "84%"})
    assert level == "crit" and "du -xh --max-depth=2 /" in message


def test_memory_floor_as_ratio_or_size() -> None:
    facts = {"memory_total": 8 * 2**30, "memory_available": 2**29}
    [(level, message)] = findings(facts, memory_available_min={"warn": "10%", "crit": "5%"})
    assert level == "warn" and message.startswith("available memory is 6.25%, below the minimum 10% (warn)")
    [(level, message)] = findings(facts, memory_available_min="1GiB")
    assert level == "crit" and message.startswith("available memory is 512MiB, below the minimum 1GiB (crit)")
    assert findings(facts, memory_available_min="256MB") == []


def test_load_per_cpu() -> None:
    facts = {"load": (9.0, 7.0, 3.0), "cpus": 4}
    [(level, message)] = findings(facts, load_per_cpu_max={"warn": 1, "crit": 2})
    assert level == "warn" and message.startswith("5-minute load per CPU is 1.75, above the limit 1 (warn)")


def test_unreadable_facts_fail_rather_than_pass() -> None:
    facts = {"problems": {"memory": "no /proc/meminfo", "load": "no /proc/loadavg"},
             "disks": {"/data": "df: /data: No such file or directory"}}
    found = [m for _, m in findings(facts, memory_available_min="10%", load_per_cpu_max=2,
                                     disk_used_max={"/data": 0.9})]
    assert found == [
        "cannot read the disk usage of /data: df: /data: No such file or directory; check that the mount "
        "point exists on the host",
        "cannot judge available memory: no /proc/meminfo",
        "cannot judge the load: no /proc/loadavg",
    ]


def test_missing_process() -> None:
    running = (ProcessInfo(10, "redis-server", 0.1, 0.2, "redis-server *:6379"),)
    assert findings({"processes": {"redis-server": running}}, processes=["redis-server"]) == []
    [(_, message)] = findings({"processes": {"redis-server": ()}}, processes=["redis-server"])
    assert message.startswith("no process named redis-server is running on web1: the daemon crashed")


def test_files() -> None:
    state = FileState(exists=True, kind="file", mode=0o644, owner="root", group="root",
                      contains={"server_tokens off;": False})
    found = [m for _, m in findings({"files": {"/etc/nginx/nginx.conf": state}}, files={
        "/etc/nginx/nginx.conf": {"mode": "0640", "owner": "www-data", "contains": "server_tokens off;"}})]
    assert found == [
        "/etc/nginx/nginx.conf has mode 0644, expected 0640: chmod 0640 /etc/nginx/nginx.conf "
        "(a world-readable secret or a non-executable script breaks things)",
        "/etc/nginx/nginx.conf has owner root, expected www-data: chown www-data /etc/nginx/nginx.conf",
        "/etc/nginx/nginx.conf does not contain 'server_tokens off;': the deployed configuration "
        "differs from the expected one; diff it against the repository and redeploy",
    ]
    [(_, message)] = findings({"files": {"/srv/maintenance.flag": FileState(exists=True)}},
                              files={"/srv/maintenance.flag": {"exists": False}})
    assert message.startswith("/srv/maintenance.flag exists, expected absent")


def test_tiny_ratios_stay_readable() -> None:
    assert [format_percent(r) for r in (0.0001, 0.00123, 0.0625, 0.227, 0.8, 0.953, 1.0, 0.0, 12.5)] == [
        "0.01%", "0.123%", "6.25%", "22.7%", "80%", "95.3%", "100%", "0%", "1250%"]


@pytest.mark.parametrize(("spec", "sockets", "expected"), [
    ("udp://53", ("tcp://0.0.0.0:53",), False),       # another protocol on the port, either way round
    ("tcp://53", ("udp://0.0.0.0:53",), False),
    ("tcp://10.0.0.5:443", ("tcp://:::443",), True),  # :: listens on every address, IPv4 too
])
def test_socket_matching_needs_the_same_protocol(spec: str, sockets: tuple[str, ...], expected: bool) -> None:
    assert is_listening(spec, sockets) is expected


@pytest.mark.parametrize(("spec", "listed"), [
    ("tcp://10.0.0.5:53", "tcp://127.0.0.1:53"), ("udp://10.0.0.5:53", "udp://127.0.0.1:53")])
def test_what_listens_on_the_port_is_named_for_the_same_protocol_only(spec: str, listed: str) -> None:
    sockets = ("tcp://127.0.0.1:53", "udp://127.0.0.1:53", "tcp://127.0.0.1:5353")
    [(_, message)] = findings({"sockets": sockets}, listening=[spec])
    assert message.startswith(f"nothing listens on {spec}; listening on that port: {listed}: the service")


def test_every_service_is_judged_after_one_that_cannot_be_told() -> None:
    facts = {"services": {"redis": ServiceState(running=None, error="no such unit"),
                          "nginx": ServiceState(running=False)}, "systemd_running": True}
    assert [m for _, m in findings(facts, services=["redis", "nginx"])] == [
        "cannot tell whether service redis runs: no such unit",
        "service nginx is not running, expected running: read its log (journalctl -u nginx / /var/log), "
        "then start it (systemctl start nginx)"]


def test_every_disk_is_judged_after_an_unreadable_one() -> None:
    disk = DiskUsage("/dev/vdb", "/srv", size=100, used=95, available=5)
    found = findings({"disks": {"/data": "df: /data: No such file or directory", "/srv": disk}},
                     disk_used_max={"/data": 0.9, "/srv": 0.9})
    assert [m.split(":")[0] for _, m in found] == ["cannot read the disk usage of /data",
                                                   "disk used on /srv is 95%, above the limit 90% (crit)"]


@pytest.mark.parametrize("facts", [{"memory_total": 0, "memory_available": 2**29},
                                   {"memory_total": 8 * 2**30, "memory_available": None}])
def test_memory_without_both_numbers_cannot_be_judged(facts: dict[str, Any]) -> None:
    assert findings(facts, memory_available_min="10%") == [
        ("crit", "cannot judge available memory: not gathered")]


@pytest.mark.parametrize("facts", [{"load": (1.0, 1.0, 1.0), "cpus": 0}, {"load": None, "cpus": 4}])
def test_load_without_a_cpu_count_cannot_be_judged(facts: dict[str, Any]) -> None:
    assert findings(facts, load_per_cpu_max=2) == [("crit", "cannot judge the load: not gathered")]


def test_load_advice_shows_the_three_averages() -> None:
    [(_, message)] = findings({"load": (9.0, 7.0, 3.0), "cpus": 4}, load_per_cpu_max=1.5)
    assert message == ("5-minute load per CPU is 1.75, above the limit 1.5 (crit): load 9.00 7.00 3.00 on 4 "
                       "CPU(s); find the busy processes (top, ps aux --sort=-pcpu) or I/O waits (vmstat 1), "
                       "then scale out")


def test_every_file_is_judged_after_one_with_a_finding() -> None:
    files = {"/a": None, "/b": FileState(exists=True), "/c": FileState(exists=False),
             "/d": FileState(exists=True, mode=0o600)}
    found = findings({"files": {path: state for path, state in files.items() if state is not None}},
                     files={"/a": {}, "/b": {"exists": False}, "/c": {}, "/d": {"mode": "0640"}})
    assert [m.split(":")[0] for _, m in found] == [
        "file /a was not examined", "/b exists, expected absent", "/c does not exist, expected a file",
        "/d has mode 0600, expected 0640"]


def test_a_file_as_expected_has_no_findings() -> None:
    # Built at run time, as the probe's facts are: equal values, not the same objects as the profile's.
    owner, group = "-".join(["www", "data"]), "".join(["ad", "m"])
    state = FileState(exists=True, kind="file", mode=int("640", 8), owner=owner, group=group,
                      contains={"ssl on;": True})
    assert findings({"files": {"/etc/app.conf": state}}, files={"/etc/app.conf": {
        "mode": "0640", "owner": "www-data", "group": "adm", "contains": "ssl on;"}}) == []
    # Only what the profile asks for is judged.
    assert findings({"files": {"/etc/app.conf": state}}, files={"/etc/app.conf": {"owner": "www-data"}}) == []


def test_owner_and_group_mismatches_each_say_how_to_fix_them() -> None:
    state = FileState(exists=True, mode=0o640, owner="www-data", group="adm")
    assert [m for _, m in findings({"files": {"/etc/app.conf": state}}, files={"/etc/app.conf": {
        "owner": "root", "group": "root"}})] == [
        "/etc/app.conf has owner www-data, expected root: chown root /etc/app.conf",
        "/etc/app.conf has group adm, expected root: chgrp root /etc/app.conf"]
