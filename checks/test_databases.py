"""SQL databases (runbook: connections > 80 % of the pool warn, > 95 % crit; stuck sessions; slow queries)."""

import pytest

from opsgate.check import check
from opsgate.judges.database import judge_database, judge_slow_statements


@check("databases", probe="opsgate.probes.database:probe")
def test_databases(target, observe, verdict):
    judge_database(target, observe(), verdict)
    verdict.conclude()


@check("databases", probe="opsgate.probes.database:slow_statements",
       applies=lambda target: target.slow_statement_mean is not None)
def test_slow_statements(target, observe, verdict):
    slow = observe()
    if slow.unavailable:
        pytest.skip(f"databases {target.name}: slow statements not judged: {slow.unavailable}")
    judge_slow_statements(target, slow, verdict)
    verdict.conclude()
