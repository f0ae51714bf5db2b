"""Interrupted runs: SIGTERM is Ctrl-C, xdist workers die with their controller, reports are
replaced whole.

cron's and CI's timeouts send SIGTERM, whose default action ends the process at once: no report
of what ran, and the previous run's junit.xml and summary.json left in place as if current.
Raised as KeyboardInterrupt instead, it takes pytest's Ctrl-C path: probing stops, the session
finishes, reports are written marked interrupted, and the exit status is 2 (INTERRUPTED).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# How long an interrupted controller lets xdist workers come down before killing them (xdist's
# own 10 s, on top of a worker's 5 s wait for its running test, made SIGINT take 5.5 s). What a
# worker finished is already reported; what it is running is lost either way: no need to wait.
WORKER_EXIT_GRACE = 0.1
_PARENT_POLL = 0.2


def sigterm_as_keyboard_interrupt() -> Callable[[], None]:
    """Handle SIGTERM like Ctrl-C in this process; returns what restores the previous handler.

    Only the main thread may set signal handlers, so elsewhere (pytest run in a thread) this
    does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, _interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"opsgate: {signal.Signals(signum).name} received")


def die_with_parent() -> None:
    """End this process (an xdist worker) as soon as its parent (the controller) is gone.

    A controller killed outright (SIGKILL, or SIGTERM before opsgate could handle it) leaves its
    workers probing on for nobody; they poll their parent and leave with it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL)
        os._exit(int(signal.SIGTERM) + 128)  # as a process ended by SIGTERM

    threading.Thread(target=watch, daemon=True, name="opsgate-parent-watch").start()


def hasten_worker_exit(pluginmanager: Any) -> None:
    """Give xdist's workers WORKER_EXIT_GRACE to come down after an interrupt, then kill them.

    What they were running is lost either way; what they finished is already reported."""
    session = pluginmanager.getplugin("dsession")
    manager = getattr(session, "nodemanager", None)
    if manager is not None:
        manager.EXIT_TIMEOUT = WORKER_EXIT_GRACE


def pending_name(path: Path) -> Path:
    """Where a report is written before it replaces `path` in one rename."""
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def write_whole(path: Path, text: str) -> None:
    """Write `text` to `path` so that a reader sees the old file or the new one, never a part."""
    partial = pending_name(path)
    partial.write_text(text)
    os.replace(partial, path)
