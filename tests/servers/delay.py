"""A TCP hop on loopback in front of a real server: it holds every chunk a client sends for a while
before passing it on (a slow network, for probes that make several round trips), and can trickle
the server's answers back a byte at a time (a stalling server that never quite stops)."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress


class DelayingProxy:
    """Forwards 127.0.0.1:`port` to `upstream_port`, delaying each client chunk by `delay` seconds
    and, with `trickle`, sending the answers back one byte every `trickle` seconds."""

    def __init__(self, upstream_port: int, delay: float, trickle: float = 0.0) -> None:
        self.upstream_port, self.delay, self.trickle = upstream_port, delay, trickle
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with suppress(OSError):
            while True:
                client, _ = self._listener.accept()
                server = socket.create_connection(("127.0.0.1", self.upstream_port))
                self._sockets += [client, server]
                threading.Thread(target=self._pump, args=(client, server, self.delay), daemon=True).start()
                threading.Thread(target=self._pump, args=(server, client, 0.0, self.trickle),
                                 daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, delay: float, trickle: float = 0.0) -> None:
        with suppress(OSError):
            while chunk := source.recv(65536):
                time.sleep(delay)
                for piece in [chunk[i:i + 1] for i in range(len(chunk))] if trickle else [chunk]:
                    sink.sendall(piece)
                    time.sleep(trickle)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def __enter__(self) -> DelayingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in self._sockets:
            with suppress(OSError):
                sock.close()
