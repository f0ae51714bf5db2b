"""TLS rules on facts read from real servers: each broken certificate gets its precise finding."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from opsgate.judges.tls import judge_tls
from opsgate.probes.tls import probe
from opsgate.targets.tls import TlsTarget
from opsgate.verdict import Verdict
from tests.servers_tls import TlsServer, make_chain


def findings(tmp_path: Path, target_keys: dict[str, Any] | None = None,
             max_version: ssl.TLSVersion | None = None, **chain: Any) -> list[tuple[str, str]]:
    keys = {"host": "127.0.0.1", **(target_keys or {})}
    with TlsServer(make_chain(**chain), tmp_path, max_version=max_version) as server:
        target = TlsTarget(name="t", address="127.0.0.1", port=server.port,
                           ca_bundle=str(server.ca_bundle), **keys)
        verdict = Verdict(target=target)
        judge_tls(target, probe(target, 5), verdict)
    return [(f.level, f.message) for f in verdict.findings]


def test_healthy_certificate_has_no_findings(tmp_path: Path) -> None:
    assert findings(tmp_path) == []


@pytest.mark.parametrize(("days", "level"), [(10, "crit"), (18, "warn")])
def test_expiry_thresholds(tmp_path: Path, days: int, level: str) -> None:
    [(seen, message)] = findings(tmp_path, days=days)
    assert seen == level
    assert message.startswith("certificate days left is ")
    assert "renew the certificate" in message


def test_expired(tmp_path: Path) -> None:
    [(level, message)] = findings(tmp_path, days=-3, start_days=-40)
    assert level == "crit" and message.startswith("certificate EXPIRED on ")


def test_not_yet_valid(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, start_days=2, days=60)]
    assert any(m.startswith("certificate is not valid yet: valid from") for m in messages)


def test_intermediate_expiring_before_the_leaf(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, days=300, intermediate_days=5)]
    assert any(m.startswith("chain days left (CN=opsgate test intermediate) is ") and
               "install the CA's current intermediate" in m for m in messages)


def test_wrong_host(tmp_path: Path) -> None:
    [(_, message)] = findings(tmp_path, {"host": "shop.example.test"})
    assert "Hostname mismatch" in message and "does not cover shop.example.test" in message


def test_sha1_signature(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, sha1=True)]
    assert "leaf is signed with SHA1, which is broken: reissue it with SHA-256" in messages


def test_rsa_1024(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, key="rsa1024")]
    assert "leaf has a RSA-1024 key, below RSA-2048: reissue it with a stronger key" in messages


def test_tls_version_below_minimum(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, max_version=ssl.TLSVersion.TLSv1_2,
                                       target_keys={"min_version": "TLSv1.3"})]
    assert messages == ["the server negotiated TLSv1.2, below the minimum TLSv1.3: enable TLSv1.3+ and "
                        "disable older protocols in its TLS settings"]


def test_the_earliest_of_two_intermediates_is_named(tmp_path: Path) -> None:
    # The upper intermediate expires in 5 days, the one below it in 40, the leaf in 300.
    found = findings(tmp_path, days=300, intermediate_days=(5, 40))
    chain = [(level, m) for level, m in found if m.startswith("chain days left")]
    assert len(chain) == 1, found
    level, message = chain[0]
    assert level == "crit"
    assert message.startswith("chain days left (CN=opsgate test intermediate) is 5.0 days")


def test_exactly_the_minimum_version_has_no_finding(tmp_path: Path) -> None:
    assert findings(tmp_path, max_version=ssl.TLSVersion.TLSv1_2,
                    target_keys={"min_version": "TLSv1.2"}) == []


def test_sha1_intermediate(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, sha1_intermediate=True)]
    assert ("chain[1] CN=opsgate test intermediate is signed with SHA1, which is broken: "
            "reissue it with SHA-256") in messages
    assert not any(m.startswith("leaf is signed with") for m in messages)
