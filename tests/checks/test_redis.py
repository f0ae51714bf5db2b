"""The Redis check end to end: real servers, the plugin, messages and outcomes."""

from __future__ import annotations

import pytest

from tests.conftest import RunChecks
from tests.servers import RedisServer
from tests.servers.delay import DelayingProxy


def test_the_machines_redis_passes(run_checks: RunChecks) -> None:
    result = run_checks(
        """
        name: t
        redis:
          - {name: cache, url: "redis://127.0.0.1:6379/0", queues: {opsgate-none: {warn: 50, crit: 200}}}
    """,
        "-m",
        "smoke",
    )
    result.assert_outcomes(passed=1)


def test_memory_past_crit_fails_with_the_ratio_and_advice(
    run_checks: RunChecks, full_redis: RedisServer
) -> None:
    result = run_checks(f"""
        name: t
        redis:
          - {{name: cache, url: "{full_redis.url}", used_memory_max: {{warn: 1MB}}}}
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*redis cache: 1 problem(s):",
            "*- used_memory/maxmemory is *%, above the limit 95% (crit): *MiB of maxmemory 4MiB "
            "(policy noeviction); at 100% writes fail with OOM errors: find big keys*",
            "*- (warn) used_memory is *MiB, above the limit 976.6KiB (warn)*",
        ]
    )


def test_celery_list_past_crit_fails(run_checks: RunChecks, tmp_path_factory: pytest.TempPathFactory) -> None:
    with RedisServer(tmp_path_factory.mktemp("celery")) as server:
        server.client().rpush("celery", *range(250))
        result = run_checks(f"""
            name: t
            redis:
              - {{name: cache, url: "{server.url}", queues: {{celery: {{warn: 50, crit: 200}}}}}}
        """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*redis cache: queue 'celery' depth is 250, above the limit 200 (crit): workers are not keeping up: "
         "check that they run and their error logs (celery inspect ping / active), then scale workers*"]
    )


def test_wrong_password_fails_and_never_shows_it(
    run_checks: RunChecks, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with RedisServer(tmp_path_factory.mktemp("auth"), password="right-horse-battery") as server:
        result = run_checks(f"""
            name: t
            redis:
              - {{name: cache, url: "redis://:wrong-pony-staple@127.0.0.1:{server.port}/0"}}
        """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"redis 127.0.0.1:{server.port}: authentication failed*"
            "update the url (e.g. REDIS_URL)"
        ]
    )
    assert "wrong-pony-staple" not in result.stdout.str()


def test_stopped_server_fails_as_unreachable(
    run_checks: RunChecks, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with RedisServer(tmp_path_factory.mktemp("stopped")) as server:
        server.stop()
        result = run_checks(f"""
            name: t
            redis:
              - {{name: cache, url: "{server.url}"}}
        """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*redis 127.0.0.1:{server.port}: connection refused by "
            f"127.0.0.1:{server.port}: is redis-server running?"
        ]
    )


def test_a_replica_whose_master_is_gone_fails(
    run_checks: RunChecks, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with RedisServer(tmp_path_factory.mktemp("replica"), "--replicaof", "127.0.0.1", "1") as server:
        result = run_checks(f"""
            name: t
            redis:
              - {{name: replica, url: "{server.url}", role: master}}
        """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- role is replica, expected master: a failover may have happened*",
            "*- replication link to master 127.0.0.1:1 is 'down'*, expected 'up'*",
        ]
    )


@pytest.mark.parametrize("xdist", [[], ["-n", "1"]], ids=["inline", "xdist"])
def test_a_slow_server_fails_within_the_timeout_with_and_without_xdist(
    run_checks: RunChecks, tmp_path_factory: pytest.TempPathFactory, xdist: list[str],
) -> None:
    """Six round trips of 0.4 s each against a 1.5 s timeout: the same ProbeTimeout either way
    (under xdist the probe runs in the test's own thread, with the same deadline)."""
    with RedisServer(tmp_path_factory.mktemp("slow")) as server, DelayingProxy(server.port, 0.4) as slow:
        result = run_checks(f"""
            name: t
            defaults: {{timeout: 1500ms, retries: 0}}
            redis:
              - {{name: cache, url: "redis://127.0.0.1:{slow.port}/0", queues: {{a: 1, b: 1, c: 1}}}}
        """, *xdist)
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines([
        rf".*redis 127\.0\.0\.1:{slow.port}: "
        r"no (complete answer within the probe's 1\.5s"
        r"|time left for LLEN .: the probe's 1\.5s timeout ran out).*"])
