"""The Redis probe against real servers: the machine's Redis and throwaway broken ones."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgate.errors import ProbeConfigError, TlsFailure, Unreachable
from opsgate.probes.redis import probe
from opsgate.targets.redis import RedisTarget
from tests.conftest import free_port
from tests.servers import RedisServer
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
