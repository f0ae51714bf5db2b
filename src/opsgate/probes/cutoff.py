"""Cutting a session off at the probe's deadline, for drivers whose blocking calls take no timeout.

psycopg, PyMySQL and pika wait for a statement's or an RPC's answer without a per-call timeout. A
timer shuts the session's socket down when the probe's time is up, so the call in flight fails
with a lost connection, and the probe reports that as a timeout.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from opsgate.deadline import Deadline


@contextmanager
def cut_off_at(deadline: Deadline, fileno: int) -> Iterator[Callable[[], bool]]:
    """Shut the session's socket down when `deadline` passes, so a stalled server (or a slow one
    answering many statements) cannot hold the probe past its timeout: the call in flight then
    fails with a lost connection. Yields whether that happened, to report it as a timeout.

    The timer holds a duplicate of the descriptor: should the driver close its socket first, the
    number cannot be reused by another probe's socket before the timer is cancelled."""
    held = socket.socket(fileno=os.dup(fileno))
    fired, lock = threading.Event(), threading.Lock()

    def cut() -> None:
        with lock, suppress(OSError):
            if held.fileno() != -1:
                fired.set()
                held.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(deadline.remaining(), cut)
    timer.daemon = True
    timer.start()
    try:
        yield fired.is_set
    finally:
        timer.cancel()
        with lock:
            held.close()
