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
