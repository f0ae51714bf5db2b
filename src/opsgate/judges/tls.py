"""Rules for a TLS endpoint: expiry of leaf and chain, trust, hostname, version, keys, hashes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from opsgate.targets.tls import TLS_VERSIONS, TlsTarget
from opsgate.units import Threshold

if TYPE_CHECKING:
    from opsgate.probes.tls import CertInfo, TlsFacts
    from opsgate.verdict import Verdict

WEAK_HASHES = frozenset({"md5", "sha1"})
_RENEW = "renew the certificate now (certbot renew / your CA's console) and reload the server"


def format_days(days: float) -> str:
    return f"{days:.1f} days"


def judge_tls(target: TlsTarget, facts: TlsFacts, verdict: Verdict) -> None:
    """Add a finding for every problem of the presented chain and the handshake."""
    verdict.evidence("certificate chain", facts.chain_table())
    leaf = facts.leaf
    verdict.note("tls version", facts.version)
    verdict.note("issuer", leaf.issuer)
    verdict.note("serial", leaf.serial)
    verdict.note("not after", leaf.not_after.isoformat())
    validity_reported = _judge_leaf_validity(target, leaf, facts.checked_at, verdict)
    _judge_chain_expiry(target, facts, verdict)
    if target.verify:
        _judge_trust(target, facts, verdict, validity_reported)
    _judge_version(target, facts, verdict)
    _judge_strength(target, facts, verdict)


def _judge_leaf_validity(target: TlsTarget, leaf: CertInfo, now: datetime, verdict: Verdict) -> bool:
    """True when the leaf is expired or not yet valid (a finding already says so)."""
    days = leaf.days_left(now)
    if days < 0:
        verdict.note("certificate days left", days, format_days(days))
        verdict.fail(f"certificate EXPIRED on {leaf.not_after:%Y-%m-%d %H:%M} UTC "
                     f"({-days:.1f} days ago; serial {leaf.serial}, issuer {leaf.issuer}): {_RENEW}")
        return True
    verdict.measure("certificate days left", days, target.days_left, floor=True, fmt=format_days,
                    advice=f"expires {leaf.not_after:%Y-%m-%d} UTC; {_RENEW}")
    if leaf.not_before > now:
        verdict.fail(f"certificate is not valid yet: valid from {leaf.not_before:%Y-%m-%d %H:%M} UTC "
                     "(a clock problem on the issuing side, or deployed too early); "
                     "check the server's certificate and both clocks")
        return True
    return False


def _judge_chain_expiry(target: TlsTarget, facts: TlsFacts, verdict: Verdict) -> None:
    """The earliest NotAfter before the leaf's over the chain clients use (the verified one, else the
    presented one); certificates presented but unused by the verifying client (an old cross-sign)
    only warn, as blackbox_exporter tells earliest expiry from last-chain expiry."""
    if facts.chain_unread:
        verdict.warn(f"the certificate chain could not be read ({facts.chain_unread}), so only the "
                     "leaf's expiry is judged; run opsgate on Python 3.13+ or check the chain by hand")
    used = facts.verified_chain or facts.chain
    in_use = {(c.subject, c.serial) for c in used}
    label = "verified chain" if facts.verified_chain else "chain"
    _judge_earliest(f"{label} days left", used[1:], facts, target.chain_threshold, verdict,
                    advice="install the CA's current intermediate in the server's chain file")
    unused = [c for c in facts.chain[1:] if (c.subject, c.serial) not in in_use]
    threshold = target.chain_threshold
    _judge_earliest("unused presented certificate days left", unused if facts.verified_chain else [],
                    facts, Threshold(warn=threshold.warn if threshold.warn is not None else threshold.crit),
                    verdict,
                    advice="the server sends it but clients verify without it (an old cross-sign?); "
                           "drop it from the server's chain file")


def _judge_earliest(
    name: str, certs: Sequence[CertInfo], facts: TlsFacts, threshold: Threshold, verdict: Verdict,
    advice: str,
) -> None:
    expiring = [c for c in certs if not c.not_after > facts.leaf.not_after]
    if not expiring:
        return
    first = min(expiring, key=lambda c: c.not_after)
    verdict.measure(
        f"{name} ({first.subject})", first.days_left(facts.checked_at), threshold, floor=True,
        fmt=format_days,
        advice=f"{first.subject} expires {first.not_after:%Y-%m-%d} UTC, before the leaf; {advice}",
    )


def _judge_trust(target: TlsTarget, facts: TlsFacts, verdict: Verdict, validity_reported: bool) -> None:
    if not facts.leaf.has_san:
        verdict.fail("certificate has no subjectAltName extension: clients ignore the CN; "
                     "reissue it with the host names as SANs")
    if facts.verified:
        return
    error = facts.verify_error or "unknown reason"
    lowered = error.lower()
    if validity_reported and ("expired" in lowered or "not yet valid" in lowered):
        return
    advice = _trust_advice(target, facts, lowered)
    verdict.fail(f"certificate not accepted by a verifying client: {error}; {advice}")


def _trust_advice(target: TlsTarget, facts: TlsFacts, error: str) -> str:
    store = f"the CA bundle {target.ca_bundle}" if target.ca_bundle else "the system trust store"
    if "hostname mismatch" in error or "ip address mismatch" in error:
        names = ", ".join(facts.leaf.san) or "none"
        return f"it does not cover {target.host} (SANs: {names}); reissue it with that name"
    if "self-signed" in error or "self signed" in error:
        return (f"{facts.leaf.issuer} is not in {store}; use a certificate from a trusted CA, "
                "or set ca_bundle to the private CA")
    if "local issuer" in error or "issuer certificate" in error:
        return (f"the chain does not lead to a CA in {store}: serve the full chain (leaf + "
                "intermediates), or set ca_bundle for a private CA")
    if "too weak" in error or "too small" in error:
        return "reissue it with a strong key and a SHA-256 (or better) signature"
    if "expired" in error:
        return "a certificate of the chain has expired: renew it"
    return f"inspect the chain in the report against {store}"


def _judge_version(target: TlsTarget, facts: TlsFacts, verdict: Verdict) -> None:
    if facts.version not in TLS_VERSIONS:
        verdict.fail(f"negotiated protocol {facts.version} is older than TLS 1.0")
    elif TLS_VERSIONS.index(facts.version) < TLS_VERSIONS.index(target.min_version):
        verdict.fail(f"the server negotiated {facts.version}, below the minimum {target.min_version}: "
                     f"enable {target.min_version}+ and disable older protocols in its TLS settings")


def _judge_strength(target: TlsTarget, facts: TlsFacts, verdict: Verdict) -> None:
    for index, cert in enumerate(facts.chain):
        role = "leaf" if index == 0 else f"chain[{index}] {cert.subject}"
        if cert.signature_hash in WEAK_HASHES and not (index > 0 and cert.self_signed):
            verdict.fail(f"{role} is signed with {cert.signature_hash.upper()}, which is broken: "
                         "reissue it with SHA-256")
        minimum = {"RSA": target.min_rsa_bits, "EC": target.min_ec_bits}.get(cert.key_type)
        if minimum is not None and cert.key_bits < minimum:
            verdict.fail(f"{role} has a {cert.key_type}-{cert.key_bits} key, below {cert.key_type}-"
                         f"{minimum}: reissue it with a stronger key")
