"""Misbehaving HTTP servers for the tests of both HTTP stacks (run them with `serving`)."""

from __future__ import annotations

import http.server
import socket
import struct
import time
from urllib.parse import parse_qs, urlsplit


class Trickle(http.server.BaseHTTPRequestHandler):
    """Announces a 100000-byte body, then sends one byte every 0.2 s for up to 40 s."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        for _ in range(200):
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:  # the client gave up: what the tests want
                return
            time.sleep(0.2)

    def log_message(self, *args: object) -> None:
        pass


class Recorder(http.server.BaseHTTPRequestHandler):
    """Records each request's headers in `seen` (a class attribute the test sets) and answers
    `/go?to=URL` with a 302 to URL, anything else with 204."""

    seen: list[tuple[int, dict[str, str]]]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.seen.append((self.server.server_address[1], dict(self.headers.items())))
        target = parse_qs(urlsplit(self.path).query).get("to")
        self.send_response(302 if target else 204)
        if target:
            self.send_header("Location", target[0])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def recorder(seen: list[tuple[int, dict[str, str]]]) -> type[Recorder]:
    """A Recorder class appending to `seen`."""
    return type("SeenRecorder", (Recorder,), {"seen": seen})


class Stall(http.server.BaseHTTPRequestHandler):
    """Counts requests in `hits` (a class attribute the test sets), then answers none for
    `seconds` and closes the connection."""

    hits: list[str]
    seconds: float = 30

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.hits.append(self.path)
        time.sleep(self.seconds)

    def log_message(self, *args: object) -> None:
        pass


def stall(hits: list[str], seconds: float = 30) -> type[Stall]:
    """A Stall class appending to `hits`, silent for `seconds`."""
    return type("CountingStall", (Stall,), {"hits": hits, "seconds": seconds})


class Resetting(http.server.BaseHTTPRequestHandler):
    """Reads the request, then resets the connection (SO_LINGER 0): ECONNRESET on the client."""

    def handle(self) -> None:
        self.request.recv(4096)
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()
