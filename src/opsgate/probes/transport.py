"""What every network probe shares: the client TLS context and the mapping of socket errors."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

from opsgate.errors import ProbeConfigError, ProbeFailure, TlsFailure, Unreachable


def client_tls(where: str, ca_bundle: str | None, insecure: bool = False) -> ssl.SSLContext | bool:
    """The context verifying a server: system trust, a profile CA bundle, or none when asked."""
    if insecure:
        return False
    if ca_bundle is None:
        return ssl.create_default_context()
    bundle = Path(ca_bundle)
    if not bundle.is_file():
        raise ProbeConfigError(f"{where}: ca_bundle {bundle} does not exist")
    try:
        return ssl.create_default_context(cafile=str(bundle))
    except ssl.SSLError as exc:
        raise ProbeConfigError(f"{where}: ca_bundle {bundle} is not a PEM CA file: {exc}") from None


def root_cause(exc: BaseException) -> OSError | None:
    """The deepest OSError behind a library's exception chain (where the real reason is)."""
    seen: BaseException | None = exc
    deepest: OSError | None = None
    while seen is not None:
        if isinstance(seen, OSError):
            deepest = seen
        seen = seen.__cause__ or seen.__context__
    return deepest


def network_failure(exc: BaseException, where: str, endpoint: str, service: str) -> ProbeFailure | None:
    """The finding for a TLS, name-resolution or refused-connection error, or None for others."""
    cause = root_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return TlsFailure(f"{where}: TLS handshake failed: {cause.verify_message}")
    if isinstance(cause, ssl.SSLError):
        return TlsFailure(f"{where}: TLS handshake failed: {cause.reason or cause}")
    if isinstance(cause, socket.gaierror):
        host = endpoint.rsplit(":", 1)[0]
        return Unreachable(f"{where}: DNS lookup of {host} failed: {cause.strerror} (check the DNS records)")
    if isinstance(cause, ConnectionRefusedError):
        return Unreachable(f"{where}: connection refused by {endpoint}: is {service} running?")
    return None
