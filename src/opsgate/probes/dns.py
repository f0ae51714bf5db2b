"""DNS probe: one query (dnspython) through the system resolver or the profile's nameservers."""

from __future__ import annotations

import time
from dataclasses import dataclass

import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from opsgate.errors import ProbeConfigError, ProbeTimeout, ProtocolFailure, Unreachable
from opsgate.targets.dns import DnsTarget


@dataclass(frozen=True)
class DnsFacts:
    """The answers to one query, as text, with their TTL and how long resolution took."""

    host: str
    type: str
    resolver: str
    answers: tuple[str, ...]
    ttl: int | None
    elapsed: float
    canonical_name: str

    def evidence(self) -> str:
        lines = [f"{self.host} {self.type} via {self.resolver} in {self.elapsed * 1000:.1f} ms"
                 f" (ttl {self.ttl}, canonical name {self.canonical_name}):"]
        lines += [f"  {answer}" for answer in self.answers] or ["  (no records)"]
        return "\n".join(lines)


def probe(target: DnsTarget, timeout: float) -> DnsFacts:
    """Resolve the target's name and type within `timeout`; failures say NXDOMAIN/SERVFAIL/timeout."""
    resolver = _resolver(target, timeout)
    where = f"{target.host} {target.type} via {_resolver_label(target, resolver)}"
    started = time.perf_counter()
    try:
        answer = resolver.resolve(target.host, target.type, tcp=target.tcp, search=False,
                                  raise_on_no_answer=False, lifetime=timeout)
    except dns.resolver.NXDOMAIN:
        raise ProtocolFailure(f"{where}: NXDOMAIN, the name does not exist; check the record in "
                              "the zone (typo, deleted record, or a delegation problem)") from None
    except dns.resolver.LifetimeTimeout:
        raise ProbeTimeout(f"{where}: no answer within {timeout:g}s: the nameserver is down, "
                           "firewalled or overloaded") from None
    except dns.resolver.NoNameservers as exc:
        raise ProtocolFailure(f"{where}: {_rcodes(exc)}") from None
    except dns.exception.DNSException as exc:
        raise Unreachable(f"{where}: {type(exc).__name__}: {exc}") from None
    elapsed = time.perf_counter() - started
    rrset = answer.rrset
    return DnsFacts(
        host=target.host, type=target.type, resolver=_resolver_label(target, resolver),
        answers=tuple(_text(rdata) for rdata in rrset) if rrset is not None else (),
        ttl=rrset.ttl if rrset is not None else None, elapsed=elapsed,
        canonical_name=answer.canonical_name.to_text(omit_final_dot=True),
    )


def _resolver(target: DnsTarget, timeout: float) -> dns.resolver.Resolver:
    if not target.nameservers:
        try:
            resolver = dns.resolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration as exc:
            raise ProbeConfigError(f"dns {target.name}: no system resolver configured ({exc}); "
                                   "give 'nameservers'") from None
    else:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(address, port)
                                for address, port in target.servers]
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = None
    return resolver


def _resolver_label(target: DnsTarget, resolver: dns.resolver.Resolver) -> str:
    if target.nameservers:
        return target.resolver_label
    servers = ", ".join(str(ns) for ns in resolver.nameservers)
    return f"the system resolver ({servers})"


_RCODE_ADVICE = {
    "SERVFAIL": "the resolver could not get an answer from the zone's authority (broken DNSSEC, "
                "lame delegation or a down authoritative server); check the zone with dig +trace",
    "REFUSED": "the nameserver refuses to answer this name (not authoritative for it, or recursion "
               "not allowed for us); check the nameserver list and its ACLs",
}


def _rcodes(exc: dns.resolver.NoNameservers) -> str:
    errors = exc.kwargs.get("errors") or []
    seen = sorted({str(error[3]) if len(error) > 3 else str(error) for error in errors})
    if not seen:
        return "no nameserver could answer"
    advice = "; ".join(_RCODE_ADVICE.get(code, "") for code in seen if code in _RCODE_ADVICE)
    return f"the nameserver answered {', '.join(seen)}" + (f": {advice}" if advice else "")


def _text(rdata: object) -> str:
    kind = rdata.rdtype  # type: ignore[attr-defined]
    if kind in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return str(rdata.address)  # type: ignore[attr-defined]
    if kind in (dns.rdatatype.CNAME, dns.rdatatype.NS):
        return rdata.target.to_text(omit_final_dot=True).lower()  # type: ignore[attr-defined]
    if kind == dns.rdatatype.MX:
        exchange = rdata.exchange.to_text(omit_final_dot=True).lower()  # type: ignore[attr-defined]
        return f"{rdata.preference} {exchange}"  # type: ignore[attr-defined]
    if kind == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode(errors="replace")  # type: ignore[attr-defined]
    return rdata.to_text()  # type: ignore[attr-defined]
