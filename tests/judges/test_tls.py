"""TLS rules on facts read from real servers: each broken certificate gets its precise finding."""

from __future__ import annotations

import ssl
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from opsgate.judges.tls import judge_tls
from opsgate.probes.tls import TlsFacts, probe
from opsgate.targets.tls import TlsTarget
from opsgate.verdict import Verdict
from tests.servers_tls import NOW, Cert, Chain, TlsServer, issue, make_chain


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
    assert any(m.startswith("verified chain days left (CN=opsgate test intermediate) is ") and
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


@pytest.mark.parametrize(("served", "minimum"), [(ssl.TLSVersion.TLSv1, "TLSv1"),
                                                 (ssl.TLSVersion.TLSv1_1, "TLSv1.1")])
def test_an_old_minimum_version_can_pass(tmp_path: Path, served: ssl.TLSVersion, minimum: str) -> None:
    """The verifying handshake speaks the server's version: a valid certificate passes on TLS 1.0/1.1,
    and a TLS 1.2 minimum blames the protocol, not the certificate."""
    assert findings(tmp_path, {"min_version": minimum}, max_version=served) == []
    [(level, message)] = findings(tmp_path / "strict", max_version=served)
    assert level == "crit"
    assert message.startswith(f"the server negotiated {minimum}, below the minimum TLSv1.2")


def test_an_expiring_cross_sign_the_clients_do_not_use_only_warns(tmp_path: Path) -> None:
    """The server also sends the root cross-signed by an old root, expiring in 5 days; clients trust
    the root itself, so the chain they verify expires in years."""
    chain = make_chain()
    old_root = issue("opsgate old root", None, ca=True, days=3650)
    cross = Cert(
        x509.CertificateBuilder().subject_name(chain.root.cert.subject).issuer_name(old_root.cert.subject)
        .public_key(chain.root.key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=300)).not_valid_after(NOW + timedelta(days=5))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(old_root.key, hashes.SHA256()),
        chain.root.key,
    )
    chain.intermediates.append(cross)
    target, facts = served(chain, tmp_path)
    assert [c.subject for c in facts.verified_chain] == [
        "CN=127.0.0.1", "CN=opsgate test intermediate", "CN=opsgate test root"]
    assert "verified chain: CN=127.0.0.1 -> CN=opsgate test intermediate -> CN=opsgate test root" in (
        facts.chain_table())
    [(level, message)] = judged(target, facts)
    assert level == "warn"
    assert message.startswith("unused presented certificate days left (CN=opsgate test root) is 5.0 days, "
                              "below the minimum 20.0 days (warn): CN=opsgate test root expires ")
    assert "clients verify without it (an old cross-sign?); drop it from the server's chain file" in message


def test_an_unread_chain_is_said_in_the_verdict(tmp_path: Path) -> None:
    target, facts = served(make_chain(), tmp_path)
    unread = "this Python's ssl module has no get_unverified_chain(): only the leaf was read"
    leaf_only = replace(facts, chain=facts.chain[:1], verified_chain=(), chain_unread=unread)
    [(level, message)] = judged(target, leaf_only)
    assert level == "warn"
    assert message.startswith("the certificate chain could not be read (this Python's ssl module has no "
                              "get_unverified_chain(): only the leaf was read), so only the leaf's expiry")


def served(chain: Chain, directory: Path) -> tuple[TlsTarget, TlsFacts]:
    """The facts a probe reads from a server presenting `chain`, and its target."""
    with TlsServer(chain, directory) as server:
        target = TlsTarget(name="t", host="127.0.0.1", port=server.port, ca_bundle=str(server.ca_bundle))
        return target, probe(target, 5)


def judged(target: TlsTarget, facts: TlsFacts) -> list[tuple[str, str]]:
    verdict = Verdict(target=target)
    judge_tls(target, facts, verdict)
    return [(f.level, f.message) for f in verdict.findings]
