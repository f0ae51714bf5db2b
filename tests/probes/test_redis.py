"""The Redis probe against real servers: the machine's Redis and throwaway broken ones."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgate.errors import ProbeConfigError, ProbeTimeout, ProtocolFailure, TlsFailure, Unreachable
from opsgate.judges.redis import judge_replication
from opsgate.probes.redis import RedisFacts, probe
from opsgate.targets.redis import RedisTarget
from opsgate.verdict import Verdict
from tests.conftest import free_port
from tests.servers import RedisServer
from tests.servers.delay import DelayingProxy
from tests.servers_tls import make_chain

READ_COMMANDS = {"ping", "info", "dbsize", "llen"}


def target(url: str, **fields: object) -> RedisTarget:
    return RedisTarget.model_validate({"name": "t", "url": url, **fields})


def test_a_full_server_reports_memory_near_maxmemory(full_redis: RedisServer) -> None:
    facts = probe(target(full_redis.url), 5)
    assert facts.number("maxmemory") == 4 * 1024 * 1024
    assert facts.number("used_memory") / facts.number("maxmemory") > 0.95
    assert facts.dbsize > 500


def test_list_lengths_are_read(tmp_path: Path) -> None:
    with RedisServer(tmp_path) as server:
        server.client().rpush("celery", *range(7))
        facts = probe(target(server.url, queues={"celery": 50, "other": 1}), 5)
    assert facts.queue_lengths == {"celery": 7, "other": 0}


def test_wrong_password_is_a_config_error_without_the_password(tmp_path: Path) -> None:
    with RedisServer(tmp_path, password="right-horse-battery") as server:
        assert probe(target(server.url), 5).dbsize == 0
        wrong = server.url.replace("right-horse-battery", "wrong-pony-staple")
        with pytest.raises(ProbeConfigError, match="authentication failed") as caught:
            probe(target(wrong), 5)
        with pytest.raises(ProbeConfigError, match="authentication failed"):
            probe(target(f"redis://127.0.0.1:{server.port}/0"), 5)
    assert "wrong-pony-staple" not in str(caught.value) and "right-horse" not in str(caught.value)


def test_a_server_stopped_mid_run_is_unreachable(tmp_path: Path) -> None:
    with RedisServer(tmp_path) as server:
        assert probe(target(server.url), 5).info["role"] == "master"
        server.stop()
        with pytest.raises(Unreachable, match=rf"redis 127.0.0.1:{server.port}: connection refused"):
            probe(target(server.url), 5)


def test_a_replica_of_a_dead_master_reports_the_link_down(tmp_path: Path) -> None:
    with RedisServer(tmp_path, "--replicaof", "127.0.0.1", str(free_port())) as server:
        facts = probe(target(server.url), 5)
    assert facts.info["role"] == "slave" and facts.info["master_link_status"] == "down"


def test_only_read_commands_reach_the_server(tmp_path: Path) -> None:
    """MONITOR shows every command the server executes while the probe runs."""
    with RedisServer(tmp_path) as server:
        seen: list[str] = []
        ready = threading.Event()

        def watch() -> None:
            with server.client().monitor() as monitor:
                ready.set()
                for event in monitor.listen():
                    if event["command"] == "QUIT":
                        continue
                    seen.append(event["command"])
                    if event["command"].lower().startswith("llen"):
                        return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        ready.wait(5)
        probe(target(server.url, queues={"celery": 10}), 5)
        watcher.join(5)
    commands = {command.split()[0].lower() for command in seen}
    assert commands == READ_COMMANDS, seen


def test_all_commands_together_respect_the_probe_timeout(tmp_path: Path) -> None:
    """Each of six round trips takes 0.4 s behind a slow hop: every one fits a 1.5 s timeout, all
    of them together do not, so the probe stops when its time is used up."""
    with RedisServer(tmp_path) as server, DelayingProxy(server.port, 0.4) as slow:
        url = f"redis://127.0.0.1:{slow.port}/0"
        started = time.monotonic()
        with pytest.raises(ProbeTimeout,
                           match=rf"redis 127.0.0.1:{slow.port}: no (complete answer|time left for)"):
            probe(target(url, queues={"a": 1, "b": 1, "c": 1}), 1.5)
        assert time.monotonic() - started < 1.5 + 2  # the run's guarantee: its deadline + 2 s
        assert probe(target(url), 3).dbsize == 0  # PING, INFO, DBSIZE: 1.2 s of 3 s


def test_a_reply_trickling_in_byte_by_byte_is_cut_at_the_probe_timeout(tmp_path: Path) -> None:
    """INFO's reply (several KB) arrives a byte every 20 ms: no single read ever times out."""
    with RedisServer(tmp_path) as server, DelayingProxy(server.port, 0.0, trickle=0.02) as trickling:
        started = time.monotonic()
        with pytest.raises(ProbeTimeout, match=rf"redis 127.0.0.1:{trickling.port}: no complete answer "
                                               r"within the probe's 1.5s \(the server hangs or trickles"):
            probe(target(f"redis://127.0.0.1:{trickling.port}/0"), 1.5)
        assert time.monotonic() - started < 1.5 + 2  # the run's guarantee: its deadline + 2 s


def test_a_stopped_server_times_out_within_the_probe_timeout(tmp_path: Path) -> None:
    with RedisServer(tmp_path) as server:
        assert server.process is not None
        server.process.send_signal(signal.SIGSTOP)
        try:
            with pytest.raises(ProbeTimeout, match="no complete answer within the probe's 0.5s"):
                probe(target(server.url), 0.5)
        finally:
            server.process.send_signal(signal.SIGCONT)


