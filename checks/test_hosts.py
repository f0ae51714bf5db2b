"""Hosts (runbooks: "Monitor CPU and memory usage", services up, ports open, disk space) via testinfra."""

from opsgate.check import check
from opsgate.judges.host import judge_host


@check("hosts", probe="opsgate.probes.host:probe")
def test_hosts(target, observe, verdict):
    judge_host(target, observe(), verdict)
    verdict.conclude()
