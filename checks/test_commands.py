"""Commands (runbooks: `kubectl get pods`/`hpa`, `doctl apps list`, `railway status`, `pip-audit`)."""

from opsgate.check import check
from opsgate.judges.command import judge_command


@check("commands", probe="opsgate.probes.command:probe")
def test_commands(target, observe, verdict):
    judge_command(target, observe(), verdict)
    verdict.conclude()