def test_replication_offsets_of_a_real_master_and_replica(tmp_path: Path) -> None:
    """A paused replica falls behind its master's writes: the master's INFO says by how many bytes."""
    with RedisServer(tmp_path / "master") as master, \
            RedisServer(tmp_path / "replica", "--replicaof", "127.0.0.1", str(master.port)) as replica:
        _wait_online(master)
        healthy = probe(target(master.url), 5)
        assert findings(healthy, target(master.url)) == []
        replica_facts = probe(target(replica.url), 5)
        assert replica_facts.info["master_link_status"] == "up"
        names = [m.name for m in judged(replica_facts, target(replica.url)).measurements]
        assert "time since the master was last heard from (master_last_io_seconds_ago)" in names
        assert replica.process is not None
        replica.process.send_signal(signal.SIGSTOP)
        try:
            master.client().set("big", b"x" * 2_000_000)
            behind = probe(target(master.url), 5)
        finally:
            replica.process.send_signal(signal.SIGCONT)
    assert findings(behind, target(master.url, replica_offset_lag={"warn": "4MiB"})) == []
    assert findings(behind, target(master.url, replica_offset_lag=None)) == []
    [(level, message)] = findings(behind, target(master.url))  # crit at the 1 MiB repl_backlog_size
    assert level == "crit"
    assert message.startswith(f"replica 127.0.0.1:{replica.port} behind the master (master_repl_offset"
                              " - replica offset) is 1.907MiB, above the limit 1MiB (crit)")


def _wait_online(master: RedisServer) -> None:
    for _ in range(200):
        if master.client().info("replication").get("slave0", {}).get("state") == "online":
            return
        time.sleep(0.05)
    raise AssertionError("the replica never came online")


def judged(facts: RedisFacts, redis_target: RedisTarget) -> Verdict:
    verdict = Verdict(target=redis_target)
    judge_replication(redis_target, facts, verdict)
    return verdict


def findings(facts: RedisFacts, redis_target: RedisTarget) -> list[tuple[str, str]]:
    return [(f.level, f.message) for f in judged(facts, redis_target).findings]


def test_the_documented_acl_is_enough_and_a_missing_command_is_named(tmp_path: Path) -> None:
    """docs/privileges.md: `+ping +info +dbsize +llen +select` and read access to the queue keys."""
    with RedisServer(tmp_path) as server:
        admin = server.client()
        admin.acl_setuser("watcher", enabled=True, passwords=["+pw"], keys=["%R~celery"],
                          commands=["-@all", "+ping", "+info", "+dbsize", "+llen", "+select"])
        admin.acl_setuser("blind", enabled=True, passwords=["+pw"], commands=["-@all", "+ping", "+dbsize"])
        facts = probe(target(f"redis://watcher:pw@127.0.0.1:{server.port}/1", queues={"celery": 5}), 5)
        with pytest.raises(ProbeConfigError, match=r"the server refused a read command: .*'info'.*"
                                                   r"needs \+ping \+info \+dbsize \+llen"):
            probe(target(f"redis://blind:pw@127.0.0.1:{server.port}/0"), 5)
    assert facts.info["role"] == "master" and facts.queue_lengths == {"celery": 0}


@pytest.mark.parametrize("password", [None, "pw"], ids=["refused-on-connect", "refused-on-auth"])
def test_a_server_at_maxclients_is_a_connection_limit_not_unreachable(
        tmp_path: Path, password: str | None) -> None:
    """redis-server refuses a client past maxclients with an error reply: redis-py reports it as
    "Connection not ready" from its pool (no password) or as the reply to AUTH (password)."""
    with RedisServer(tmp_path, "--maxclients", "2", password=password) as server:
        held = [server.client() for _ in range(2)]
        for client in held:
            client.ping()
        try:
            with pytest.raises(ProtocolFailure, match=rf"redis 127.0.0.1:{server.port}: connection limit "
                                                      r"reached: .*'max number of clients reached'"):
                probe(target(server.url), 5)
        finally:
            for client in held:
                client.close()
@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A TLS-only redis-server whose certificate chains to a root made here and trusted nowhere."""
    with RedisServer(tmp_path_factory.mktemp("tls-redis"), tls=make_chain()) as server:
        yield server


def test_rediss_refuses_a_certificate_it_cannot_verify(tls_redis: RedisServer) -> None:
    with pytest.raises(TlsFailure, match=rf"redis 127.0.0.1:{tls_redis.port}: TLS handshake failed: "
                                         "unable to get local issuer certificate"):
        probe(target(tls_redis.url), 5)


def test_rediss_with_the_private_ca_or_insecure_is_read(tls_redis: RedisServer) -> None:
    assert probe(target(tls_redis.url, ca_bundle=str(tls_redis.ca_bundle)), 5).info["role"] == "master"
    assert probe(target(tls_redis.url, insecure=True), 5).info["role"] == "master"


def test_the_urls_database_number_is_the_one_read(tmp_path: Path) -> None:
    with RedisServer(tmp_path) as server:
        server.client(db=3).mset({"a": 1, "b": 2})
        facts = probe(target(server.url.removesuffix("/0") + "/3"), 5)
        assert probe(target(server.url), 5).dbsize == 0
    assert (facts.db, facts.dbsize) == (3, 2)
