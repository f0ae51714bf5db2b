"""DNS probe against dnsmasq on a loopback port, a SERVFAIL/REFUSED server and a silent one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgate.errors import ProbeTimeout, ProtocolFailure
from opsgate.probes.dns import probe
from opsgate.targets.dns import DnsTarget
from tests.conftest import unavailable
from tests.servers_dns import DNSMASQ, dnsmasq, dnsmasq_command, rcode_dns, silent_dns


@pytest.fixture(scope="module")
def nameserver() -> Iterator[str]:
    try:
        with dnsmasq() as port:
            yield f"127.0.0.1:{port}"
    except RuntimeError as exc:
        unavailable(str(exc))


@pytest.mark.parametrize(("host", "kind", "answers"), [
    ("api.example.test", "A", ("127.0.0.9",)),
    ("dual.example.test", "AAAA", ("::10",)),
    ("www.example.test", "CNAME", ("api.example.test",)),
    ("example.test", "MX", ("10 mail.example.test",)),
    ("api.example.test", "TXT", ("v=opsgate",)),
])
def test_records(nameserver: str, host: str, kind: str, answers: tuple[str, ...]) -> None:
    facts = probe(DnsTarget(name="n", host=host, type=kind, nameservers=[nameserver]), 2)
    assert facts.answers == answers
    assert facts.ttl == 300


def test_cname_is_followed_for_a(nameserver: str) -> None:
    facts = probe(DnsTarget(name="n", host="www.example.test", nameservers=[nameserver]), 2)
    assert facts.answers == ("127.0.0.9",) and facts.canonical_name == "api.example.test"


def test_tcp(nameserver: str) -> None:
    facts = probe(DnsTarget(name="n", host="api.example.test", tcp=True, nameservers=[nameserver]), 2)
    assert facts.answers == ("127.0.0.9",)


def test_nodata_is_a_fact(nameserver: str) -> None:
    facts = probe(DnsTarget(name="n", host="api.example.test", type="AAAA", nameservers=[nameserver]), 2)
    assert facts.answers == ()


def test_nxdomain(nameserver: str) -> None:
    with pytest.raises(ProtocolFailure, match=r"nope.example.test A via 127.0.0.1:\d+: NXDOMAIN"):
        probe(DnsTarget(name="n", host="nope.example.test", nameservers=[nameserver]), 2)


@pytest.mark.parametrize(("rcode", "advice"), [("SERVFAIL", "dig \\+trace"), ("REFUSED", "ACLs")])
def test_error_rcodes(rcode: str, advice: str) -> None:
    with rcode_dns(rcode) as port, pytest.raises(ProtocolFailure, match=f"answered {rcode}: .*{advice}"):
        probe(DnsTarget(name="n", host="a.test", nameservers=[f"127.0.0.1:{port}"]), 2)


def test_silent_nameserver_times_out() -> None:
    with silent_dns() as port, pytest.raises(ProbeTimeout, match="no answer within 0.3s"):
        probe(DnsTarget(name="n", host="a.test", nameservers=[f"127.0.0.1:{port}"]), 0.3)


SYSTEM_RESOLVER = textwrap.dedent("""
    set -e
    ip link set lo up
    mount --bind {resolv} /etc/resolv.conf
    {dnsmasq} &
    DNSPID=$!
    trap 'kill $DNSPID' EXIT
    sleep 0.3
    {python} -c 'from opsgate.probes.dns import probe; from opsgate.targets.dns import DnsTarget
    print(probe(DnsTarget(name="s", host="api.example.test"), 2).resolver)
    print(probe(DnsTarget(name="s", host="api.example.test"), 2).answers)'
""")


def test_system_resolver_in_an_isolated_network_namespace(tmp_path: Path) -> None:
    """System-resolver mode, with no traffic off the box: a private network namespace whose
    /etc/resolv.conf names a dnsmasq on its own loopback port 53."""
    if not Path(DNSMASQ).exists():
        unavailable("dnsmasq not installed (apt-get install dnsmasq-base)")
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\n")
    script = SYSTEM_RESOLVER.format(
        resolv=resolv, python=sys.executable,
        dnsmasq=" ".join(dnsmasq_command(53, tmp_path / "pid")))
    done = subprocess.run(["unshare", "-n", "-m", "sh", "-c", script], capture_output=True, text=True,
                          timeout=20)
    if done.returncode != 0 and "unshare" in done.stderr and "Operation not permitted" in done.stderr:
        unavailable(f"cannot create namespaces here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["the system resolver (127.0.0.1)", "('127.0.0.9',)"]
