"""One probe's time budget: every operation a probe makes gets what is left of it, not a fresh timeout.

A probe that makes several operations (Redis PING/INFO/DBSIZE/LLEN, PostgreSQL's statements, a
STARTTLS banner read byte by byte, a body read chunk by chunk) creates one `Deadline` from its
timeout and asks it, before each operation, how long that operation may take.
"""

from __future__ import annotations

import time

from opsgate.errors import ProbeTimeout
from opsgate.units import format_duration


class Deadline:
    """A point in monotonic time by which a probe must be done."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def budget(self, what: str, cap: float | None = None) -> float:
        """The timeout for the next operation: what is left, at most `cap`.

        Raises `ProbeTimeout` naming `what` when nothing is left, so a probe never starts an
        operation it has no time for.
        """
        left = self.remaining()
        if left <= 0.0:
            raise ProbeTimeout(f"no time left for {what}: the probe's "
                               f"{format_duration(self.seconds)} timeout ran out")
        return left if cap is None else min(left, cap)
