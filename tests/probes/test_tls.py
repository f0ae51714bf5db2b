"""TLS probe against real TLS servers with certificates made at test time."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgate.errors import ProbeConfigError, ProbeFailure, ProbeTimeout, ProtocolFailure, Unreachable
from opsgate.probes.tls import TlsFacts, probe
from opsgate.targets.tls import TlsTarget
from tests.conftest import unavailable
from tests.servers_tls import TlsServer, free_port, make_chain, postgres_ssl


def facts_for(tmp_path: Path, *, host: str = "127.0.0.1", ca: bool = True, smtp: bool = False,
              max_version: ssl.TLSVersion | None = None, **chain: object) -> TlsFacts:
    with TlsServer(make_chain(**chain), tmp_path, smtp=smtp, max_version=max_version) as server:  # type: ignore[arg-type]
        target = TlsTarget(name="t", host=host, address="127.0.0.1", port=server.port,
                           ca_bundle=str(server.ca_bundle) if ca else None,
                           starttls="smtp" if smtp else None)
        return probe(target, 5)


def test_valid_chain(tmp_path: Path) -> None:
    facts = facts_for(tmp_path)
    assert facts.verified and facts.verify_error is None
    assert facts.version == "TLSv1.3"
    assert [c.subject for c in facts.chain] == ["CN=127.0.0.1", "CN=opsgate test intermediate"]
    assert 89 < facts.leaf.days_left(facts.checked_at) < 91
    assert facts.leaf.san == ("127.0.0.1", "localhost") or "127.0.0.1" in facts.leaf.san
    assert "CN=opsgate test intermediate" in facts.chain_table()


def test_expired_chain_is_still_read(tmp_path: Path) -> None:
    facts = facts_for(tmp_path, days=-2, start_days=-30)
    assert not facts.verified
    assert facts.verify_error == "certificate has expired"
    assert facts.leaf.days_left(facts.checked_at) == pytest.approx(-2, abs=0.01)


def test_wrong_host(tmp_path: Path) -> None:
    facts = facts_for(tmp_path, host="shop.example.test")
    assert "Hostname mismatch" in str(facts.verify_error)


def test_untrusted_self_signed(tmp_path: Path) -> None:
    facts = facts_for(tmp_path, self_signed=True, ca=False)
    assert "self-signed certificate" in str(facts.verify_error)
    assert facts.leaf.self_signed


def test_smtp_starttls(tmp_path: Path) -> None:
    facts = facts_for(tmp_path, smtp=True, host="localhost")
    assert facts.verified and facts.endpoint.endswith("via STARTTLS smtp")


def test_tls_1_1_only_server_is_read(tmp_path: Path) -> None:
    try:
        facts = facts_for(tmp_path, max_version=ssl.TLSVersion.TLSv1_1)
    except (ssl.SSLError, ProbeFailure) as exc:  # depends on the local OpenSSL build
        unavailable(f"the local OpenSSL cannot speak TLS 1.1 even at SECLEVEL=0: {exc}")
    assert facts.version == "TLSv1.1"
    assert facts.verified  # the certificate is valid: the version is judged against min_version


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    try:
        with postgres_ssl(make_chain()) as server:
            yield server
    except RuntimeError as exc:
        unavailable(f"no throwaway PostgreSQL: {exc}")


def test_postgres_starttls(postgres: object) -> None:
    target = TlsTarget(name="pg", host="127.0.0.1", port=postgres.port, starttls="postgres",  # type: ignore[attr-defined]
                       ca_bundle=str(postgres.ca_bundle))  # type: ignore[attr-defined]
    facts = probe(target, 5)
    assert facts.verified and facts.leaf.subject == "CN=127.0.0.1"


def test_postgres_starttls_against_plain_tls_port_fails(tmp_path: Path) -> None:
    with TlsServer(make_chain(), tmp_path) as server:
        target = TlsTarget(name="pg", host="127.0.0.1", port=server.port, starttls="postgres")
        # The TLS server reads SSLRequest as a broken ClientHello: it answers an alert (refused
        # SSL) or resets the connection (lost during the handshake), by timing.
        with pytest.raises((ProtocolFailure, Unreachable), match="refused SSL|handshake"):
            probe(target, 2)


def test_refused(tmp_path: Path) -> None:
    with pytest.raises(Unreachable, match="connection refused"):
        probe(TlsTarget(name="t", host="127.0.0.1", port=free_port()), 2)


def test_silent_server_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(ProbeTimeout, match="no TLS handshake within the timeout"):
            probe(TlsTarget(name="t", host="127.0.0.1", port=port), 0.5)


def test_missing_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    with TlsServer(make_chain(), tmp_path) as server, pytest.raises(ProbeConfigError, match="does not exist"):
        probe(TlsTarget(name="t", host="127.0.0.1", port=server.port, ca_bundle=str(tmp_path / "no.pem")), 2)
