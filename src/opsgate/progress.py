"""The terminal's progress line during long runs: checks done of the total, failures so far.

pytest's own progress counts tests per file; an on-call engineer watching a 10-minute daily run
wants to know how far it is and whether anything has failed yet, without waiting for the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Progress:
    """Says `opsgate: 12/40 checks done, 2 failing (35s)` at most every `every` seconds."""

    def __init__(self, every: float, write: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.every, self._write, self._clock = every, write, clock
        self.total: int | None = None
        self.done = self.failing = 0
        self._started = self._last = clock()

    def finished(self, failed: bool) -> None:
        """One check is done (its teardown reported); speak if the interval has passed."""
        self.done += 1
        self.failing += failed
        now = self._clock()
        if now - self._last < self.every:
            return
        self._last = now
        of = f"/{self.total}" if self.total else ""
        self._write(f"opsgate: {self.done}{of} checks done, {self.failing} failing "
                    f"({now - self._started:.0f}s)")
