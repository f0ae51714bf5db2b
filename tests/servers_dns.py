"""Real DNS servers for the dns probe's tests: dnsmasq on a free loopback port (RECIPES.md),
and a UDP socket that reads queries and never answers."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
ZONE_ARGS = [
    "--local=/example.test/", "--host-record=api.example.test,127.0.0.9",
    "--host-record=dual.example.test,127.0.0.10,::10",
    "--txt-record=api.example.test,v=opsgate", "--mx-host=example.test,mail.example.test,10",
    "--cname=www.example.test,api.example.test", "--local-ttl=300",
]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dnsmasq_command(port: int, pid_file: Path, listen: str = "127.0.0.1") -> list[str]:
    return [DNSMASQ, "--keep-in-foreground", f"--port={port}", f"--listen-address={listen}",
            "--bind-interfaces", "--no-resolv", "--no-hosts", "--user=root",
            f"--pid-file={pid_file}", *ZONE_ARGS]


@contextlib.contextmanager
def dnsmasq() -> Iterator[int]:
    """dnsmasq serving the example.test zone on 127.0.0.1:<port>; yields the port."""
    if not Path(DNSMASQ).exists():
        raise RuntimeError(f"dnsmasq not found at {DNSMASQ} (apt-get install dnsmasq-base)")
    directory = Path(tempfile.mkdtemp(prefix="opsgate-dns-"))
    port = free_udp_port()
    proc = subprocess.Popen(dnsmasq_command(port, directory / "pid"), stderr=subprocess.PIPE)
    try:
        _wait_for_udp(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        shutil.rmtree(directory, ignore_errors=True)


def _wait_for_udp(port: int, proc: subprocess.Popen[bytes]) -> None:
    import dns.message
    import dns.query

    query = dns.message.make_query("api.example.test", "A")
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError(f"dnsmasq exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            dns.query.udp(query, "127.0.0.1", port=port, timeout=0.1)
            return
        except Exception:
            time.sleep(0.02)
    raise RuntimeError("dnsmasq did not answer within 2 s")


@contextlib.contextmanager
def rcode_dns(rcode_name: str) -> Iterator[int]:
    """A UDP nameserver (dnspython) answering every query with `rcode_name`, e.g. SERVFAIL."""
    import dns.message
    import dns.rcode

    rcode = dns.rcode.from_text(rcode_name)

    def answer(sock: socket.socket, data: bytes, peer: object) -> None:
        response = dns.message.make_response(dns.message.from_wire(data))
        response.set_rcode(rcode)
        sock.sendto(response.to_wire(), peer)

    with _udp_server(answer) as port:
        yield port


@contextlib.contextmanager
def silent_dns() -> Iterator[int]:
    """A UDP port that reads and drops every query: a nameserver that never answers."""
    with _udp_server(lambda sock, data, peer: None) as port:
        yield port


@contextlib.contextmanager
def _udp_server(handle: object) -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def drain() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                data, peer = sock.recvfrom(4096)
                handle(sock, data, peer)  # type: ignore[operator]

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()
