"""The demo target's DNS responder (dnspython, UDP): a tiny authoritative demo zone.

`*.demo.opsgate.test` answers A 127.0.0.1 (AAAA ::1), the zone apex has TXT `v=opsgate-demo`
and MX `10 mail.demo.opsgate.test`; names outside the zone answer REFUSED, `missing.demo.opsgate.test`
NXDOMAIN. Broken mode answers SERVFAIL to everything. It listens on UDP at the HTTP port's number
unless OPSGATE_DEMO_DNS_PORT names another, so `dns:` targets of the local profile use
`nameservers: ["127.0.0.1:8642"]`.
"""

from __future__ import annotations

import contextlib
import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

ZONE = dns.name.from_text("demo.opsgate.test")
MISSING = dns.name.from_text("missing.demo.opsgate.test")
TTL = 300
RECORDS = {
    dns.rdatatype.A: "127.0.0.1",
    dns.rdatatype.AAAA: "::1",
}
APEX_RECORDS = {
    dns.rdatatype.TXT: '"v=opsgate-demo"',
    dns.rdatatype.MX: "10 mail.demo.opsgate.test.",
    dns.rdatatype.NS: "ns.demo.opsgate.test.",
}


def respond(wire: bytes, broken: bool) -> bytes | None:
    """The answer to one query in wire format, or None when the packet is not a DNS query."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:
        return None
    response = dns.message.make_response(query)
    if broken:
        response.set_rcode(dns.rcode.SERVFAIL)
        return response.to_wire()
    for question in query.question:
        _answer(question.name, question.rdtype, response)
    return response.to_wire()


def _answer(name: dns.name.Name, rdtype: int, response: dns.message.Message) -> None:
    if not name.is_subdomain(ZONE):
        response.set_rcode(dns.rcode.REFUSED)
        return
    response.flags |= dns.flags.AA
    if name == MISSING:
        response.set_rcode(dns.rcode.NXDOMAIN)
        return
    value = (APEX_RECORDS if name == ZONE else {}).get(rdtype) or RECORDS.get(rdtype)
    if value is not None:
        response.answer.append(dns.rrset.from_text(name, TTL, dns.rdataclass.IN, rdtype, value))


class DnsResponder:
    """Serves `respond` on a UDP socket in a daemon thread until `close()`."""

    def __init__(self, host: str, port: int, broken: bool) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.broken = broken
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="demo-dns", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except OSError:
                continue
            answer = respond(wire, self.broken)
            if answer is not None:
                with contextlib.suppress(OSError):
                    self.sock.sendto(answer, peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        self.sock.close()


def start_demo_dns(host: str, http_port: int, broken: bool) -> DnsResponder | None:
    """The demo's responder on UDP OPSGATE_DEMO_DNS_PORT (default: the HTTP port's number;
    `off` disables it). Raises DemoError naming the address when it cannot bind."""
    import os

    from opsgate.demo.app import DemoError

    wanted = os.environ.get("OPSGATE_DEMO_DNS_PORT", "").strip()
    if wanted.lower() == "off":
        return None
    port = int(wanted) if wanted.isdigit() else http_port
    try:
        return DnsResponder(host, port, broken)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise DemoError(f"demo target cannot listen on {host}:{port}/udp (dns): {reason}") from None
