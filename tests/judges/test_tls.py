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
from tests.servers_tls import NOW, Cert, Chain, TlsServer, issue, make_chain, sign_sha1


def findings(tmp_path: Path, target_keys: dict[str, Any] | None = None,
             max_version: ssl.TLSVersion | None = None, chain: Chain | None = None,
             **options: Any) -> list[tuple[str, str]]:
    """The findings on a server presenting `chain` (else `make_chain(**options)`); the target
    trusts the chain's root unless `target_keys` says otherwise."""
    served = chain if chain is not None else make_chain(**options)
    with TlsServer(served, tmp_path, max_version=max_version) as server:
        keys = {"host": "127.0.0.1", "ca_bundle": str(server.ca_bundle), **(target_keys or {})}
        target = TlsTarget(name="t", address="127.0.0.1", port=server.port, **keys)
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
    assert "(3.0 days ago; serial " in message


@pytest.mark.parametrize(("days", "expired"), [(0.5, False), (-0.5, True)])
def test_the_last_day_is_not_yet_expired(tmp_path: Path, days: float, expired: bool) -> None:
    [(level, message)] = findings(tmp_path, days=days, start_days=-30)
    assert level == "crit"
    assert message.startswith("certificate EXPIRED on " if expired else "certificate days left is 0.5 days")


def test_not_yet_valid(tmp_path: Path) -> None:
    # One finding: the verifying client's "not yet valid" says the same and is left out.
    [(level, message)] = findings(tmp_path, start_days=2, days=60)
    assert level == "crit" and message.startswith("certificate is not valid yet: valid from")


def test_an_expired_intermediate_under_a_valid_leaf_is_a_trust_failure(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, days=60, intermediate_days=-0.5)]
    assert ("certificate not accepted by a verifying client: certificate has expired; a certificate of "
            "the chain has expired: renew it") in messages


def test_an_intermediate_outliving_the_leaf_is_not_judged(tmp_path: Path) -> None:
    # The leaf (10 days) is the finding; the intermediate (12 days) expires after it.
    [(level, message)] = findings(tmp_path, days=10, intermediate_days=12)
    assert level == "crit" and message.startswith("certificate days left is ")


def test_intermediate_expiring_before_the_leaf(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, days=300, intermediate_days=5)]
    assert any(m.startswith("verified chain days left (CN=opsgate test intermediate) is ") and
               "install the CA's current intermediate" in m for m in messages)


def test_wrong_host(tmp_path: Path) -> None:
    [(_, message)] = findings(tmp_path, {"host": "shop.example.test"})
    assert "Hostname mismatch" in message
    assert "it does not cover shop.example.test (SANs: localhost, 127.0.0.1); reissue it" in message


def test_untrusted_self_signed_names_the_system_trust_store(tmp_path: Path) -> None:
    [(_, message)] = findings(tmp_path, {"ca_bundle": None}, self_signed=True)
    assert "self-signed certificate" in message
    assert message.endswith("CN=127.0.0.1 is not in the system trust store; use a certificate from a "
                            "trusted CA, or set ca_bundle to the private CA")


def test_a_chain_without_its_intermediate_names_the_ca_bundle(tmp_path: Path) -> None:
    full = make_chain()
    [(_, message)] = findings(tmp_path, chain=Chain(full.leaf, [], full.root))
    assert "unable to get local issuer certificate" in message
    assert f"the chain does not lead to a CA in the CA bundle {tmp_path / 'ca.pem'}: serve the full " \
           "chain (leaf + intermediates)" in message


def test_sha1_signature(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, sha1=True)]
    assert "leaf is signed with SHA1, which is broken: reissue it with SHA-256" in messages


def test_rsa_1024(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, key="rsa1024")]
    assert "leaf has a RSA-1024 key, below RSA-2048: reissue it with a stronger key" in messages
    assert any(m.startswith("certificate not accepted by a verifying client: ") and m.endswith(
        "reissue it with a strong key and a SHA-256 (or better) signature") for m in messages)


def test_a_key_stronger_than_the_minimum_is_no_finding(tmp_path: Path) -> None:
    assert findings(tmp_path, key="rsa3072") == []


def test_a_self_signed_sha1_root_in_the_chain_is_not_a_finding(tmp_path: Path) -> None:
    # Clients never check a trust anchor's own signature, so a SHA-1 root is harmless.
    root = sign_sha1("opsgate sha1 root", None, 3650, ca=True)
    leaf = issue("127.0.0.1", root, ca=False, days=90, hosts=("127.0.0.1",))
    assert findings(tmp_path, chain=Chain(leaf, [root], root)) == []


def test_a_self_signed_sha1_leaf_is_a_finding(tmp_path: Path) -> None:
    leaf = sign_sha1("127.0.0.1", None, 90, hosts=("127.0.0.1",))
    messages = [m for _, m in findings(tmp_path, chain=Chain(leaf, [], leaf))]
    assert "leaf is signed with SHA1, which is broken: reissue it with SHA-256" in messages


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
def test_the_earliest_of_two_intermediates_is_named(tmp_path: Path) -> None:
    # The upper intermediate expires in 5 days, the one below it in 40, the leaf in 300.
    found = findings(tmp_path, days=300, intermediate_days=(5, 40))
    chain = [(level, m) for level, m in found if m.startswith("verified chain days left")]
    assert len(chain) == 1, found
    level, message = chain[0]
    assert level == "crit"
    assert message.startswith("verified chain days left (CN=opsgate test intermediate) is 5.0 days")


def test_exactly_the_minimum_version_has_no_finding(tmp_path: Path) -> None:
    assert findings(tmp_path, max_version=ssl.TLSVersion.TLSv1_2,
                    target_keys={"min_version": "TLSv1.2"}) == []


def test_sha1_intermediate(tmp_path: Path) -> None:
    messages = [m for _, m in findings(tmp_path, sha1_intermediate=True)]
    assert ("chain[1] CN=opsgate test intermediate is signed with SHA1, which is broken: "
            "reissue it with SHA-256") in messages
    assert not any(m.startswith("leaf is signed with") for m in messages)
