"""The TLS probe's STARTTLS banner read draws on the probe's one deadline (opsgate.deadline's
model): a server trickling its SMTP greeting byte by byte cannot stretch the probe."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from opsgate.errors import ProbeTimeout
from opsgate.probes.tls import probe
from opsgate.targets.tls import TlsTarget


def test_a_trickling_smtp_banner_ends_at_the_probes_timeout() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def greet_slowly() -> None:
        conn, _ = listener.accept()
        with conn:
            for byte in b"220 " + b"x" * 200:  # 40 s at one byte per 0.2 s
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    threading.Thread(target=greet_slowly, daemon=True).start()
    target = TlsTarget(name="t", host="localhost", address="127.0.0.1",
                       port=listener.getsockname()[1], starttls="smtp")
    started = time.monotonic()
    try:
        with pytest.raises(ProbeTimeout, match=r"the SMTP server's reply did not end within the "
                                               r"timeout \(read so far: b'220 "):
            probe(target, 1.0)
    finally:
        stop.set()
        listener.close()
    assert time.monotonic() - started < 10  # each byte used to get the whole second again
