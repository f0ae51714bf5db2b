"""TLS probe: the presented chain (read even when it does not validate), version and verdict.

Two handshakes: one that accepts anything (SECLEVEL=0, TLS 1.0+) to read the chain and the
version the server really negotiates, and one verifying client (trust store or `ca_bundle`,
hostname check) whose error, if any, is the precise validation verdict. STARTTLS for
PostgreSQL (SSLRequest) and SMTP (EHLO/STARTTLS) runs before each handshake.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from opsgate.errors import (
    ProbeFailure,
    ProbeTimeout,
    ProtocolFailure,
    TlsFailure,
    Unreachable,
)
from opsgate.probes.transport import client_tls
from opsgate.redact import clip
from opsgate.targets.tls import TlsTarget

_PG_SSL_REQUEST = struct.pack("!ii", 8, 80877103)
_SMTP_LINE_MAX = 4096


@dataclass(frozen=True)
class CertInfo:
    """The facts of one certificate of the presented chain."""

    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    san: tuple[str, ...]
    has_san: bool
    signature_hash: str | None
    key_type: str
    key_bits: int

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def days_left(self, now: datetime) -> float:
        return (self.not_after - now).total_seconds() / 86400


@dataclass(frozen=True)
class TlsFacts:
    """What the endpoint presented and whether a verifying client accepted it."""

    endpoint: str
    server_name: str
    version: str
    cipher: str
    chain: tuple[CertInfo, ...]
    verified: bool
    verify_error: str | None
    checked_at: datetime
    # The chain a verifying client built (leaf to trust anchor), when verification succeeded.
    verified_chain: tuple[CertInfo, ...] = ()
    # Why only the leaf of the presented chain could be read, when that is so.
    chain_unread: str | None = None

    @property
    def leaf(self) -> CertInfo:
        return self.chain[0]

    def chain_table(self) -> str:
        """The chain as a readable table, leaf first."""
        rows = [("#", "subject", "issuer", "not after", "days left", "key", "signature")]
        for index, cert in enumerate(self.chain):
            rows.append((
                str(index), cert.subject, cert.issuer, cert.not_after.strftime("%Y-%m-%d %H:%M UTC"),
                f"{cert.days_left(self.checked_at):.1f}", f"{cert.key_type}-{cert.key_bits}",
                cert.signature_hash or "n/a",
            ))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
        head = (f"{self.endpoint} (SNI {self.server_name}): {self.version}, {self.cipher}; "
                f"verified: {'yes' if self.verified else 'no: ' + str(self.verify_error)}")
        if self.verified_chain:
            head += "\nverified chain: " + " -> ".join(cert.subject for cert in self.verified_chain)
        if self.chain_unread:
            head += f"\nchain not read: {self.chain_unread}"
        return head + "\n" + "\n".join(line.rstrip() for line in lines)


def probe(target: TlsTarget, timeout: float) -> TlsFacts:
    """Read the chain and negotiated version, then verify; raises only when no handshake works."""
    deadline = time.monotonic() + timeout
    with _connect(target, _permissive_context(), deadline) as tls:
        version, cipher = tls.version() or "unknown", (tls.cipher() or ("unknown",))[0]
        presented, unread = _chain(tls, "get_unverified_chain")
        chain = tuple(_cert_info(der) for der in presented)
    if not chain:
        raise TlsFailure(f"{_where(target)}: the server presented no certificate")
    verified, error, built = True, None, ()
    if target.verify:
        verified, error, built = _verify(target, version, deadline)
    return TlsFacts(
        endpoint=_where(target), server_name=target.host, version=version, cipher=cipher,
        chain=chain, verified=verified, verify_error=error, checked_at=datetime.now(UTC),
        verified_chain=tuple(_cert_info(der) for der in built), chain_unread=unread,
    )


def _verify(target: TlsTarget, negotiated: str, deadline: float) -> tuple[bool, str | None, list[bytes]]:
    """(True, None, verified chain) when a verifying client accepts chain and hostname, else
    (False, why, [])."""
    try:
        with _connect(target, _verifying_context(target, negotiated), deadline) as tls:
            built, unread = _chain(tls, "get_verified_chain")
            return True, None, [] if unread else built
    except TlsFailure as failure:
        cause = failure.__cause__
        if isinstance(cause, ssl.SSLCertVerificationError):
            return False, str(cause.verify_message), []
        return False, f"a verifying client could not complete the handshake: {failure}", []


def _permissive_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    # An OpenSSL without security levels: its defaults must do.
    with contextlib.suppress(ssl.SSLError):
        context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def _verifying_context(target: TlsTarget, negotiated: str) -> ssl.SSLContext:
    """A client that verifies like a default one, but speaks the version the server negotiated even
    below TLS 1.2: verification judges the certificate, `min_version` judges the protocol."""
    context = client_tls(f"tls {target.name}", target.ca_bundle)
    assert isinstance(context, ssl.SSLContext)  # never False: a tls target cannot be insecure
    if negotiated in _OLD_VERSIONS:
        with warnings.catch_warnings():  # deprecated on purpose: this server speaks nothing newer
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = _OLD_VERSIONS[negotiated]
        # OpenSSL 3 refuses TLS 1.0/1.1 (their SHA-1 handshake) above security level 0; key sizes
        # and signature hashes are judged from the chain instead.
        with contextlib.suppress(ssl.SSLError):
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


_OLD_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1}


def _where(target: TlsTarget) -> str:
    via = f" via STARTTLS {target.starttls}" if target.starttls else ""
    return f"{target.connect_to}:{target.effective_port}{via}"


class _connect:
    """A TLS socket to the target (after STARTTLS), closed on exit; failures mapped by phase."""

    def __init__(self, target: TlsTarget, context: ssl.SSLContext, deadline: float) -> None:
        self.target, self.context, self.deadline = target, context, deadline
        self.tls: ssl.SSLSocket | None = None

    def __enter__(self) -> ssl.SSLSocket:
        target = self.target
        sock = _open(target, self.deadline)
        try:
            _starttls(target, sock, self.deadline)
            sock.settimeout(_remaining(self.deadline))
            self.tls = self.context.wrap_socket(sock, server_hostname=target.host)
        except ssl.SSLError as exc:
            sock.close()
            reason = getattr(exc, "verify_message", None) or exc.reason or str(exc)
            raise TlsFailure(f"{_where(target)}: TLS handshake failed: {reason}") from exc
        except TimeoutError:
            sock.close()
            raise ProbeTimeout(f"{_where(target)}: no TLS handshake within the timeout "
                               "(is this port speaking TLS, or does it need starttls?)") from None
        except (OSError, ProbeFailure) as exc:
            sock.close()
            if isinstance(exc, ProbeFailure):
                raise
            raise Unreachable(f"{_where(target)}: connection lost during the handshake: {exc}") from None
        return self.tls

    def __exit__(self, *exc: object) -> None:
        if self.tls is not None:
            self.tls.close()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _open(target: TlsTarget, deadline: float) -> socket.socket:
    where = f"{target.connect_to}:{target.effective_port}"
    try:
        return socket.create_connection((target.connect_to, target.effective_port),
                                        timeout=_remaining(deadline))
    except TimeoutError:
        raise ProbeTimeout(f"{_where(target)}: no connection to {where} within the timeout") from None
    except socket.gaierror as exc:
        raise Unreachable(f"{_where(target)}: DNS lookup of {target.connect_to} failed: {exc.strerror} "
                          "(check the name, or give 'address')") from None
    except ConnectionRefusedError:
        raise Unreachable(
            f"{_where(target)}: connection refused by {where}: is the service running?") from None
    except OSError as exc:
        raise Unreachable(f"{_where(target)}: cannot connect to {where}: {exc.strerror or exc}") from None


def _starttls(target: TlsTarget, sock: socket.socket, deadline: float) -> None:
    if target.starttls == "postgres":
        sock.sendall(_PG_SSL_REQUEST)
        answer = sock.recv(1)
        if answer != b"S":
            raise ProtocolFailure(
                f"{_where(target)}: the PostgreSQL server refused SSL (answered {answer!r} to "
                "SSLRequest): set ssl = on with ssl_cert_file/ssl_key_file in postgresql.conf"
            )
    elif target.starttls == "smtp":
        _smtp_starttls(target, sock, deadline)


def _smtp_starttls(target: TlsTarget, sock: socket.socket, deadline: float) -> None:
    code, _ = _smtp_reply(target, sock, deadline)
    if code != 220:
        raise ProtocolFailure(f"{_where(target)}: SMTP greeting was {code}, expected 220")
    sock.sendall(b"EHLO opsgate.invalid\r\n")
    code, lines = _smtp_reply(target, sock, deadline)
    if code != 250 or not any(line[4:].upper().startswith("STARTTLS") for line in lines):
        raise ProtocolFailure(f"{_where(target)}: the SMTP server does not offer STARTTLS "
                              f"(EHLO answered {code}: {clip(' | '.join(lines), 200)})")
    sock.sendall(b"STARTTLS\r\n")
    code, lines = _smtp_reply(target, sock, deadline)
    if code != 220:
        raise ProtocolFailure(f"{_where(target)}: STARTTLS answered {code} {clip(' '.join(lines), 120)}")


def _smtp_reply(target: TlsTarget, sock: socket.socket, deadline: float) -> tuple[int, list[str]]:
    """One (possibly multi-line) SMTP reply: its code and lines."""
    lines: list[str] = []
    while True:
        line = _read_line(target, sock, deadline)
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            break
    head = lines[-1][:3]
    if not head.isdigit():
        raise ProtocolFailure(f"{_where(target)}: not an SMTP server (said {lines[-1][:80]!r})")
    return int(head), lines


def _read_line(target: TlsTarget, sock: socket.socket, deadline: float) -> str:
    # Byte by byte: nothing after the line may be consumed, the TLS handshake follows it. Each
    # byte waits only for what is left of the probe's time: a server trickling its banner
    # would otherwise get a fresh timeout per byte.
    data = bytearray()
    while not data.endswith(b"\n"):
        try:
            sock.settimeout(_remaining(deadline))
            byte = sock.recv(1)
        except TimeoutError:
            raise ProbeTimeout(f"{_where(target)}: the SMTP server's reply did not end within "
                               f"the timeout (read so far: {bytes(data[:80])!r})") from None
        if not byte:
            raise ProtocolFailure(f"{_where(target)}: the SMTP server closed the connection")
        data += byte
        if len(data) > _SMTP_LINE_MAX:
            raise ProtocolFailure(f"{_where(target)}: SMTP line longer than {_SMTP_LINE_MAX} bytes")
    return data.decode("ascii", errors="replace").rstrip("\r\n")


def _chain(tls: ssl.SSLSocket, method: str) -> tuple[list[bytes], str | None]:
    """The chain (DER, leaf first) by the SSL object's `get_unverified_chain`/`get_verified_chain`
    (private before Python 3.13), and None; or only the leaf and why, where that API is missing."""
    getter = getattr(tls._sslobj, method, None)  # type: ignore[attr-defined]
    if getter is not None:
        certs = getter() or []
        return [cert.public_bytes(ssl._ssl.ENCODING_DER) for cert in certs], None  # type: ignore[attr-defined]
    leaf = tls.getpeercert(binary_form=True)
    return ([leaf] if leaf else []), f"this Python's ssl module has no {method}(): only the leaf was read"


def _cert_info(der: bytes) -> CertInfo:
    cert = x509.load_der_x509_certificate(der)
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        san = tuple(names.get_values_for_type(x509.DNSName)) + tuple(
            str(ip) for ip in names.get_values_for_type(x509.IPAddress))
        has_san = True
    except x509.ExtensionNotFound:
        san, has_san = (), False
    try:
        hash_name = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    except UnsupportedAlgorithm:
        hash_name = None
    key_type, key_bits = _key(cert)
    return CertInfo(
        subject=cert.subject.rfc4514_string() or "(empty subject)",
        issuer=cert.issuer.rfc4514_string() or "(empty issuer)",
        serial=format(cert.serial_number, "x"), not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc, san=san, has_san=has_san, signature_hash=hash_name,
        key_type=key_type, key_bits=key_bits,
    )


def _key(cert: x509.Certificate) -> tuple[str, int]:
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError):
        return "unknown", 0
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    name = type(key).__name__.removeprefix("_").replace("PublicKey", "")
    return name or "unknown", 256 if "Ed25519" in name else 0
