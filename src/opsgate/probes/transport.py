"""What every network probe shares: the client TLS context and the mapping of socket errors."""

from __future__ import annotations

import errno
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


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and those it was raised from, outermost first (httpx wraps httpcore, which
    wraps h11 or the socket's OSError)."""
    found: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and all(seen is not known for known in found):
        found.append(seen)
        seen = seen.__cause__ or seen.__context__
    return found


def root_cause(exc: BaseException) -> OSError | None:
    """The deepest OSError behind a library's exception chain (where the real reason is)."""
    return next((e for e in reversed(exception_chain(exc)) if isinstance(e, OSError)), None)


# Classified by errno, not by message text: a message changes with the library or the locale.
_REFUSED = frozenset({errno.ECONNREFUSED})
_RESET = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})
_NO_ROUTE = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN})


def network_failure(exc: BaseException, where: str, endpoint: str, service: str) -> ProbeFailure | None:
    """The finding for a TLS, name-resolution or connection error, or None for others.

    Classified by exception class and errno only, never by message text."""
    cause = root_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return TlsFailure(f"{where}: TLS handshake failed: {cause.verify_message}")
    if isinstance(cause, ssl.SSLError):
        return TlsFailure(f"{where}: TLS handshake failed: {cause.reason or cause}")
    if isinstance(cause, socket.gaierror):
        host = endpoint.rsplit(":", 1)[0]
        return Unreachable(f"{where}: DNS lookup of {host} failed: {cause.strerror} (check the DNS records)")
    code = cause.errno if cause is not None else None
    if code in _REFUSED:
        return Unreachable(f"{where}: connection refused by {endpoint}: is {service} running?")
    if code in _RESET:
        return Unreachable(f"{where}: connection reset by {endpoint} before a complete answer "
                           f"({cause.strerror}): {service} crashed or a proxy or firewall cut it")
    if code in _NO_ROUTE:
        return Unreachable(f"{where}: no route to {endpoint} ({cause.strerror}): the host is down or "
                           "the network path is broken")
    return None
