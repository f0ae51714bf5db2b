"""Benchmark of issue 10's multi-operation probes: how long each data-store probe takes, against its
timeout, when every operation is slow but none alone exceeds the timeout.

Real servers on loopback (throwaway redis-server, PostgreSQL and MariaDB, the machine's RabbitMQ)
behind a hop that holds each client chunk, or trickles the answers, or statements that sleep.
Each line: the scenario, the probe's timeout, the median wall time over the runs, and the outcome.

    .venv/bin/python bench/datastore_deadlines.py            # 3 runs each
    .venv/bin/python bench/datastore_deadlines.py --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the throwaway servers live with the tests

from opsgate.probes import database, queue, redis  # noqa: E402
from opsgate.targets.database import DatabaseTarget  # noqa: E402
from opsgate.targets.queue import QueueTarget  # noqa: E402
from opsgate.targets.redis import RedisTarget  # noqa: E402
from tests.servers import MariaServer, PostgresServer, RedisServer  # noqa: E402
from tests.servers.delay import DelayingProxy  # noqa: E402


def timed(call: Callable[[], object]) -> tuple[float, str]:
    started = time.monotonic()
    try:
        call()
        outcome = "answered"
    except Exception as exc:  # noqa: BLE001 - the outcome is what is measured
        outcome = type(exc).__name__
    return time.monotonic() - started, outcome


def scenarios(stack: ExitStack) -> list[tuple[str, float, Callable[[], object]]]:
    work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    server = stack.enter_context(RedisServer(work / "redis"))
    slow = stack.enter_context(DelayingProxy(server.port, 0.4))
    trickle = stack.enter_context(DelayingProxy(server.port, 0.0, trickle=0.02))
    pg = stack.enter_context(PostgresServer())
    maria = stack.enter_context(MariaServer(work / "maria"))
    amqp = stack.enter_context(DelayingProxy(5672, 0.5))

    def redis_target(port: int) -> RedisTarget:
        return RedisTarget(name="r", url=f"redis://127.0.0.1:{port}/0", queues={"a": 1, "b": 1, "c": 1})

    def sleepy(url: str, sleep: str) -> DatabaseTarget:
        return DatabaseTarget.model_validate({"name": "d", "url": url, "queries": [
            {"name": f"q{i}", "query": f"SELECT 1 FROM (SELECT {sleep}) s", "min": 1} for i in range(3)]})

    broker = QueueTarget(name="q", queue="amq.rabbitmq.reply-to",
                         broker=f"amqp://guest:guest@127.0.0.1:{amqp.port}/")
    return [
        ("redis: 6 commands behind a 0.4 s hop", 1.5, lambda: redis.probe(redis_target(slow.port), 1.5)),
        ("redis: INFO trickled a byte per 20 ms", 1.5, lambda: redis.probe(redis_target(trickle.port), 1.5)),
        ("postgresql: 3 queries of 0.8 s", 2.0,
         lambda: database.probe(sleepy(pg.url(), "pg_sleep(0.8)"), 2.0)),
        ("mariadb: 3 queries of 0.8 s", 2.0,
         lambda: database.probe(sleepy(maria.url, "SLEEP(0.8)"), 2.0)),
        ("rabbitmq: handshake + declare behind a 0.5 s hop", 2.25, lambda: queue.probe(broker, 2.25)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with ExitStack() as stack:
        for name, timeout, call in scenarios(stack):
            results = [timed(call) for _ in range(runs)]
            wall = statistics.median(seconds for seconds, _ in results)
            outcomes = sorted({outcome for _, outcome in results})
            print(f"{name:52} timeout {timeout:4.2f}s  median {wall:5.2f}s  over by {wall - timeout:+.2f}s  "
                  f"{'/'.join(outcomes)}")


if __name__ == "__main__":
    main()
