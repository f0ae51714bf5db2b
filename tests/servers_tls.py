"""Real TLS servers with certificates made at test time (cryptography), for the tls probe's tests.

`make_chain(...)` builds CA -> intermediate -> leaf with any validity window, key or signature
hash; `TlsServer` serves a chain on a free loopback port (optionally after SMTP STARTTLS);
`postgres_ssl` starts a throwaway PostgreSQL cluster with ssl = on (module scope in users).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = datetime.now(UTC)
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key(kind: str = "ec") -> Key:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(kind.removeprefix("rsa")))


@dataclass
class Cert:
    cert: x509.Certificate
    key: Key

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return key_pem(self.key)


def key_pem(key: Key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def issue(
    subject: str, issuer: Cert | None, *, ca: bool, days: float = 365, start_days: float = -1,
    hosts: tuple[str, ...] = (), key: str = "ec", san: bool = True,
) -> Cert:
    """One certificate valid from NOW+start_days for `days`; self-signed when `issuer` is None."""
    private = _key(key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.cert.subject if issuer else _name(subject))
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + timedelta(days=start_days))
        .not_valid_after(NOW + timedelta(days=start_days) + timedelta(days=days - start_days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    if hosts and san:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]),
                                        critical=False)
    signer = issuer.key if issuer else private
    return Cert(builder.sign(signer, hashes.SHA256()), private)


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


@dataclass
class Chain:
    """Leaf first, then the intermediates the server presents; `root` is what clients trust."""

    leaf: Cert
    intermediates: list[Cert]
    root: Cert

    def write(self, directory: Path) -> tuple[Path, Path, Path]:
        """(chain PEM, key PEM, CA bundle PEM) files in `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        chain = directory / "chain.pem"
        chain.write_bytes(self.leaf.pem() + b"".join(c.pem() for c in self.intermediates))
        key = directory / "key.pem"
        key.write_bytes(self.leaf.key_pem())
        bundle = directory / "ca.pem"
        bundle.write_bytes(self.root.pem())
        return chain, key, bundle


def make_chain(
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"), *, days: float = 90,
    start_days: float = -1, intermediate_days: float | tuple[float, ...] = 1000, key: str = "ec",
    sha1: bool = False, sha1_intermediate: bool = False, san: bool = True, self_signed: bool = False,
) -> Chain:
    """A root -> intermediate(s) -> leaf chain (or a lone self-signed leaf) for `hosts`.

    A tuple of `intermediate_days` makes one intermediate per entry, the first signed by the root
    and named "opsgate test intermediate", the next ones "... intermediate 2", "... 3" below it."""
    if self_signed:
        leaf = issue(hosts[0], None, ca=False, days=days, start_days=start_days, hosts=hosts, key=key)
        return Chain(leaf, [], leaf)
    root = issue("opsgate test root", None, ca=True, days=3650)
    lifetimes = intermediate_days if isinstance(intermediate_days, tuple) else (intermediate_days,)
    middles: list[Cert] = []
    for number, lifetime in enumerate(lifetimes, start=1):
        name = "opsgate test intermediate" + (f" {number}" if number > 1 else "")
        parent = middles[-1] if middles else root
        middles.append(sign_sha1(name, parent, lifetime, ca=True) if sha1_intermediate
                       else issue(name, parent, ca=True, days=lifetime))
    if sha1:
        leaf = sign_sha1(hosts[0], middles[-1], days, hosts=hosts)
    else:
        leaf = issue(hosts[0], middles[-1], ca=False, days=days, start_days=start_days, hosts=hosts,
                     key=key, san=san)
    # The server presents the leaf's issuer first, as a chain file lists them.
    return Chain(leaf, middles[::-1], root)


def sign_sha1(subject: str, issuer: Cert | None, days: float, *, hosts: tuple[str, ...] = (),
              ca: bool = False) -> Cert:
    """A certificate signed with SHA-1 by `issuer` (self-signed when None): cryptography refuses
    to, the openssl CLI does not."""
    private = _key("ec")
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(subject))
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(h) for h in hosts]), critical=False)
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    csr = builder.sign(private, hashes.SHA256())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "leaf.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
        if issuer is None:
            (work / "own.key").write_bytes(key_pem(private))
            signer = ["-signkey", "own.key"]
        else:
            (work / "ca.pem").write_bytes(issuer.pem())
            (work / "ca.key").write_bytes(issuer.key_pem())
            signer = ["-CA", "ca.pem", "-CAkey", "ca.key"]
        subprocess.run(["openssl", "x509", "-req", "-in", "leaf.csr", *signer, "-sha1", "-days",
                        str(int(days)), "-copy_extensions", "copy", "-out", "leaf.pem"],
                       cwd=work, check=True, capture_output=True)
        cert = x509.load_pem_x509_certificate((work / "leaf.pem").read_bytes())
    return Cert(cert, private)


class TlsServer:
    """Serves a chain on 127.0.0.1:<free port>: handshake, then close. `smtp=True` speaks
    SMTP first and upgrades on STARTTLS; `max_version` caps the TLS version."""

    def __init__(self, chain: Chain, directory: Path, *, smtp: bool = False,
                 max_version: ssl.TLSVersion | None = None) -> None:
        chain_file, key_file, self.ca_bundle = chain.write(directory)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.set_ciphers("ALL:@SECLEVEL=0")
        self.context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        if max_version is not None:
            self.context.maximum_version = max_version
        self.context.load_cert_chain(chain_file, key_file)
        self.smtp = smtp
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TlsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with contextlib.suppress(OSError), conn:
            if self.smtp and not _smtp_dialogue(conn):
                return
            with self.context.wrap_socket(conn, server_side=True) as tls:
                if self.smtp:
                    tls.sendall(b"221 bye\r\n")


def _smtp_dialogue(conn: socket.socket) -> bool:
    conn.sendall(b"220 mail.test ESMTP opsgate-test\r\n")
    reader = conn.makefile("rb", buffering=0)
    while True:
        line = reader.readline().strip().upper()
        if not line:
            return False
        if line.startswith(b"EHLO"):
            conn.sendall(b"250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        elif line == b"STARTTLS":
            conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            return True
        else:
            conn.sendall(b"502 5.5.2 not implemented\r\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Postgres:
    port: int
    ca_bundle: Path


def pg_bin() -> Path | None:
    base = Path("/usr/lib/postgresql")
    versions = sorted((p for p in base.glob("*") if (p / "bin/initdb").exists()),
                      key=lambda p: int(p.name)) if base.is_dir() else []
    return versions[-1] / "bin" if versions else None


@contextlib.contextmanager
def postgres_ssl(chain: Chain) -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster with ssl = on serving `chain` (RECIPES.md, as root)."""
    binaries = pg_bin()
    if binaries is None or shutil.which("runuser") is None or os.geteuid() != 0:
        raise RuntimeError("needs root, runuser and PostgreSQL server binaries")
    directory = Path(tempfile.mkdtemp(prefix="opsgate-pg-"))
    shutil.chown(directory, "postgres")
    chain_file, key_file, bundle = chain.write(directory / "tls")
    for path in (directory / "tls", chain_file, key_file):
        shutil.chown(path, "postgres")
    key_file.chmod(0o600)
    port = free_port()
    run = ["runuser", "-u", "postgres", "--"]
    try:
        subprocess.run([*run, str(binaries / "initdb"), "-D", str(directory / "data"), "-A", "trust",
                        "-U", "postgres"], check=True, capture_output=True)
        options = (f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c ssl=on "
                   f"-c ssl_cert_file={chain_file} -c ssl_key_file={key_file}")
        subprocess.run([*run, str(binaries / "pg_ctl"), "-D", str(directory / "data"), "-l",
                        str(directory / "log"), "-w", "-o", options, "start"], check=True,
                       capture_output=True)
        yield Postgres(port, bundle)
    finally:
        subprocess.run([*run, str(binaries / "pg_ctl"), "-D", str(directory / "data"), "-m", "immediate",
                        "-w", "stop"], capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)
