"""Servers that answer what a campaign row needs. Echoes return the request in a failing answer, as a
misconfigured or hostile server does:
whatever credentials the request carried come back in the body excerpt or the error message.

- `http_echo()`: any GET gets `500` with the request line, its path URL-decoded, and every header;
  `GET /cut/N/HEADER` gets `200` and N dots followed by that header's value, so that a probe's
  excerpt of the body cuts the credential in two;
- `redis_echo()`: a RESP server that answers every command (AUTH first) with an error naming it and
  its arguments, as redis-py then quotes in its exception;
- `json_bodies()`: fixed JSON answers by path (NaN and out-of-range values for the no-false-green
  rows).
"""

from __future__ import annotations

import contextlib
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote_plus


class _QuietHandler(BaseHTTPRequestHandler):
    def answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _EchoHandler(_QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/cut/"):
            _, _, dots, header = self.path.split("/", 3)
            self.answer(200, "text/plain", f"{'.' * int(dots)}{self.headers[header]} end".encode())
            return
        headers = " | ".join(f"{name}: {value}" for name, value in self.headers.items()
                             if name.lower() not in ("host", "accept", "accept-encoding", "connection"))
        self.answer(500, "text/plain",
                    f"echo {headers} | {unquote_plus(self.path)} | {self.requestline}".encode())


class _RespEchoHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while command := self._read_command():
            self.wfile.write(f"-ERR echo {' '.join(command)}\r\n".encode())

    def _read_command(self) -> list[str]:
        """One RESP array of bulk strings; empty at the end of the stream."""
        header = self.rfile.readline()
        if not header.startswith(b"*"):
            return []
        args = []
        for _ in range(int(header[1:])):
            length = int(self.rfile.readline()[1:])
            args.append(self.rfile.read(length + 2)[:-2].decode(errors="replace"))
        return args


class _ThreadingTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True  # a client that keeps its connection open must not hold the test


@contextlib.contextmanager
def _serving(server: socketserver.BaseServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]  # type: ignore[index]
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def http_echo() -> Iterator[int]:
    """The port of an HTTP server on 127.0.0.1 that echoes each request in a 500 answer."""
    with _serving(ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)) as port:
        yield port


@contextlib.contextmanager
def redis_echo() -> Iterator[int]:
    """The port of a RESP server on 127.0.0.1 that echoes each command in an error."""
    with _serving(_ThreadingTCPServer(("127.0.0.1", 0), _RespEchoHandler)) as port:
        yield port


@contextlib.contextmanager
def json_bodies(bodies: dict[str, str]) -> Iterator[int]:
    """The port of an HTTP server on 127.0.0.1 answering `200` with `bodies[path]` (JSON text,
    NaN included, as Python's json module writes it)."""

    class Handler(_QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.answer(200, "application/json", bodies.get(self.path, "{}").encode())

    with _serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as port:
        yield port
